#include "results/schema.h"

#include <string>

#include "harness/core/errors.h"
#include "results/sqlite.h"

namespace metabench {
namespace {

// kMigrations[i] takes the schema from version i to version i + 1.
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
    db.exec("PRAGMA application_id = " + std::to_string(kApplicationId));
    db.exec("PRAGMA user_version = " + std::to_string(version + 1));
    tx.commit();
    ++version;
  }
}

}  // namespace metabench
