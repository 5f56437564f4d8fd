// `metabench db`: merging shards (idempotent by run UUID, conflicts resolved
// the same way whatever the order), checking health (orphaned rows, cells
// completed twice), pruning with every dependent row, upgrading with a
// backup; and the 5 -> 6 migration that rebuilds `runs`.
#include "results/db_tools.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "results/schema.h"
#include "results/sqlite.h"
#include "results/store.h"
#include "tests/test_util.h"

namespace metabench {
namespace {

using testing::TempDir;

RunRecord record(const std::string& hash, int64_t seed) {
  RunRecord r;
  r.config_hash = hash;
  r.config_yaml = "algorithm: protonet\nseed: " + std::to_string(seed) + "\n";
  r.algorithm = "protonet";
  r.dataset = "synthetic-glyphs";
  r.backbone = "conv4";
  r.ways = 5;
  r.shots = 1;
  r.queries = 15;
  r.train_ways = 5;
  r.train_shots = 1;
  r.seed = seed;
  r.code_id = "metabench:test";
  r.config_values = {{"seed", std::to_string(seed)}};
  return r;
}

// A completed run with two episodes, a curve point and a config row.
int64_t add_completed(ResultsStore& store, const std::string& hash, int64_t seed, double acc) {
  const int64_t id = store.begin_run(record(hash, seed), "t0");
  store.add_curve_points(id, {{5, "val", 1.0, acc, 1.0}});
  RunSummary s;
  s.test_accuracy = acc;
  s.test_episodes = 2;
  store.complete_run(id, {{0, acc, 1.0}, {1, acc, 0.5}}, s, "t1");
  return id;
}

int64_t count(ResultsStore& store, const std::string& sql) {
  Statement s = store.database().prepare(sql);
  return s.step() ? s.column_int(0) : -1;
}

TEST(DbTools, MergeCopiesRunsWithTheirRowsOnceAndResolvesConflictsByUuid) {
  TempDir dir;
  {
    ResultsStore a(dir.file("a.sqlite"), ResultsStore::Access::kReadWrite);
    add_completed(a, "h1", 1, 0.5);
    add_completed(a, "shared", 2, 0.6);
    a.end_run(a.begin_run(record("h3", 3), "t"), "failed", "boom", "t");
    a.begin_run(record("h4", 4), "t");  // still running: not merged
    ResultsStore b(dir.file("b.sqlite"), ResultsStore::Access::kReadWrite);
    add_completed(b, "h2", 5, 0.7);
    add_completed(b, "shared", 2, 0.65);
  }
  std::string keep;
  for (const std::string order : {"ab", "ba"}) {
    const std::string out_path = dir.file("out-" + order + ".sqlite");
    ResultsStore out(out_path, ResultsStore::Access::kReadWrite);
    const std::string first = dir.file(order.substr(0, 1) + ".sqlite");
    const std::string second = dir.file(order.substr(1, 1) + ".sqlite");
    const MergeReport r1 = merge_database(out, first);
    const MergeReport r2 = merge_database(out, second);
    EXPECT_EQ(r1.added + r2.added, 5);
    EXPECT_EQ(r1.unfinished + r2.unfinished, 1);
    ASSERT_EQ(r1.conflicts.size() + r2.conflicts.size(), 1u);
    const MergeReport again = merge_database(out, first);
    EXPECT_EQ(again.added, 0);
    EXPECT_EQ(again.already, order == "ab" ? 3 : 2);
    EXPECT_EQ(count(out, "SELECT count(*) FROM runs"), 5);
    EXPECT_EQ(count(out, "SELECT count(*) FROM test_episodes"), 8);
    EXPECT_EQ(count(out, "SELECT count(*) FROM learning_curve"), 4);
    EXPECT_EQ(count(out, "SELECT count(*) FROM run_config"), 5);
    EXPECT_EQ(count(out, "SELECT count(*) FROM runs WHERE status = 'superseded'"), 1);
    EXPECT_EQ(count(out,
                    "SELECT count(*) FROM runs WHERE config_hash = 'shared' AND "
                    "status = 'completed' AND run_uuid = (SELECT min(run_uuid) FROM runs "
                    "WHERE config_hash = 'shared')"),
              1);
    Statement kept = out.database().prepare(
        "SELECT run_uuid FROM runs WHERE config_hash = 'shared' AND status = 'completed'");
    ASSERT_TRUE(kept.step());
    if (keep.empty()) keep = kept.column_text(0);
    EXPECT_EQ(kept.column_text(0), keep) << "the same run is kept whatever the merge order";
    const CheckReport check = check_database(out);
    EXPECT_TRUE(check.problems.empty()) << check.problems.front();
  }
  ResultsStore out(dir.file("out-ab.sqlite"), ResultsStore::Access::kReadWrite);
  EXPECT_THROW(merge_database(out, dir.file("out-ab.sqlite")), StoreError);
  EXPECT_THROW(merge_database(out, dir.file("missing.sqlite")), StoreError);
}

TEST(DbTools, CheckFindsOrphanedRowsAndCellsCompletedTwiceAndPruneDeletesWholeRuns) {
  TempDir dir;
  ResultsStore store(dir.file("r.sqlite"), ResultsStore::Access::kReadWrite);
  const int64_t gone = add_completed(store, "h1", 1, 0.5);
  add_completed(store, "twice", 2, 0.5);
  add_completed(store, "twice", 2, 0.5);
  const int64_t failed = store.begin_run(record("f", 3), "t");
  store.add_curve_points(failed, {{5, "train", 1.0, 0.1, 1.0}});
  store.end_run(failed, "failed", "boom", "t");
  {
    // What the sqlite3 shell does: foreign keys are off there.
    Database raw(dir.file("r.sqlite"), Database::Mode::kReadWrite);
    raw.prepare("DELETE FROM runs WHERE run_id = ?").bind(1, gone).run();
  }
  CheckReport check = check_database(store);
  ASSERT_EQ(check.problems.size(), 5u);  // 4 tables with orphaned rows, 1 cell twice
  bool twice = false;
  for (const auto& p : check.problems) twice |= p.find("completed 2 times") != std::string::npos;
  EXPECT_TRUE(twice);

  EXPECT_EQ(prune_runs(store, "failed"), 1);
  EXPECT_EQ(
      count(store, "SELECT count(*) FROM learning_curve WHERE run_id = " + std::to_string(failed)),
      0);
  EXPECT_EQ(
      count(store, "SELECT count(*) FROM run_config WHERE run_id = " + std::to_string(failed)), 0);
  EXPECT_THROW(prune_runs(store, "completed"), ConfigError);
}

// The 5 -> 6 migration rebuilds `runs` with foreign keys off: every run
// keeps its id and rows, gets a UUID, and the new statuses are allowed.
TEST(DbTools, UpgradeFromVersion5ToTheCurrentKeepsEveryRowAndWritesABackup) {
  TempDir dir;
  const std::string path = dir.file("v5.sqlite");
  {
    Database db(path, Database::Mode::kReadWrite);
    migrate(db, 5);
    db.exec(
        "INSERT INTO runs (config_hash, config_yaml, algorithm, dataset, backbone, ways, shots, "
        "queries, train_ways, train_shots, seed, eval_seed, status, started_at) VALUES "
        "('h', 'x: 1', 'maml', 'sinusoid', 'mlp', 1, 10, 10, 1, 10, 1, 0, 'completed', 't'), "
        "('g', 'x: 2', 'maml', 'sinusoid', 'mlp', 1, 10, 10, 1, 10, 1, 0, 'failed', 't')");
    db.exec("INSERT INTO test_episodes VALUES (1, 0, NULL, 0.5), (1, 1, NULL, 0.25)");
    db.exec("INSERT INTO run_results (run_id, test_episodes, iterations) VALUES (1, 2, 10)");
    db.exec("INSERT INTO learning_curve VALUES (1, 5, 'val', 0.4, NULL, 1.0)");
    db.exec("INSERT INTO run_config VALUES (1, 'x', '1')");
    db.exec("DELETE FROM runs WHERE run_id = 2");  // AUTOINCREMENT must not reuse id 2
  }
  const auto r = testing::run_metabench({"db", "upgrade", path});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("upgraded from schema version 5 to " + std::to_string(kSchemaVersion)),
            std::string::npos)
      << r.output;
  EXPECT_TRUE(std::filesystem::exists(path + ".v5.bak"));
  {
    Database backup(path + ".v5.bak", Database::Mode::kReadOnly);
    EXPECT_EQ(check_schema(backup), 5);
  }
  ResultsStore store(path, ResultsStore::Access::kReadWrite);
  EXPECT_EQ(store.schema_version(), kSchemaVersion);
  EXPECT_EQ(count(store, "SELECT count(*) FROM test_episodes WHERE run_id = 1"), 2);
  EXPECT_EQ(count(store, "SELECT count(*) FROM run_results WHERE run_id = 1"), 1);
  EXPECT_EQ(count(store, "SELECT count(*) FROM learning_curve WHERE run_id = 1"), 1);
  EXPECT_EQ(count(store, "SELECT count(*) FROM run_config WHERE run_id = 1"), 1);
  EXPECT_EQ(count(store, "SELECT length(run_uuid) FROM runs WHERE run_id = 1"), 36);
  // Version 7's columns, with their defaults for the runs already there.
  EXPECT_EQ(count(store, "SELECT resumes + 10 * world_size FROM runs WHERE run_id = 1"), 10);
  EXPECT_EQ(count(store, "SELECT count(*) FROM runs WHERE snapshot_path IS NULL"), 1);
  EXPECT_TRUE(check_database(store).problems.empty());
  const int64_t next = store.begin_run(record("new", 1), "t");
  EXPECT_EQ(next, 3);
  store.end_run(next, "failed", "x", "t");
  store.database().exec("UPDATE runs SET status = 'diverged' WHERE run_id = 3");
  EXPECT_THROW(store.database().exec("UPDATE runs SET status = 'bogus' WHERE run_id = 3"),
               StoreError);
  const auto again = testing::run_metabench({"db", "upgrade", path});
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_NE(again.output.find("nothing to do"), std::string::npos) << again.output;
}

TEST(DbTools, TheCommandLineChecksMergesAndRefusesBadInput) {
  TempDir dir;
  {
    ResultsStore a(dir.file("a.sqlite"), ResultsStore::Access::kReadWrite);
    add_completed(a, "h1", 1, 0.5);
  }
  auto r = testing::run_metabench({"db", "merge", dir.file("m.sqlite"), dir.file("a.sqlite")});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("1 run(s) added, 0 conflict(s)"), std::string::npos) << r.output;
  r = testing::run_metabench({"db", "check", dir.file("m.sqlite")});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("0 problem(s)"), std::string::npos) << r.output;
  r = testing::run_metabench({"db", "merge", dir.file("m.sqlite")});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = testing::run_metabench({"db", "prune", dir.file("m.sqlite"), "--status", "running"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--status must be one of"), std::string::npos) << r.output;
  r = testing::run_metabench({"db", "chek", dir.file("m.sqlite")});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("did you mean 'check'"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace metabench
