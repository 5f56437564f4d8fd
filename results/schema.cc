#include "results/schema.h"

#include <yaml-cpp/yaml.h>

#include <string>

#include "core/config_family.h"
#include "core/strings.h"
#include "metabench/errors.h"
#include "results/sqlite.h"

namespace metabench {
namespace {

// kMigrations[i] takes the schema from version i to version i + 1.  Accuracy
// is stored as a fraction and turned into percent only by the views defined
// here (run_summary, test_episode_scores): one place.
const char* const kMigrations[] = {
    // 0 -> 1
    R"sql(
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
    // 1 -> 2: cross-dataset evaluation runs and the source files' checksum.
    R"sql(
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
    // 2 -> 3: what reports group and plot by, recorded when a run starts
    // (fill_report_columns() computes them for the runs already there).
    R"sql(
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
};

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

// optim.<key> of a stored config, or -1 when it has none.
int64_t stored_int(const YAML::Node& root, const char* section, const char* key) {
  try {
    const YAML::Node node = root[section][key];
    return node && node.IsScalar() ? node.as<int64_t>() : -1;
  } catch (const YAML::Exception&) {
    return -1;
  }
}

// Version 3's columns for the runs recorded before it, from their stored
// YAML.  A config that is not a YAML map (none written by metabench) keeps
// its runs apart: its family is its config hash.
void fill_report_columns(Database& db) {
  Statement select = db.prepare("SELECT run_id, config_hash, config_yaml FROM runs");
  Statement update = db.prepare(
      "UPDATE runs SET config_family = ?, inner_steps = ?, inner_steps_test = ? WHERE run_id = ?");
  while (select.step()) {
    const std::string hash = select.column_text(1), yaml = select.column_text(2);
    std::string family = hash.substr(0, 8);
    int64_t steps = -1, steps_test = -1;
    try {
      family = config_family(yaml, ignored_in_version_2);
      const YAML::Node root = YAML::Load(yaml);
      steps = stored_int(root, "optim", "inner_steps");
      steps_test = stored_int(root, "optim", "inner_steps_test");
    } catch (const std::exception&) {
      // Not a resolved config; see above.
    }
    update.reset();
    update.bind(1, family);
    if (steps >= 0)
      update.bind(2, steps);
    else
      update.bind_null(2);
    if (steps_test >= 0)
      update.bind(3, steps_test);
    else
      update.bind_null(3);
    update.bind(4, select.column_int(0));
    update.run();
  }
}

// C++ steps that follow the SQL of a migration, in the same transaction.
void after_migration(Database& db, int to_version) {
  if (to_version == 3) fill_report_columns(db);
}

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
    version = read_pragma(db, "user_version");
    application = read_pragma(db, "application_id");
    Statement s = db.prepare("SELECT count(*) FROM sqlite_master");
    tables = s.step() ? static_cast<int>(s.column_int(0)) : 0;
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
  while (version < target) {
    Transaction tx(db);
    // Re-read inside the write lock: another process may have migrated.
    version = read_pragma(db, "user_version");
    if (version >= target) break;
    db.exec(kMigrations[version]);
    after_migration(db, version + 1);
    db.exec("PRAGMA application_id = " + std::to_string(kApplicationId));
    db.exec("PRAGMA user_version = " + std::to_string(version + 1));
    tx.commit();
    ++version;
  }
}

}  // namespace metabench
