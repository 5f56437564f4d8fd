// Conformance: every registered algorithm, plugins included, completes a
// small run and learns an easy synthetic task far above chance (and, where it
// supports regression, fits sinusoids far better than predicting zero).  A
// new algorithm gets this test without writing anything.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <cmath>

#include "datasets/episode_sampler.h"
#include "harness/config/experiment_config.h"
#include "harness/run/experiment_runner.h"
#include "harness/run/run_steps.h"
#include "metabench/algorithm.h"
#include "results/store.h"
#include "tests/test_util.h"

namespace metabench {
namespace {

class Conformance : public ::testing::TestWithParam<std::string> {};

RunSummary run(const std::vector<std::string>& sets, const std::string& db) {
  ResultsStore store(db, ResultsStore::Access::kReadWrite);
  return run_experiment(resolve_assignments(sets), store, {}).summary;
}

TEST_P(Conformance, LearnsAnEasyClassificationTaskFarAboveChance) {
  const AlgorithmInfo& info = AlgorithmRegistry::instance().get(GetParam());
  if (!info.supports_classification) GTEST_SKIP() << GetParam() << " is regression-only";
  testing::TempDir dir;
  // Low drawing jitter makes the classes easy to tell apart.  Measured on
  // 2 cores (2026-11-22) with this budget: fomaml 71%, the others higher.
  const RunSummary s =
      run({"algorithm=" + GetParam(), "dataset=synthetic-glyphs", "data.point_jitter=0.3",
           "model.width=16", "episode.ways=5", "episode.shots=5", "episode.queries=5",
           "optim.meta_batch=2", "optim.meta_lr=0.003", "optim.iterations=200",
           "eval.val_interval=50", "eval.val_episodes=10", "eval.test_episodes=40",
           "runtime.threads=1", "runtime.progress=false"},
          dir.file("r.sqlite"));
  EXPECT_EQ(s.test_episodes, 40);
  EXPECT_GT(s.test_accuracy, 0.6) << GetParam() << " (chance is 0.2)";
}

TEST_P(Conformance, FitsSinusoidsWhenItSupportsRegression) {
  const AlgorithmInfo& info = AlgorithmRegistry::instance().get(GetParam());
  if (!info.supports_regression) GTEST_SKIP() << GetParam() << " does not support regression";
  testing::TempDir dir;
  const RunSummary s =
      run({"algorithm=" + GetParam(), "dataset=sinusoid", "backbone=mlp", "episode.ways=1",
           "episode.shots=10", "episode.queries=10", "optim.inner_lr=0.01",
           "optim.inner_steps_test=10", "optim.meta_batch=10", "optim.iterations=1000",
           "eval.val_interval=250", "eval.val_episodes=20", "eval.test_episodes=100",
           "runtime.threads=1", "runtime.progress=false"},
          dir.file("r.sqlite"));
  // Predicting zero scores E[A^2]/2 = 4.25 on these tasks; "fits" means at
  // most 60% of that.  Measured 2026-11-22 with this budget: maml 1.0,
  // anil 2.1 (it adapts only the 40 -> 1 head).
  EXPECT_LT(s.test_loss, 0.6 * 4.25) << GetParam();
}

// What a resumed run relies on: state() and training_state() hold all an
// algorithm carries between meta-iterations, so a fresh algorithm given
// them trains on bit for bit as the original does.
TEST_P(Conformance, TrainsOnBitIdenticallyFromItsStateAndTrainingState) {
  const ExperimentConfig cfg = resolve_assignments(
      {"algorithm=" + GetParam(), "dataset=synthetic-glyphs", "model.width=8", "episode.ways=3",
       "episode.shots=1", "episode.queries=2", "optim.meta_batch=2", "optim.iterations=20",
       "runtime.threads=1"});
  const std::unique_ptr<Dataset> dataset = create_dataset(cfg);
  TrainingStream stream(*dataset, cfg.train_shape, 7);
  std::vector<std::vector<Episode>> batches(6);
  for (auto& b : batches) b = {stream.next(), stream.next()};
  const Model original = build_model(cfg, *dataset, at::kCPU);
  for (int i = 0; i < 3; ++i) original.algorithm->meta_train_step(batches[i]);
  NamedTensors state, training;
  for (const auto& [n, t] : original.algorithm->state()) state.emplace_back(n, t.detach().clone());
  for (const auto& [n, t] : original.algorithm->training_state()) {
    training.emplace_back(n, t.detach().clone());
  }
  const Model resumed = build_model(cfg, *dataset, at::kCPU);
  resumed.algorithm->load_state(state);
  resumed.algorithm->load_training_state(training);
  for (int i = 3; i < 6; ++i) {
    const StepResult a = original.algorithm->meta_train_step(batches[i]);
    const StepResult b = resumed.algorithm->meta_train_step(batches[i]);
    EXPECT_EQ(a.loss, b.loss) << "step " << i;
  }
  const NamedTensors a = original.algorithm->state(), b = resumed.algorithm->state();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(at::equal(a[i].second, b[i].second)) << GetParam() << ": " << a[i].first;
  }
}

// Validation and test go through evaluate_batch(): whatever an algorithm
// batches, each episode's result must be evaluate()'s, in order, for a
// batch of any size (here 7, then 5 and an uneven 2), on every task kind it
// supports.
TEST_P(Conformance, EvaluatesABatchAsItEvaluatesEachEpisode) {
  const AlgorithmInfo& info = AlgorithmRegistry::instance().get(GetParam());
  std::vector<std::vector<std::string>> kinds;
  if (info.supports_classification) {
    kinds.push_back({"dataset=synthetic-glyphs", "model.width=8", "episode.ways=3",
                     "episode.shots=2", "episode.queries=3"});
  }
  if (info.supports_regression) {
    kinds.push_back({"dataset=sinusoid", "backbone=mlp", "model.hidden=[16,16]", "episode.ways=1",
                     "episode.shots=5", "episode.queries=5", "optim.inner_lr=0.01"});
  }
  for (std::vector<std::string> sets : kinds) {
    sets.insert(sets.end(), {"algorithm=" + GetParam(), "optim.meta_batch=2",
                             "optim.inner_steps_test=3", "runtime.threads=1"});
    const ExperimentConfig cfg = resolve_assignments(sets);
    const std::unique_ptr<Dataset> dataset = create_dataset(cfg);
    TrainingStream stream(*dataset, cfg.train_shape, 3);
    const Model model = build_model(cfg, *dataset, at::kCPU);
    // Trained a little, so the weights are not the initialisation's.
    for (int i = 0; i < 3; ++i) model.algorithm->meta_train_step({stream.next(), stream.next()});
    const FixedEpisodes set(*dataset, Split::kValidation, cfg.test_shape, 11, 7);
    std::vector<Episode> episodes;
    std::vector<StepResult> each;
    for (int64_t i = 0; i < set.size(); ++i) {
      episodes.push_back(set.get(i));
      each.push_back(model.algorithm->evaluate(episodes.back()));
    }
    const std::vector<Episode> first(episodes.begin(), episodes.begin() + 5),
        rest(episodes.begin() + 5, episodes.end());
    std::vector<StepResult> split = model.algorithm->evaluate_batch(first);
    for (const StepResult& r : model.algorithm->evaluate_batch(rest)) split.push_back(r);
    for (const std::vector<StepResult>& batched :
         {model.algorithm->evaluate_batch(episodes), split}) {
      ASSERT_EQ(batched.size(), each.size()) << GetParam();
      for (size_t i = 0; i < each.size(); ++i) {
        EXPECT_NEAR(batched[i].loss, each[i].loss, 1e-5) << GetParam() << " " << sets[0] << " #" << i;
        if (std::isnan(each[i].accuracy)) {
          EXPECT_TRUE(std::isnan(batched[i].accuracy)) << GetParam() << " #" << i;
        } else {
          EXPECT_NEAR(batched[i].accuracy, each[i].accuracy, 1e-5)
              << GetParam() << " " << sets[0] << " #" << i;
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(EveryRegisteredAlgorithm, Conformance,
                         ::testing::ValuesIn(AlgorithmRegistry::instance().names()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace metabench
