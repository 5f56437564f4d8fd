#include "results/db_tools.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "core/process.h"
#include "core/strings.h"
#include "metabench/errors.h"
#include "results/claims.h"
#include "results/schema.h"
#include "results/sqlite.h"
#include "results/store.h"

namespace metabench {
namespace {

// The tables that hang off `runs` by run_id.
const char* const kRunTables[] = {"learning_curve", "test_episodes", "run_results", "run_plugins",
                                  "run_config"};

std::vector<std::string> columns_of(Database& db, const std::string& schema,
                                    const std::string& table) {
  // PRAGMA arguments cannot be bound; both names are constants of this file.
  Statement s = db.prepare("PRAGMA " + schema + ".table_info(" + table + ")");
  std::vector<std::string> names;
  while (s.step()) names.push_back(s.column_text(1));
  return names;
}

int64_t scalar(Database& db, const std::string& sql) {
  Statement s = db.prepare(sql);
  return s.step() ? s.column_int(0) : 0;
}

// Marks all but the smallest-UUID completed run of each cell (config hash
// and code identity) 'superseded'; returns a description of each conflict.
std::vector<std::string> resolve_conflicts(Database& db) {
  std::vector<std::string> conflicts;
  Statement twice = db.prepare(
      "SELECT config_hash, coalesce(code_id, ''), min(run_uuid), count(*), min(algorithm), "
      "min(dataset), min(seed) FROM runs WHERE status = 'completed' "
      "GROUP BY config_hash, code_id HAVING count(*) > 1");
  struct Conflict {
    std::string hash, code, keep, label;
    int64_t n;
  };
  std::vector<Conflict> found;
  while (twice.step()) {
    found.push_back(
        {twice.column_text(0), twice.column_text(1), twice.column_text(2),
         twice.column_text(4) + " " + twice.column_text(5) + " seed " + twice.column_text(6),
         twice.column_int(3)});
  }
  Statement supersede = db.prepare(
      "UPDATE runs SET status = 'superseded', error = ? WHERE config_hash = ? AND "
      "coalesce(code_id, '') = ? AND status = 'completed' AND run_uuid <> ?");
  for (const Conflict& c : found) {
    supersede.bind(1, "superseded by run " + c.keep +
                          ": the cell was completed in two databases; a merge keeps the run "
                          "with the smallest UUID");
    supersede.bind(2, c.hash).bind(3, c.code).bind(4, c.keep).run();
    conflicts.push_back(c.label + " (config " + c.hash.substr(0, 12) + "): completed " +
                        std::to_string(c.n) + " times; kept run " + c.keep +
                        ", the others are 'superseded'");
  }
  return conflicts;
}

}  // namespace

MergeReport merge_database(ResultsStore& out, const std::string& shard_path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::equivalent(out.path(), shard_path, ec)) {
    throw StoreError("cannot merge '" + shard_path + "' into itself");
  }
  { ResultsStore shard(shard_path, ResultsStore::Access::kReadOnly); }  // checks its version
  Database& db = out.database();
  db.prepare("ATTACH DATABASE ? AS shard").bind(1, shard_path).run();
  MergeReport report;
  try {
    Transaction tx(db);
    std::vector<std::string> columns = columns_of(db, "main", "runs");
    columns.erase(columns.begin());  // run_id: the output numbers its own runs
    std::vector<std::string> theirs = columns_of(db, "shard", "runs");
    if (!theirs.empty()) theirs.erase(theirs.begin());
    if (columns != theirs) {
      throw StoreError("'" + shard_path + "' has other run columns than '" + out.path() +
                       "' although both are at schema version " + std::to_string(kSchemaVersion));
    }
    const std::string list = join(columns, ", ");
    // source_run_id is an id of the shard's: NULL first, set below.
    std::vector<std::string> selected = columns;
    for (auto& c : selected) {
      if (c == "source_run_id") c = "NULL";
    }
    Statement runs = db.prepare(
        "SELECT run_id, run_uuid, status, source_run_id FROM shard.runs ORDER BY run_id");
    Statement exists = db.prepare("SELECT 1 FROM main.runs WHERE run_uuid = ?");
    Statement copy = db.prepare("INSERT INTO main.runs (" + list + ") SELECT " +
                                join(selected, ", ") + " FROM shard.runs WHERE run_id = ?");
    std::vector<Statement> copy_rows;
    for (const char* table : kRunTables) {
      std::vector<std::string> rest = columns_of(db, "main", table);
      rest.erase(std::find(rest.begin(), rest.end(), "run_id"));
      const std::string cols = join(rest, ", ");
      copy_rows.push_back(db.prepare(std::string("INSERT INTO main.") + table + " (run_id, " +
                                     cols + ") SELECT ?, " + cols + " FROM shard." + table +
                                     " WHERE run_id = ?"));
    }
    std::vector<std::pair<int64_t, int64_t>> sources;  // output run, shard source run
    while (runs.step()) {
      exists.reset();
      exists.bind(1, runs.column_text(1));
      if (exists.step()) {
        ++report.already;
        continue;
      }
      if (runs.column_text(2) == "running") {
        ++report.unfinished;
        continue;
      }
      const int64_t old_id = runs.column_int(0);
      copy.bind(1, old_id).run();
      const int64_t id = db.last_insert_id();
      if (!runs.is_null(3)) sources.emplace_back(id, runs.column_int(3));
      for (Statement& rows : copy_rows) rows.bind(1, id).bind(2, old_id).run();
      ++report.added;
    }
    // An evaluation's training run, by its UUID in the output (NULL when the
    // output does not have it).
    Statement source = db.prepare(
        "UPDATE main.runs SET source_run_id = (SELECT m.run_id FROM main.runs AS m JOIN "
        "shard.runs AS s ON m.run_uuid = s.run_uuid WHERE s.run_id = ?) WHERE run_id = ?");
    for (const auto& [id, old_source] : sources) source.bind(1, old_source).bind(2, id).run();
    report.conflicts = resolve_conflicts(db);
    tx.commit();
  } catch (...) {
    db.exec("DETACH DATABASE shard");
    throw;
  }
  db.exec("DETACH DATABASE shard");
  return report;
}

CheckReport check_database(ResultsStore& store) {
  Database& db = store.database();
  CheckReport report;
  Statement integrity = db.prepare("PRAGMA integrity_check");
  while (integrity.step()) {
    if (integrity.column_text(0) != "ok") {
      report.problems.push_back("integrity: " + integrity.column_text(0));
    }
  }
  std::map<std::string, int64_t> orphans;
  Statement keys = db.prepare("PRAGMA foreign_key_check");
  while (keys.step()) ++orphans[keys.column_text(0)];
  for (const auto& [table, n] : orphans) {
    report.problems.push_back(std::to_string(n) + " row(s) of " + table +
                              " refer to runs that are gone (deleted with foreign keys off, as "
                              "the sqlite3 shell does; `metabench db prune` deletes whole runs)");
  }
  Statement twice = db.prepare(
      "SELECT config_hash, count(*), group_concat(run_id, ', ') FROM runs WHERE status = "
      "'completed' GROUP BY config_hash, code_id HAVING count(*) > 1");
  while (twice.step()) {
    report.problems.push_back("cell " + twice.column_text(0).substr(0, 12) + " completed " +
                              twice.column_text(1) + " times by the same code (runs " +
                              twice.column_text(2) + ")");
  }
  const double now = unix_seconds();
  Statement claims =
      db.prepare("SELECT run_uuid, host, pid, process_start, expires_at FROM claims");
  while (claims.step()) {
    ClaimRecord c;
    c.run_uuid = claims.column_text(0);
    c.holder = {claims.column_text(1), claims.column_int(2), claims.column_text(3)};
    c.expires_at = claims.column_double(4);
    const std::string reason = c.stale_reason(now);
    if (!reason.empty()) {
      report.notes.push_back("stale claim " + c.run_uuid + ": " + reason +
                             " (the next sweep takes the cell over)");
    }
  }
  const int64_t left = scalar(db,
                              "SELECT count(*) FROM runs WHERE status = 'running' AND run_uuid "
                              "NOT IN (SELECT run_uuid FROM claims)");
  if (left > 0) {
    report.notes.push_back(std::to_string(left) +
                           " run(s) 'running' without a claim: their process was killed (the "
                           "next sweep marks them interrupted)");
  }
  return report;
}

int64_t prune_runs(ResultsStore& store, const std::string& status) {
  const std::set<std::string> allowed = {"failed", "interrupted", "diverged", "superseded"};
  if (!allowed.count(status)) {
    throw ConfigError("--status must be one of failed, interrupted, diverged, superseded, got '" +
                      status + "'");
  }
  Database& db = store.database();  // foreign keys on: deleting a run deletes its rows
  Transaction tx(db);
  db.prepare(
        "UPDATE runs SET source_run_id = NULL WHERE source_run_id IN "
        "(SELECT run_id FROM runs WHERE status = ?)")
      .bind(1, status)
      .run();
  db.prepare("DELETE FROM runs WHERE status = ?").bind(1, status).run();
  const int64_t n = db.changes();
  tx.commit();
  return n;
}

void backup_database(const std::string& path, const std::string& backup_path) {
  std::error_code ec;
  if (std::filesystem::exists(backup_path, ec)) {
    throw StoreError("backup '" + backup_path + "' exists already; move it away first");
  }
  Database db(path, Database::Mode::kReadOnly);
  db.prepare("VACUUM INTO ?").bind(1, backup_path).run();
}

}  // namespace metabench
