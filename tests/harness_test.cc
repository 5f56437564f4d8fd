// The training harness, run in-process on smoke configs: determinism, one
// shared test-episode set across algorithms and seeds, and model selection
// on validation only.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/build_info.h"
#include "harness/config/experiment_config.h"
#include "harness/run/experiment_runner.h"
#include "results/store.h"
#include "tests/test_util.h"

namespace metabench {
namespace {

using testing::TempDir;

ExperimentConfig smoke(const std::string& file, const std::vector<std::string>& sets = {}) {
  RawConfig raw = RawConfig::from_file(testing::source_path(file));
  raw.apply_set("runtime.progress=false");
  for (const auto& s : sets) raw.apply_set(s);
  return resolve_experiment(raw);
}

struct Recorded {
  std::vector<std::pair<double, double>> episodes;  // accuracy, loss
  std::vector<std::pair<double, double>> curve;
  std::string checksum;
  int64_t best_val_step = 0;
  std::string checkpoint;
};

Recorded recorded(ResultsStore& store, int64_t run_id) {
  Recorded r;
  Statement e = store.database().prepare(
      "SELECT accuracy, loss FROM test_episodes WHERE run_id = ? ORDER BY episode_index");
  e.bind(1, run_id);
  while (e.step()) r.episodes.emplace_back(e.column_double(0), e.column_double(1));
  Statement c = store.database().prepare(
      "SELECT loss, accuracy FROM learning_curve WHERE run_id = ? ORDER BY split, step");
  c.bind(1, run_id);
  while (c.step()) r.curve.emplace_back(c.column_double(0), c.column_double(1));
  Statement s = store.database().prepare(
      "SELECT test_episodes_checksum, best_val_step, checkpoint_path FROM runs "
      "JOIN run_results USING (run_id) WHERE run_id = ?");
  s.bind(1, run_id);
  if (s.step()) {
    r.checksum = s.column_text(0);
    r.best_val_step = s.column_int(1);
    r.checkpoint = s.column_text(2);
  }
  return r;
}

TEST(Harness, SameConfigAndSeedGiveIdenticalResults) {
  TempDir dir;
  ResultsStore store(dir.file("r.sqlite"), ResultsStore::Access::kReadWrite);
  for (const char* file : {"configs/smoke/protonet.yaml", "configs/smoke/maml.yaml"}) {
    const ExperimentConfig cfg = smoke(file);
    const Recorded a = recorded(store, run_experiment(cfg, store, {}).run_id);
    const Recorded b = recorded(store, run_experiment(cfg, store, {}).run_id);
    ASSERT_EQ(a.episodes.size(), static_cast<size_t>(cfg.test_episodes)) << file;
    EXPECT_EQ(a.episodes, b.episodes) << file;
    EXPECT_EQ(a.curve, b.curve) << file;
    // A different run seed trains differently.
    const Recorded c = recorded(store, run_experiment(smoke(file, {"seed=2"}), store, {}).run_id);
    EXPECT_NE(a.curve, c.curve) << file;
    EXPECT_EQ(a.checksum, c.checksum) << "the run seed must not change the test episodes";
  }
}

TEST(Harness, EveryAlgorithmIsTestedOnTheSameEpisodes) {
  TempDir dir;
  ResultsStore store(dir.file("r.sqlite"), ResultsStore::Access::kReadWrite);
  const Recorded proto =
      recorded(store, run_experiment(smoke("configs/smoke/protonet.yaml"), store, {}).run_id);
  const Recorded maml = recorded(
      store, run_experiment(smoke("configs/smoke/maml.yaml", {"seed=5"}), store, {}).run_id);
  EXPECT_EQ(proto.checksum.size(), 64u);
  EXPECT_EQ(proto.checksum, maml.checksum);
  const Recorded other_eval_seed = recorded(
      store,
      run_experiment(smoke("configs/smoke/protonet.yaml", {"eval.seed=1"}), store, {}).run_id);
  EXPECT_NE(proto.checksum, other_eval_seed.checksum);
}

// What a run says about its code comes from the binary (core/build_info.h),
// not from the source tree at run time.
TEST(Harness, RunsRecordTheBuildsCommitAndCodeIdentity) {
  TempDir dir;
  ResultsStore store(dir.file("r.sqlite"), ResultsStore::Access::kReadWrite);
  const int64_t id = run_experiment(smoke("configs/smoke/protonet.yaml", {}), store, {}).run_id;
  Statement s = store.database().prepare(
      "SELECT git_commit, code_id, metabench_version FROM runs WHERE run_id = ?");
  s.bind(1, id);
  ASSERT_TRUE(s.step());
  const BuildInfo& build = build_info();
  EXPECT_EQ(s.column_text(0), std::string(build.commit) + (build.dirty ? "-dirty" : ""));
  EXPECT_EQ(s.column_text(1), "metabench:" + std::string(build.source_digest).substr(0, 12));
  EXPECT_EQ(s.column_text(2), build.version);
  EXPECT_EQ(std::string(build.source_digest).size(), 64u);
  Statement p = store.database().prepare(
      "SELECT blas, allocator, build_settings, cpu_isa FROM runs WHERE run_id = ?");
  p.bind(1, id);
  ASSERT_TRUE(p.step());
  // LibTorch links a BLAS (Debian: OpenBLAS through the libblas.so.3
  // alternative), and the test binary is built like the tool.
  EXPECT_NE(p.column_text(0), "none loaded");
  EXPECT_FALSE(p.column_text(1).empty());
  EXPECT_EQ(p.column_text(2), build.settings);
  EXPECT_FALSE(p.column_text(3).empty());
  // The effective config, key by key: the training way count as used.
  EXPECT_EQ(store.config_values(id).at("episode.train_ways"), "5");
  EXPECT_EQ(store.config_values(id).at("algorithm"), "protonet");
}

TEST(Harness, ModelSelectionUsesTheBestValidationPoint) {
  TempDir dir;
  ResultsStore store(dir.file("r.sqlite"), ResultsStore::Access::kReadWrite);
  const ExperimentConfig cfg =
      smoke("configs/smoke/protonet.yaml", {"optim.iterations=30", "eval.val_interval=5"});
  const int64_t id = run_experiment(cfg, store, {}).run_id;
  Statement val = store.database().prepare(
      "SELECT step, accuracy, loss FROM learning_curve WHERE run_id = ? AND split = 'val' "
      "ORDER BY step");
  val.bind(1, id);
  int64_t best_step = 0;
  double best_accuracy = -1, best_loss = 1e300;
  int points = 0;
  while (val.step()) {
    ++points;
    const double accuracy = val.column_double(1), loss = val.column_double(2);
    if (accuracy > best_accuracy || (accuracy == best_accuracy && loss < best_loss)) {
      best_step = val.column_int(0);
      best_accuracy = accuracy;
      best_loss = loss;
    }
  }
  EXPECT_EQ(points, 6);
  const Recorded r = recorded(store, id);
  EXPECT_EQ(r.best_val_step, best_step);
  EXPECT_TRUE(std::filesystem::exists(r.checkpoint)) << r.checkpoint;
  EXPECT_EQ(std::filesystem::path(r.checkpoint).parent_path(),
            std::filesystem::path(dir.file("r.checkpoints")));
  EXPECT_TRUE(std::filesystem::path(r.checkpoint).is_absolute()) << r.checkpoint;
}

}  // namespace
}  // namespace metabench
