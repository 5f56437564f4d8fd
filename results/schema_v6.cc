#include <cstdint>
#include <vector>

#include "core/process.h"
#include "results/schema_migrations.h"
#include "results/sqlite.h"

namespace metabench {

const char* const kMigration6Sql = R"sql(
DROP VIEW run_summary;
DROP VIEW test_episode_scores;
CREATE TABLE runs_v6 (
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
  status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'interrupted',
                                         'diverged', 'superseded')),
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
  finished_at TEXT,
  kind TEXT NOT NULL DEFAULT 'train' CHECK (kind IN ('train', 'eval')),
  source_run_id INTEGER REFERENCES runs (run_id),
  source_checkpoint TEXT,
  dataset_source_checksum TEXT,
  config_family TEXT,
  inner_steps INTEGER,
  inner_steps_test INTEGER,
  code_id TEXT,
  blas TEXT,
  allocator TEXT,
  build_settings TEXT,
  cpu_isa TEXT,
  command TEXT,
  run_uuid TEXT NOT NULL UNIQUE
);
INSERT INTO runs_v6
SELECT run_id, sweep, name, config_hash, config_yaml, algorithm, dataset, backbone, ways, shots,
       queries, train_ways, train_shots, seed, eval_seed, status, error, git_commit,
       metabench_version, torch_version, threads, device, host, cpu_model, pid,
       dataset_checksum, test_episodes_checksum, checkpoint_path, started_at, finished_at, kind,
       source_run_id, source_checkpoint, dataset_source_checksum, config_family, inner_steps,
       inner_steps_test, code_id, blas, allocator, build_settings, cpu_isa, command,
       'pending-' || run_id
FROM runs;
-- Keep AUTOINCREMENT's high-water mark: a deleted run's id is never reused.
DELETE FROM sqlite_sequence WHERE name = 'runs_v6';
UPDATE sqlite_sequence SET name = 'runs_v6' WHERE name = 'runs';
DROP TABLE runs;
ALTER TABLE runs_v6 RENAME TO runs;
CREATE INDEX runs_by_config ON runs (config_hash, status);
CREATE INDEX runs_by_config_and_code ON runs (config_hash, code_id, status);
CREATE VIEW run_summary AS
SELECT r.run_id, r.algorithm, r.dataset, r.backbone, r.ways, r.shots, r.seed, r.status,
       100.0 * s.test_accuracy AS test_accuracy,
       100.0 * s.test_accuracy_ci95 AS test_ci95,
       s.test_episodes, s.train_seconds, s.seconds_per_iteration, s.adapt_ms,
       s.peak_rss_mb, s.peak_device_mb, r.config_hash,
       s.test_loss, s.test_loss_ci95, r.queries, r.sweep, r.test_episodes_checksum,
       r.kind, r.source_run_id,
       r.config_family, r.inner_steps, r.inner_steps_test, r.train_ways, r.train_shots,
       r.code_id, r.git_commit, r.command, r.run_uuid
FROM runs AS r LEFT JOIN run_results AS s USING (run_id);
CREATE VIEW test_episode_scores AS
SELECT run_id, episode_index, 100.0 * accuracy AS accuracy, loss FROM test_episodes;
CREATE TABLE claims (
  cell TEXT PRIMARY KEY,
  run_uuid TEXT NOT NULL UNIQUE,
  code_id TEXT NOT NULL,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  process_start TEXT NOT NULL,
  claimed_at REAL NOT NULL,
  lease_seconds REAL NOT NULL,
  expires_at REAL NOT NULL
);
)sql";

void fill_run_uuids(Database& db) {
  std::vector<int64_t> ids;
  Statement select = db.prepare("SELECT run_id FROM runs");
  while (select.step()) ids.push_back(select.column_int(0));
  Statement update = db.prepare("UPDATE runs SET run_uuid = ? WHERE run_id = ?");
  for (int64_t id : ids) update.bind(1, random_uuid()).bind(2, id).run();
}

}  // namespace metabench
