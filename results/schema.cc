#include "results/schema.h"

#include <yaml-cpp/yaml.h>

#include <string>

#include "core/config_family.h"
#include "core/raw_config.h"
#include "core/strings.h"
#include "metabench/errors.h"
#include "results/schema_migrations.h"
#include "results/sqlite.h"

namespace metabench {
namespace {

// The keys that did not affect results in schema version 2 (the schemas of
// the built-in algorithms and datasets then).  A migration is frozen in
// time, so this list is too; runs recorded from version 3 on store the
// family computed from the live schema.
bool ignored_in_version_2(const std::string& key) {
  for (const char* k : {"name", "data.root", "data.dir", "data.cache_dir", "algo.task_batching",
                        "algo.tasks_per_pass"}) {
    if (key == k) return true;
  }
  return starts_with(key, "runtime.");
}

// Binds the integer `key` of a stored config, or NULL when it has none.
void bind_stored_int(Statement& s, int index, const RawConfig& config, const std::string& key) {
  int64_t value = 0;
  const RawEntry* entry = config.find(key);
  if (entry && entry->node.IsScalar() && YAML::convert<int64_t>::decode(entry->node, value)) {
    s.bind(index, value);
  } else {
    s.bind_null(index);
  }
}

// Version 3's columns for the runs recorded before it, from their stored
// YAML.  A config that cannot be read as one (none written by metabench)
// keeps its runs apart: its family is its config hash.
void fill_report_columns(Database& db) {
  Statement select = db.prepare("SELECT run_id, config_hash, config_yaml FROM runs");
  Statement update = db.prepare(
      "UPDATE runs SET config_family = ?, inner_steps = ?, inner_steps_test = ? WHERE run_id = ?");
  while (select.step()) {
    RawConfig config;  // stays empty when the YAML is not a resolved config
    bool parsed = true;
    try {
      config = RawConfig::from_node(YAML::Load(select.column_text(2)), "stored config");
    } catch (const std::exception&) {
      parsed = false;  // see above
    }
    update.reset();
    update.bind(1, parsed ? config_family(config, ignored_in_version_2)
                          : select.column_text(1).substr(0, 8));
    bind_stored_int(update, 2, config, "optim.inner_steps");
    bind_stored_int(update, 3, config, "optim.inner_steps_test");
    update.bind(4, select.column_int(0));
    update.run();
  }
}

// Version 5's run_config rows for the runs recorded before it, from their
// stored YAML, with the effective training episode setting (0 in a config
// means "as at test"; the runs table holds what was used).
void fill_run_config(Database& db) {
  Statement select = db.prepare("SELECT run_id, config_yaml, train_ways, train_shots FROM runs");
  Statement insert =
      db.prepare("INSERT OR REPLACE INTO run_config (run_id, key, value) VALUES (?, ?, ?)");
  while (select.step()) {
    RawConfig config;
    try {
      config = RawConfig::from_node(YAML::Load(select.column_text(1)), "stored config");
    } catch (const std::exception&) {
      continue;  // not a resolved config (none written by metabench): no rows
    }
    const int64_t run_id = select.column_int(0);
    for (const auto& [key, entry] : config.entries()) {
      std::string value;
      if (entry.node.IsScalar()) {
        value = entry.node.Scalar();
      } else {
        YAML::Emitter out;
        out << YAML::Flow << entry.node;
        value = out.c_str();
      }
      insert.bind(1, run_id).bind(2, key).bind(3, value).run();
    }
    insert.bind(1, run_id).bind(2, "episode.train_ways").bind(3, select.column_text(2)).run();
    insert.bind(1, run_id).bind(2, "episode.train_shots").bind(3, select.column_text(3)).run();
  }
}

// One schema version's upgrade: SQL, then an optional C++ step (for what
// SQL cannot compute), in the same transaction.
struct Migration {
  const char* sql;
  void (*then)(Database& db);
};

// kMigrations[i] takes the schema from version i to version i + 1.  Accuracy
// is stored as a fraction and turned into percent only by the views defined
// here (run_summary, test_episode_scores): one place.
const Migration kMigrations[] = {
    // 0 -> 1
    {R"sql(
CREATE TABLE runs (
  run_id INTEGER PRIMARY KEY AUTOINCREMENT,
  sweep TEXT,
  name TEXT,
  config_hash TEXT NOT NULL,
  config_yaml TEXT NOT NULL,
  algorithm TEXT NOT NULL,
  dataset TEXT NOT NULL,
  backbone TEXT NOT NULL,
  ways INTEGER NOT NULL,
  shots INTEGER NOT NULL,
  queries INTEGER NOT NULL,
  train_ways INTEGER NOT NULL,
  train_shots INTEGER NOT NULL,
  seed INTEGER NOT NULL,
  eval_seed INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'interrupted')),
  error TEXT,
  git_commit TEXT,
  metabench_version TEXT,
  torch_version TEXT,
  threads INTEGER,
  device TEXT,
  host TEXT,
  cpu_model TEXT,
  pid INTEGER,
  dataset_checksum TEXT,
  test_episodes_checksum TEXT,
  checkpoint_path TEXT,
  started_at TEXT NOT NULL,
  finished_at TEXT
);
CREATE INDEX runs_by_config ON runs (config_hash, status);
CREATE TABLE learning_curve (
  run_id INTEGER NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
  step INTEGER NOT NULL,
  split TEXT NOT NULL CHECK (split IN ('train', 'val')),
  loss REAL,
  accuracy REAL,
  elapsed_seconds REAL NOT NULL
);
CREATE INDEX learning_curve_by_run ON learning_curve (run_id, split, step);
CREATE TABLE test_episodes (
  run_id INTEGER NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
  episode_index INTEGER NOT NULL,
  accuracy REAL,
  loss REAL NOT NULL,
  PRIMARY KEY (run_id, episode_index)
) WITHOUT ROWID;
CREATE TABLE run_results (
  run_id INTEGER PRIMARY KEY REFERENCES runs (run_id) ON DELETE CASCADE,
  test_accuracy REAL,
  test_accuracy_ci95 REAL,
  test_loss REAL,
  test_loss_ci95 REAL,
  test_episodes INTEGER NOT NULL,
  iterations INTEGER NOT NULL,
  data_seconds REAL,
  train_seconds REAL,
  val_seconds REAL,
  test_seconds REAL,
  seconds_per_iteration REAL,
  adapt_ms REAL,
  peak_rss_mb REAL,
  peak_device_mb REAL,
  best_val_step INTEGER,
  best_val_accuracy REAL,
  best_val_loss REAL
);
CREATE VIEW run_summary AS
SELECT r.run_id, r.algorithm, r.dataset, r.backbone, r.ways, r.shots, r.seed, r.status,
       100.0 * s.test_accuracy AS test_accuracy,
       100.0 * s.test_accuracy_ci95 AS test_ci95,
       s.test_episodes, s.train_seconds, s.seconds_per_iteration, s.adapt_ms,
       s.peak_rss_mb, s.peak_device_mb, r.config_hash,
       s.test_loss, s.test_loss_ci95, r.queries, r.sweep, r.test_episodes_checksum
FROM runs AS r LEFT JOIN run_results AS s USING (run_id);
)sql",
     nullptr},
    // 1 -> 2: cross-dataset evaluation runs and the source files' checksum.
    {R"sql(
ALTER TABLE runs ADD COLUMN kind TEXT NOT NULL DEFAULT 'train' CHECK (kind IN ('train', 'eval'));
ALTER TABLE runs ADD COLUMN source_run_id INTEGER REFERENCES runs (run_id);
ALTER TABLE runs ADD COLUMN source_checkpoint TEXT;
ALTER TABLE runs ADD COLUMN dataset_source_checksum TEXT;
DROP VIEW run_summary;
CREATE VIEW run_summary AS
SELECT r.run_id, r.algorithm, r.dataset, r.backbone, r.ways, r.shots, r.seed, r.status,
       100.0 * s.test_accuracy AS test_accuracy,
       100.0 * s.test_accuracy_ci95 AS test_ci95,
       s.test_episodes, s.train_seconds, s.seconds_per_iteration, s.adapt_ms,
       s.peak_rss_mb, s.peak_device_mb, r.config_hash,
       s.test_loss, s.test_loss_ci95, r.queries, r.sweep, r.test_episodes_checksum,
       r.kind, r.source_run_id
FROM runs AS r LEFT JOIN run_results AS s USING (run_id);
)sql",
     nullptr},
    // 2 -> 3: what reports group and plot by, recorded when a run starts
    // (fill_report_columns() computes them for the runs already there).
    {R"sql(
ALTER TABLE runs ADD COLUMN config_family TEXT;
ALTER TABLE runs ADD COLUMN inner_steps INTEGER;
ALTER TABLE runs ADD COLUMN inner_steps_test INTEGER;
DROP VIEW run_summary;
CREATE VIEW run_summary AS
SELECT r.run_id, r.algorithm, r.dataset, r.backbone, r.ways, r.shots, r.seed, r.status,
       100.0 * s.test_accuracy AS test_accuracy,
       100.0 * s.test_accuracy_ci95 AS test_ci95,
       s.test_episodes, s.train_seconds, s.seconds_per_iteration, s.adapt_ms,
       s.peak_rss_mb, s.peak_device_mb, r.config_hash,
       s.test_loss, s.test_loss_ci95, r.queries, r.sweep, r.test_episodes_checksum,
       r.kind, r.source_run_id,
       r.config_family, r.inner_steps, r.inner_steps_test, r.train_ways, r.train_shots
FROM runs AS r LEFT JOIN run_results AS s USING (run_id);
CREATE VIEW test_episode_scores AS
SELECT run_id, episode_index, 100.0 * accuracy AS accuracy, loss FROM test_episodes;
)sql",
     fill_report_columns},
    // 3 -> 4: code identity.  Runs recorded before it get the commit they
    // recorded as their identity, which no new run has: a sweep reports them
    // as recorded by other code.
    {R"sql(
ALTER TABLE runs ADD COLUMN code_id TEXT;
UPDATE runs SET code_id = 'commit:' || coalesce(git_commit, 'unknown');
CREATE INDEX runs_by_config_and_code ON runs (config_hash, code_id, status);
CREATE TABLE run_plugins (
  run_id INTEGER NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
  path TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  version TEXT NOT NULL,
  provides TEXT NOT NULL,
  PRIMARY KEY (run_id, path)
) WITHOUT ROWID;
DROP VIEW run_summary;
CREATE VIEW run_summary AS
SELECT r.run_id, r.algorithm, r.dataset, r.backbone, r.ways, r.shots, r.seed, r.status,
       100.0 * s.test_accuracy AS test_accuracy,
       100.0 * s.test_accuracy_ci95 AS test_ci95,
       s.test_episodes, s.train_seconds, s.seconds_per_iteration, s.adapt_ms,
       s.peak_rss_mb, s.peak_device_mb, r.config_hash,
       s.test_loss, s.test_loss_ci95, r.queries, r.sweep, r.test_episodes_checksum,
       r.kind, r.source_run_id,
       r.config_family, r.inner_steps, r.inner_steps_test, r.train_ways, r.train_shots,
       r.code_id, r.git_commit
FROM runs AS r LEFT JOIN run_results AS s USING (run_id);
)sql",
     nullptr},
    // 4 -> 5: every run's effective config as rows, for SQL queries and for
    // the reports' like-for-like check against published numbers; what can
    // change speed or the last bits: BLAS, allocator, build, instruction sets.
    {R"sql(
ALTER TABLE runs ADD COLUMN blas TEXT;
ALTER TABLE runs ADD COLUMN allocator TEXT;
ALTER TABLE runs ADD COLUMN build_settings TEXT;
ALTER TABLE runs ADD COLUMN cpu_isa TEXT;
ALTER TABLE runs ADD COLUMN command TEXT;
DROP VIEW run_summary;
CREATE VIEW run_summary AS
SELECT r.run_id, r.algorithm, r.dataset, r.backbone, r.ways, r.shots, r.seed, r.status,
       100.0 * s.test_accuracy AS test_accuracy,
       100.0 * s.test_accuracy_ci95 AS test_ci95,
       s.test_episodes, s.train_seconds, s.seconds_per_iteration, s.adapt_ms,
       s.peak_rss_mb, s.peak_device_mb, r.config_hash,
       s.test_loss, s.test_loss_ci95, r.queries, r.sweep, r.test_episodes_checksum,
       r.kind, r.source_run_id,
       r.config_family, r.inner_steps, r.inner_steps_test, r.train_ways, r.train_shots,
       r.code_id, r.git_commit, r.command
FROM runs AS r LEFT JOIN run_results AS s USING (run_id);
CREATE TABLE run_config (
  run_id INTEGER NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (run_id, key)
) WITHOUT ROWID;
)sql",
     fill_run_config},
    // 5 -> 6: run UUIDs, claims and two statuses (results/schema_v6.cc).
    {kMigration6Sql, fill_run_uuids},
    // 6 -> 7: resumable runs (the training snapshot a run writes, and how
    // often it was resumed from one), runs split over processes (c10d world
    // size), and the accelerator's name and driver.
    {R"sql(
ALTER TABLE runs ADD COLUMN snapshot_path TEXT;
ALTER TABLE runs ADD COLUMN resumes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN world_size INTEGER NOT NULL DEFAULT 1;
ALTER TABLE runs ADD COLUMN device_name TEXT;
)sql",
     nullptr},
};

static_assert(sizeof(kMigrations) / sizeof(kMigrations[0]) == kSchemaVersion,
              "one migration per schema version");

int read_pragma(Database& db, const char* pragma) {
  Statement s = db.prepare(std::string("PRAGMA ") + pragma);
  return s.step() ? static_cast<int>(s.column_int(0)) : 0;
}

}  // namespace

int check_schema(Database& db) {
  int version = 0;
  int application = 0;
  int tables = 0;
  try {
    // One statement, one snapshot: read apart, another process's first
    // migration could commit between the reads.
    Statement s = db.prepare(
        "SELECT (SELECT user_version FROM pragma_user_version), "
        "(SELECT application_id FROM pragma_application_id), "
        "(SELECT count(*) FROM sqlite_master)");
    if (s.step()) {
      version = static_cast<int>(s.column_int(0));
      application = static_cast<int>(s.column_int(1));
      tables = static_cast<int>(s.column_int(2));
    }
  } catch (const StoreError& e) {
    throw StoreError("'" + db.path() + "' is not a SQLite database (" + e.what() + ")");
  }
  if (application != kApplicationId && (tables > 0 || version > 0)) {
    throw StoreError("'" + db.path() +
                     "' is a SQLite database but not a metabench results database "
                     "(application_id " +
                     std::to_string(application) + ", expected " + std::to_string(kApplicationId) +
                     "); choose another --db path");
  }
  if (version > kSchemaVersion) {
    throw StoreError("results database '" + db.path() + "' has schema version " +
                     std::to_string(version) + ", written by a newer metabench; this build " +
                     "supports versions up to " + std::to_string(kSchemaVersion) +
                     "; upgrade metabench or use another --db path");
  }
  return version;
}

void migrate(Database& db, int target) {
  int version = check_schema(db);
  if (version >= target) return;
  // Off for the migration (a no-op inside a transaction, so here): rebuilding
  // a table drops the old one, which must not cascade (version 6).
  db.exec("PRAGMA foreign_keys = OFF");
  while (version < target) {
    Transaction tx(db);
    // Re-read inside the write lock: another process may have migrated.
    version = read_pragma(db, "user_version");
    if (version >= target) break;
    db.exec(kMigrations[version].sql);
    if (kMigrations[version].then) kMigrations[version].then(db);
    Statement broken = db.prepare("PRAGMA foreign_key_check");
    if (broken.step()) {
      throw InternalError("migrating '" + db.path() + "' to schema version " +
                          std::to_string(version + 1) + " broke a foreign key in table '" +
                          broken.column_text(0) + "'; the database was left at version " +
                          std::to_string(version));
    }
    db.exec("PRAGMA application_id = " + std::to_string(kApplicationId));
    db.exec("PRAGMA user_version = " + std::to_string(version + 1));
    tx.commit();
    ++version;
  }
}

}  // namespace metabench
