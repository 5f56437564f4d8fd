// The SQLite results store: schema versioning, refusals that leave files
// untouched, the documented view, and the run life cycle.
#include "results/store.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/config/experiment_config.h"
#include "metabench/errors.h"
#include "metabench/sha256.h"
#include "results/claims.h"
#include "results/schema.h"
#include "tests/test_util.h"

namespace metabench {
namespace {

using testing::TempDir;

std::string error_opening(const std::string& path, ResultsStore::Access access) {
  try {
    ResultsStore store(path, access);
  } catch (const StoreError& e) {
    return e.what();
  }
  return "";
}

RunRecord sample_run(const std::string& hash) {
  RunRecord r;
  r.config_hash = hash;
  r.config_yaml = "algorithm: protonet\n";
  r.algorithm = "protonet";
  r.dataset = "synthetic-glyphs";
  r.backbone = "conv4";
  r.ways = 5;
  r.shots = 1;
  r.queries = 15;
  r.train_ways = 5;
  r.train_shots = 1;
  r.seed = 3;
  r.host = "test-host";
  r.pid = getpid();
  return r;
}

int64_t count(Database& db, const std::string& sql) {
  Statement s = db.prepare(sql);
  return s.step() ? s.column_int(0) : -1;
}

TEST(ResultsStore, CreatesVersionedSchemaInWalMode) {
  TempDir dir;
  ResultsStore store(dir.file("sub/dir/results.sqlite"), ResultsStore::Access::kReadWrite);
  EXPECT_EQ(store.schema_version(), kSchemaVersion);
  EXPECT_EQ(count(store.database(), "PRAGMA application_id"), kApplicationId);
  Statement mode = store.database().prepare("PRAGMA journal_mode");
  ASSERT_TRUE(mode.step());
  EXPECT_EQ(mode.column_text(0), "wal");
  for (const char* table : {"runs", "learning_curve", "test_episodes", "run_results"}) {
    Statement s = store.database().prepare("SELECT count(*) FROM sqlite_master WHERE name = ?");
    s.bind(1, table);
    ASSERT_TRUE(s.step());
    EXPECT_EQ(s.column_int(0), 1) << table;
  }
  // Opening again is a no-op migration.
  ResultsStore again(dir.file("sub/dir/results.sqlite"), ResultsStore::Access::kReadWrite);
  EXPECT_EQ(again.schema_version(), kSchemaVersion);
}

TEST(ResultsStore, RefusesNewerSchemaAndLeavesFileUntouched) {
  TempDir dir;
  const std::string path = dir.file("newer.sqlite");
  {
    ResultsStore store(path, ResultsStore::Access::kReadWrite);
    store.database().exec("PRAGMA user_version = " + std::to_string(kSchemaVersion + 1));
    store.database().exec("PRAGMA journal_mode = DELETE");
  }
  const std::string before = sha256_file(path);
  for (auto access : {ResultsStore::Access::kReadWrite, ResultsStore::Access::kReadOnly}) {
    EXPECT_EQ(error_opening(path, access),
              "results database '" + path + "' has schema version " +
                  std::to_string(kSchemaVersion + 1) +
                  ", written by a newer metabench; this build supports versions up to " +
                  std::to_string(kSchemaVersion) + "; upgrade metabench or use another --db path");
  }
  EXPECT_EQ(sha256_file(path), before);
}

TEST(ResultsStore, RefusesForeignFilesUntouched) {
  TempDir dir;
  const std::string text = dir.file("notes.txt");
  testing::write_text(text, "this is not a database, it is a long enough text file to matter\n");
  const std::string before = sha256_file(text);
  EXPECT_NE(error_opening(text, ResultsStore::Access::kReadWrite).find("is not a SQLite database"),
            std::string::npos);
  EXPECT_EQ(sha256_file(text), before);

  const std::string other = dir.file("other.sqlite");
  {
    Database db(other, Database::Mode::kReadWrite);
    db.exec("CREATE TABLE mine (x INTEGER)");
  }
  EXPECT_NE(error_opening(other, ResultsStore::Access::kReadWrite)
                .find("is a SQLite database but not a metabench results database"),
            std::string::npos);
}

TEST(ResultsStore, ReportsUnusablePaths) {
  TempDir dir;
  EXPECT_EQ(error_opening(dir.path(), ResultsStore::Access::kReadWrite),
            "results database path '" + dir.path() + "' is a directory, expected a file");
  testing::write_text(dir.file("plain"), "x");
  EXPECT_NE(error_opening(dir.file("plain/sub/r.sqlite"), ResultsStore::Access::kReadWrite)
                .find("cannot create the results database"),
            std::string::npos);
  EXPECT_EQ(error_opening(dir.file("absent.sqlite"), ResultsStore::Access::kReadOnly),
            "no results database at '" + dir.file("absent.sqlite") +
                "' (expected a file written by `metabench run` or `metabench sweep`)");
}

TEST(ResultsStore, RunSummaryViewHasTheDocumentedColumns) {
  TempDir dir;
  ResultsStore store(dir.file("r.sqlite"), ResultsStore::Access::kReadWrite);
  Statement info = store.database().prepare("PRAGMA table_info(run_summary)");
  std::vector<std::string> columns;
  while (info.step()) columns.push_back(info.column_text(1));
  const std::vector<std::string> documented = {"run_id",
                                               "algorithm",
                                               "dataset",
                                               "backbone",
                                               "ways",
                                               "shots",
                                               "seed",
                                               "status",
                                               "test_accuracy",
                                               "test_ci95",
                                               "test_episodes",
                                               "train_seconds",
                                               "seconds_per_iteration",
                                               "adapt_ms",
                                               "peak_rss_mb",
                                               "peak_device_mb",
                                               "config_hash",
                                               "test_loss",
                                               "test_loss_ci95",
                                               "queries",
                                               "sweep",
                                               "test_episodes_checksum",
                                               "kind",
                                               "source_run_id",
                                               "config_family",
                                               "inner_steps",
                                               "inner_steps_test",
                                               "train_ways",
                                               "train_shots",
                                               "code_id",
                                               "git_commit"};
  ASSERT_GE(columns.size(), documented.size());
  EXPECT_EQ(std::vector<std::string>(columns.begin(), columns.begin() + documented.size()),
            documented);
}

TEST(ResultsStore, UpgradesAVersion1DatabaseKeepingItsRuns) {
  TempDir dir;
  const std::string path = dir.file("old.sqlite");
  {
    Database db(path, Database::Mode::kReadWrite);
    migrate(db, 1);
    db.exec(
        "INSERT INTO runs (config_hash, config_yaml, algorithm, dataset, backbone, ways, shots, "
        "queries, train_ways, train_shots, seed, eval_seed, status, started_at) VALUES "
        "('old', 'x: 1', 'maml', 'sinusoid', 'mlp', 1, 10, 10, 1, 10, 1, 0, 'completed', 't')");
  }
  ResultsStore store(path, ResultsStore::Access::kReadWrite);
  EXPECT_EQ(store.schema_version(), kSchemaVersion);
  Statement s =
      store.database().prepare("SELECT config_hash, kind, source_run_id IS NULL FROM runs");
  ASSERT_TRUE(s.step());
  EXPECT_EQ(s.column_text(0), "old");
  EXPECT_EQ(s.column_text(1), "train");
  EXPECT_EQ(s.column_int(2), 1);
  EXPECT_FALSE(s.step());
  EXPECT_EQ(store.completed_run("old").value(), 1);
}

// Version 4's code identity: a run recorded before it is identified by the
// commit it recorded, which no new run's identity equals, so a sweep sees
// it as recorded by other code (and keeps it).
TEST(ResultsStore, UpgradeToVersion4IdentifiesOldRunsByTheirCommit) {
  TempDir dir;
  const std::string path = dir.file("old.sqlite");
  {
    Database db(path, Database::Mode::kReadWrite);
    migrate(db, 3);
    db.exec(
        "INSERT INTO runs (config_hash, config_yaml, algorithm, dataset, backbone, ways, shots, "
        "queries, train_ways, train_shots, seed, eval_seed, status, started_at, git_commit) "
        "VALUES ('h', 'x: 1', 'maml', 'sinusoid', 'mlp', 1, 10, 10, 1, 10, 1, 0, 'completed', "
        "'t', 'abc123-dirty')");
  }
  ResultsStore store(path, ResultsStore::Access::kReadWrite);
  EXPECT_EQ(store.schema_version(), kSchemaVersion);
  // Version 5 filled run_config from the stored YAML.
  EXPECT_EQ(store.config_values(1).at("x"), "1");
  EXPECT_EQ(store.config_values(1).at("episode.train_ways"), "1");
  const auto runs = store.completed_runs("h");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].code_id, "commit:abc123-dirty");
  RunRecord r = sample_run("h");
  r.code_id = "metabench:0123456789ab";
  r.plugins = {PluginIdentity{"/p/libx.so", "ff00", "2.0", {"algorithm x", "dataset y"}}};
  const int64_t id = store.begin_run(r, "2026-01-01T00:00:00Z");
  store.complete_run(id, {{0, 1.0, 0.1}}, RunSummary{}, "2026-01-01T00:01:00Z");
  const auto both = store.completed_runs("h");
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[1].run_id, id);
  EXPECT_EQ(both[1].code_id, "metabench:0123456789ab");
  Statement p = store.database().prepare(
      "SELECT path, sha256, version, provides FROM run_plugins WHERE run_id = ?");
  p.bind(1, id);
  ASSERT_TRUE(p.step());
  EXPECT_EQ(p.column_text(0), "/p/libx.so");
  EXPECT_EQ(p.column_text(1), "ff00");
  EXPECT_EQ(p.column_text(2), "2.0");
  EXPECT_EQ(p.column_text(3), "algorithm x, dataset y");
  EXPECT_FALSE(p.step());
}

TEST(ResultsStore, RunLifeCycleAndPercentagesInTheView) {
  TempDir dir;
  ResultsStore store(dir.file("r.sqlite"), ResultsStore::Access::kReadWrite);
  const int64_t id = store.begin_run(sample_run("h1"), "2026-01-01T00:00:00Z");
  EXPECT_FALSE(store.completed_run("h1").has_value());
  store.add_curve_points(id, {{10, "train", 1.2, 0.4, 1.0}, {10, "val", 1.1, 0.45, 1.5}});
  RunSummary summary;
  summary.test_accuracy = 0.5;
  summary.test_accuracy_ci95 = 0.02;
  summary.test_episodes = 2;
  store.complete_run(id, {{0, 0.4, 1.0}, {1, 0.6, 0.8}}, summary, "2026-01-01T00:01:00Z");
  EXPECT_EQ(store.completed_run("h1"), id);
  Statement s = store.database().prepare(
      "SELECT status, test_accuracy, test_ci95, test_episodes FROM run_summary WHERE run_id = ?");
  s.bind(1, id);
  ASSERT_TRUE(s.step());
  EXPECT_EQ(s.column_text(0), "completed");
  EXPECT_DOUBLE_EQ(s.column_double(1), 50.0);
  EXPECT_DOUBLE_EQ(s.column_double(2), 2.0);
  EXPECT_EQ(s.column_int(3), 2);
  EXPECT_EQ(count(store.database(), "SELECT count(*) FROM test_episodes"), 2);
  EXPECT_EQ(count(store.database(), "SELECT count(*) FROM learning_curve"), 2);
  // end_run never rewrites a finished run.
  store.end_run(id, "failed", "late", "2026-01-01T00:02:00Z");
  EXPECT_EQ(count(store.database(), "SELECT count(*) FROM runs WHERE status = 'completed'"), 1);
}

// A 'running' run is alive while its claim is: a claim whose holder died
// (on this host) or whose lease expired is stale, and its run becomes
// interrupted; a live holder's run is left alone.
TEST(ResultsStore, OrphanedRunsOfDeadOrExpiredClaimsBecomeInterrupted) {
  TempDir dir;
  ResultsStore store(dir.file("r.sqlite"), ResultsStore::Access::kReadWrite);
  const pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);  // now a pid of a process that no longer exists
  auto claimed = [&](const std::string& cell, ClaimHolder holder, double lease) {
    ClaimRequest request;
    request.cell = cell;
    request.code_id = "c";
    request.lease_seconds = lease;
    request.holder = holder;
    const ClaimAttempt a = claim_cell(store.database(), request);
    EXPECT_EQ(a.outcome, ClaimAttempt::Outcome::kClaimed);
    RunRecord r = sample_run(cell);
    r.run_uuid = a.run_uuid;
    return store.begin_run(r, "t");
  };
  ClaimHolder dead = ClaimHolder::self();
  dead.pid = child;
  dead.start = "1";
  const int64_t dead_id = claimed("dead", dead, 60);
  const int64_t expired_id = claimed("expired", ClaimHolder::self(), -1);
  const int64_t alive_id = claimed("alive", ClaimHolder::self(), 60);
  // A reused pid: this process's pid with another start time is not this process.
  ClaimHolder reused = ClaimHolder::self();
  reused.start = "0";
  const int64_t reused_id = claimed("reused", reused, 60);
  // On another host, only the lease counts.
  ClaimHolder remote = dead;
  remote.host = "elsewhere/00000000";
  const int64_t remote_id = claimed("remote", remote, 60);
  EXPECT_EQ(close_orphaned_runs(store.database()), 3);
  auto status = [&](int64_t id) {
    Statement s = store.database().prepare("SELECT status FROM runs WHERE run_id = ?");
    s.bind(1, id);
    EXPECT_TRUE(s.step());
    return s.column_text(0);
  };
  EXPECT_EQ(status(dead_id), "interrupted");
  EXPECT_EQ(status(expired_id), "interrupted");
  EXPECT_EQ(status(reused_id), "interrupted");
  EXPECT_EQ(status(alive_id), "running");
  EXPECT_EQ(status(remote_id), "running");
  EXPECT_EQ(count(store.database(), "SELECT count(*) FROM claims"), 2);
}

}  // namespace
}  // namespace metabench

namespace metabench {
namespace {

// The 2 -> 3 migration fills the columns reports group and plot by from the
// stored YAML, with the same family a run records from the live schema: two
// seeds and two thread counts of one config are one family; another inner
// step count is another.
TEST(ResultsStore, UpgradeFromVersion2FillsTheFamilyAndInnerStepsAsARunWould) {
  TempDir dir;
  const std::string path = dir.file("v2.sqlite");
  const std::vector<std::vector<std::string>> configs = {
      {"algorithm=maml", "seed=1", "runtime.threads=1", "algo.tasks_per_pass=2"},
      {"algorithm=maml", "seed=2", "runtime.threads=2"},
      {"algorithm=maml", "seed=1", "optim.inner_steps=2"}};
  std::vector<ExperimentConfig> resolved;
  {
    Database db(path, Database::Mode::kReadWrite);
    migrate(db, 2);
    for (const auto& assignments : configs) {
      resolved.push_back(resolve_assignments(assignments));
      Statement s = db.prepare(
          "INSERT INTO runs (config_hash, config_yaml, algorithm, dataset, backbone, ways, shots, "
          "queries, train_ways, train_shots, seed, eval_seed, status, started_at) VALUES "
          "(?, ?, 'maml', 'synthetic-glyphs', 'conv4', 5, 1, 15, 5, 1, 1, 0, 'completed', 't')");
      s.bind(1, resolved.back().hash).bind(2, resolved.back().yaml);
      s.run();
    }
  }
  ResultsStore store(path, ResultsStore::Access::kReadWrite);
  EXPECT_EQ(store.schema_version(), kSchemaVersion);
  Statement s = store.database().prepare(
      "SELECT config_family, inner_steps, inner_steps_test FROM run_summary ORDER BY run_id");
  for (const ExperimentConfig& cfg : resolved) {
    ASSERT_TRUE(s.step());
    EXPECT_EQ(s.column_text(0), cfg.family);
    EXPECT_EQ(s.column_int(1), cfg.inner_steps);
    EXPECT_EQ(s.column_int(2), cfg.inner_steps_test);
  }
  EXPECT_FALSE(s.step());
  EXPECT_EQ(resolved[0].family, resolved[1].family);
  EXPECT_NE(resolved[0].family, resolved[2].family);
  EXPECT_EQ(resolved[0].family.size(), 8u);
}

}  // namespace
}  // namespace metabench
