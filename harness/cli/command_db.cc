// `metabench db check|upgrade|merge|prune`: maintenance of results
// databases (results/db_tools.h).  `check` exits 1 when it finds a problem.
#include <cstdio>
#include <filesystem>

#include "core/strings.h"
#include "harness/cli/commands.h"
#include "metabench/errors.h"
#include "results/db_tools.h"
#include "results/schema.h"
#include "results/sqlite.h"
#include "results/store.h"

namespace po = boost::program_options;

namespace metabench {
namespace {

constexpr const char* kDbUsage =
    "usage: metabench db check DB.sqlite\n"
    "       metabench db upgrade DB.sqlite\n"
    "       metabench db merge OUT.sqlite SHARD.sqlite...\n"
    "       metabench db prune DB.sqlite --status failed|interrupted|diverged|superseded\n"
    "\n"
    "check    integrity, foreign keys, rows of deleted runs, stale claims, cells completed\n"
    "         twice; exit 0 when healthy, 1 when it lists problems\n"
    "upgrade  migrate to this build's schema in place, after writing DB.sqlite.vN.bak\n"
    "merge    copy every finished run of each shard, with all its rows, into OUT (created\n"
    "         if needed); a run already there (same run UUID) is not copied again\n"
    "prune    delete the runs with that status and all their rows (the sqlite3 shell\n"
    "         leaves orphaned rows: foreign keys are off there)\n";

int db_check(const std::string& path) {
  ResultsStore store(path, ResultsStore::Access::kReadOnly);
  const CheckReport report = check_database(store);
  for (const auto& p : report.problems) std::printf("problem: %s\n", p.c_str());
  for (const auto& n : report.notes) std::printf("note: %s\n", n.c_str());
  std::printf("%s: %zu problem(s), %zu note(s)\n", path.c_str(), report.problems.size(),
              report.notes.size());
  return report.problems.empty() ? 0 : 1;
}

int db_upgrade(const std::string& path) {
  int version = 0;
  {
    if (!std::filesystem::exists(path)) {
      throw StoreError("no results database at '" + path + "'");
    }
    Database db(path, Database::Mode::kReadOnly);
    version = check_schema(db);
  }
  if (version == 0) throw StoreError("'" + path + "' is an empty database, not metabench results");
  if (version == kSchemaVersion) {
    std::printf("%s is at schema version %d already; nothing to do\n", path.c_str(), version);
    return 0;
  }
  const std::string backup = path + ".v" + std::to_string(version) + ".bak";
  backup_database(path, backup);
  ResultsStore store(path, ResultsStore::Access::kReadWrite);
  std::printf("%s: upgraded from schema version %d to %d; the old database is in %s\n",
              path.c_str(), version, store.schema_version(), backup.c_str());
  return 0;
}

int db_merge(const std::vector<std::string>& paths) {
  if (paths.size() < 2) {
    throw ConfigError("db merge needs OUT.sqlite and at least one SHARD.sqlite, got " +
                      std::to_string(paths.size()) + " path(s)");
  }
  ResultsStore out(paths[0], ResultsStore::Access::kReadWrite);
  int64_t added = 0, conflicts = 0;
  for (size_t i = 1; i < paths.size(); ++i) {
    const MergeReport r = merge_database(out, paths[i]);
    std::printf("%s: %lld run(s) added, %lld already in %s", paths[i].c_str(),
                static_cast<long long>(r.added), static_cast<long long>(r.already),
                paths[0].c_str());
    if (r.unfinished > 0) {
      std::printf(", %lld still running (not merged; merge again when they end)",
                  static_cast<long long>(r.unfinished));
    }
    std::printf("\n");
    for (const auto& c : r.conflicts) std::printf("conflict: %s\n", c.c_str());
    added += r.added;
    conflicts += static_cast<int64_t>(r.conflicts.size());
  }
  std::printf("merged %zu database(s) into %s: %lld run(s) added, %lld conflict(s)\n",
              paths.size() - 1, paths[0].c_str(), static_cast<long long>(added),
              static_cast<long long>(conflicts));
  return 0;
}

}  // namespace

int command_db(const Args& args) {
  const std::vector<std::string> actions = {"check", "upgrade", "merge", "prune"};
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::fputs(kDbUsage, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  const std::string action = args[0];
  bool known = false;
  for (const auto& a : actions) known |= a == action;
  if (!known) {
    throw ConfigError("unknown action 'db " + action + "'" + did_you_mean(action, actions) +
                      "; expected one of " + join(actions, ", "));
  }
  std::vector<std::string> paths;
  std::string status;
  po::options_description options("options");
  options.add_options()("path", po::value(&paths)->composing(), "database files")(
      "status", po::value(&status), "prune: the status of the runs to delete");
  po::positional_options_description positional;
  positional.add("path", -1);
  po::variables_map values;
  const Args rest(args.begin() + 1, args.end());
  if (!parse_command_line("db " + action,
                          action == "merge"   ? "OUT.sqlite SHARD.sqlite..."
                          : action == "prune" ? "DB.sqlite --status STATUS"
                                              : "DB.sqlite",
                          options, positional, rest, values)) {
    return 0;
  }
  if (action == "merge") return db_merge(paths);
  if (paths.size() != 1) {
    throw ConfigError("db " + action + " takes one database path, got " +
                      std::to_string(paths.size()));
  }
  if (action == "check") return db_check(paths[0]);
  if (action == "upgrade") return db_upgrade(paths[0]);
  if (status.empty()) throw ConfigError("db prune needs --status (failed, interrupted, ...)");
  ResultsStore store(paths[0], ResultsStore::Access::kReadWrite);
  const int64_t n = prune_runs(store, status);
  std::printf("%s: deleted %lld %s run(s) with all their rows\n", paths[0].c_str(),
              static_cast<long long>(n), status.c_str());
  return 0;
}

}  // namespace metabench
