// MAML++: with every option off it computes exactly what maml computes one
// task at a time (losses and weights, bit for bit); each option changes what
// the paper says it changes: MSL weights the steps' query losses (uniform,
// annealed to the last step), DA trains first order first (exactly fomaml),
// LSLR learns a rate per tensor and step, BNWB keeps per-step batch-norm
// weights, CA anneals the meta learning rate along a cosine.
#include "algorithms/mamlpp/mamlpp.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <numeric>

#include "datasets/episode_sampler.h"
#include "harness/config/experiment_config.h"
#include "harness/run/run_steps.h"

namespace metabench {
namespace {

const std::vector<std::string> kAllOff = {
    "algo.multi_step_loss=false", "algo.per_step_bn=false", "algo.learned_lrs=false",
    "algo.derivative_annealing=false", "algo.cosine_lr=false"};

struct Trained {
  std::vector<double> losses;
  NamedTensors state;
  std::vector<double> eval_losses;
};

// Three meta-iterations of `algorithm` with `sets` on fixed episodes, then
// two evaluations.
Trained train(const std::string& algorithm, std::vector<std::string> sets) {
  sets.insert(sets.end(), {"algorithm=" + algorithm, "dataset=synthetic-glyphs", "model.width=8",
                           "episode.ways=3", "episode.shots=1", "episode.queries=2",
                           "optim.inner_steps=2", "optim.inner_steps_test=3", "optim.meta_batch=2",
                           "optim.iterations=6", "runtime.threads=1"});
  const ExperimentConfig cfg = resolve_assignments(sets);
  const std::unique_ptr<Dataset> dataset = create_dataset(cfg);
  TrainingStream stream(*dataset, cfg.train_shape, 7);
  const Model model = build_model(cfg, *dataset, at::kCPU);
  Trained t;
  for (int i = 0; i < 3; ++i) {
    t.losses.push_back(model.algorithm->meta_train_step({stream.next(), stream.next()}).loss);
  }
  for (const auto& [name, tensor] : model.algorithm->state()) {
    t.state.emplace_back(name, tensor.detach().clone());
  }
  for (int i = 0; i < 2; ++i)
    t.eval_losses.push_back(model.algorithm->evaluate(stream.next()).loss);
  return t;
}

bool same_weights(const NamedTensors& a, const NamedTensors& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].first != b[i].first || !at::equal(a[i].second, b[i].second)) return false;
  }
  return true;
}

TEST(MamlPlusPlus, WithEveryOptionOffItIsMamlBitForBit) {
  const Trained plus = train("mamlpp", kAllOff);
  const Trained maml = train("maml", {"algo.task_batching=false"});
  EXPECT_EQ(plus.losses, maml.losses);
  EXPECT_TRUE(same_weights(plus.state, maml.state));
  EXPECT_EQ(plus.eval_losses, maml.eval_losses);
}

TEST(MamlPlusPlus, DerivativeAnnealingTrainsFirstOrderFirst) {
  std::vector<std::string> da = kAllOff;
  da[3] = "algo.derivative_annealing=true";
  // The first half of 6 iterations covers the 3 trained here: fomaml exactly.
  da.push_back("algo.first_order_fraction=0.5");
  const Trained annealed = train("mamlpp", da);
  const Trained fomaml = train("fomaml", {"algo.task_batching=false"});
  EXPECT_EQ(annealed.losses, fomaml.losses);
  EXPECT_TRUE(same_weights(annealed.state, fomaml.state));
  // No first-order phase: second order from the start, maml.
  da.back() = "algo.first_order_fraction=0";
  EXPECT_TRUE(
      same_weights(train("mamlpp", da).state, train("maml", {"algo.task_batching=false"}).state));
}

TEST(MamlPlusPlus, MultiStepLossChangesTheMetaGradientNotTheFirstLoss) {
  std::vector<std::string> msl = kAllOff;
  msl[0] = "algo.multi_step_loss=true";
  const Trained with = train("mamlpp", msl), without = train("mamlpp", kAllOff);
  // The recorded loss is the last step's query loss: equal before any update.
  EXPECT_EQ(with.losses[0], without.losses[0]);
  EXPECT_FALSE(same_weights(with.state, without.state));
}

TEST(MamlPlusPlus, MultiStepWeightsStartUniformAndAnnealToTheLastStep) {
  for (double w : multi_step_weights(5, 0, 100)) EXPECT_DOUBLE_EQ(w, 0.2);
  const std::vector<double> mid = multi_step_weights(5, 50, 100);
  EXPECT_DOUBLE_EQ(mid[0], 0.1);
  const std::vector<double> late = multi_step_weights(5, 1000, 100);
  EXPECT_DOUBLE_EQ(late[0], 0.006);  // the floor, 0.03 / steps
  EXPECT_NEAR(late.back(), 1 - 4 * 0.006, 1e-15);
  for (const auto& w : {mid, late}) EXPECT_NEAR(std::accumulate(w.begin(), w.end(), 0.0), 1, 1e-15);
  EXPECT_EQ(multi_step_weights(1, 0, 100), std::vector<double>{1.0});
  EXPECT_EQ(multi_step_weights(3, 0, 0), (std::vector<double>{0, 0, 1}));
}

TEST(MamlPlusPlus, LearnedRatesAreOnePerTensorAndStepAndAreTrained) {
  std::vector<std::string> lslr = kAllOff;
  lslr[2] = "algo.learned_lrs=true";
  const Trained t = train("mamlpp", lslr);
  int rates = 0, moved = 0;
  for (const auto& [name, tensor] : t.state) {
    if (name.rfind("lr.step", 0) != 0) continue;
    ++rates;
    EXPECT_EQ(tensor.dim(), 0) << name;
    if (std::abs(tensor.item<double>() - 0.4) > 1e-7) ++moved;  // optim.inner_lr's default
  }
  // Conv4 (4 blocks x 4 tensors) and the head (2), for each of 2 steps.
  EXPECT_EQ(rates, 2 * 18);
  EXPECT_GT(moved, rates / 2);
}

TEST(MamlPlusPlus, PerStepBatchNormWeightsAreSeparateAndLearnedPerStep) {
  std::vector<std::string> bn = kAllOff;
  bn[1] = "algo.per_step_bn=true";
  const Trained t = train("mamlpp", bn);
  const at::Tensor* step0 = find_tensor(t.state, "block0.bn.weight");
  const at::Tensor* step1 = find_tensor(t.state, "step1.block0.bn.weight");
  ASSERT_TRUE(step0 && step1);
  EXPECT_FALSE(at::equal(*step0, *step1));  // both start at one; each step trains its own
  EXPECT_EQ(find_tensor(t.state, "step2.block0.bn.weight"), nullptr);  // 2 steps, 2 sets
}

TEST(MamlPlusPlus, CosineAnnealingFollowsTheCosine) {
  EXPECT_DOUBLE_EQ(cosine_learning_rate(0, 100, 1e-3, 1e-5), 1e-3);
  EXPECT_NEAR(cosine_learning_rate(50, 100, 1e-3, 1e-5), (1e-3 + 1e-5) / 2, 1e-15);
  EXPECT_NEAR(cosine_learning_rate(100, 100, 1e-3, 1e-5), 1e-5, 1e-15);
  EXPECT_NEAR(cosine_learning_rate(25, 100, 1.0, 0.0), (1 + std::sqrt(0.5)) / 2, 1e-15);
  std::vector<std::string> ca = kAllOff;
  ca[4] = "algo.cosine_lr=true";
  EXPECT_FALSE(same_weights(train("mamlpp", ca).state, train("mamlpp", kAllOff).state));
}

}  // namespace
}  // namespace metabench
