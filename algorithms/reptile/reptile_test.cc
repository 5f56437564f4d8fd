#include "algorithms/reptile/reptile.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/csrc/autograd/autograd.h>

#include "harness/config/experiment_config.h"
#include "metabench/algorithm.h"
#include "metabench/losses.h"
#include "tests/test_util.h"

namespace metabench {
namespace {

TEST(Reptile, OuterUpdateIsEpsilonTimesMeanDifference) {
  std::vector<at::Tensor> theta = {at::tensor({1.0, 2.0}, at::kDouble)};
  const std::vector<std::vector<at::Tensor>> adapted = {{at::tensor({3.0, 2.0}, at::kDouble)},
                                                        {at::tensor({1.0, 6.0}, at::kDouble)}};
  // mean(theta' - theta) = ([2, 0] + [0, 4]) / 2 = [1, 2]; epsilon 0.5.
  reptile_outer_update(theta, adapted, 0.5);
  EXPECT_DOUBLE_EQ(theta[0][0].item<double>(), 1.5);
  EXPECT_DOUBLE_EQ(theta[0][1].item<double>(), 3.0);
}

TEST(Reptile, EpsilonIsAnnealedLinearly) {
  EXPECT_DOUBLE_EQ(reptile_epsilon(1.0, 0.0, 1, 4), 1.0);
  EXPECT_DOUBLE_EQ(reptile_epsilon(1.0, 0.0, 3, 4), 0.5);
  EXPECT_DOUBLE_EQ(reptile_epsilon(1.0, 0.0, 5, 4), 0.0);
  EXPECT_DOUBLE_EQ(reptile_epsilon(0.8, 0.2, 2, 2), 0.5);
}

// With SGD, one full-batch inner step and epsilon 1, a meta-step moves theta
// exactly to theta - lr * grad L(task data, theta).
TEST(Reptile, MetaStepWithEpsilonOneLandsOnTheAdaptedWeights) {
  const auto under_test = testing::make_algorithm(
      {"algorithm=reptile", "dataset=sinusoid", "backbone=mlp", "episode.ways=1",
       "model.hidden=[8]", "optim.inner_steps=1", "optim.inner_lr=0.1", "algo.inner_optimizer=sgd",
       "algo.inner_batch=0", "algo.epsilon=1", "algo.epsilon_final=1"},
      {1}, TaskKind::kRegression, 4);
  Algorithm* reptile = under_test->algorithm.get();
  const at::Tensor x = at::linspace(-3, 3, 8).view({8, 1});
  const Episode e{x.slice(0, 0, 4), x.slice(0, 0, 4).sin(), x.slice(0, 4), x.slice(0, 4).sin(), 1};

  std::vector<at::Tensor> theta;
  for (const auto& [name, t] : reptile->state())
    theta.push_back(t.detach().clone().requires_grad_());
  const at::Tensor all_x = at::cat({e.support_x, e.query_x});
  const at::Tensor all_y = at::cat({e.support_y, e.query_y});
  at::Tensor h = at::relu(at::linear(all_x, theta[0], theta[1]));
  const at::Tensor loss =
      task_loss(at::linear(h, theta[2], theta[3]), all_y, TaskKind::kRegression);
  const auto grads = torch::autograd::grad({loss}, theta);

  reptile->meta_train_step({e});
  const NamedTensors after = reptile->state();
  for (size_t i = 0; i < theta.size(); ++i) {
    const at::Tensor expected = theta[i].detach() - 0.1 * grads[i];
    EXPECT_TRUE(at::allclose(after[i].second, expected, 1e-6, 1e-7)) << after[i].first;
  }
}

// Non-transductive evaluation runs each query in a batch with the support
// set alone; batch norm then sees different statistics than with all queries
// in one batch, so the two settings give different (valid) results from the
// same weights.
TEST(Reptile, TransductiveAndNonTransductiveEvaluationDiffer) {
  std::vector<StepResult> results;
  at::manual_seed(51);
  const Episode e{at::rand({5, 1, 28, 28}), at::arange(5, at::kLong), at::rand({10, 1, 28, 28}),
                  at::arange(5, at::kLong).repeat({2}), 5};
  for (const char* transductive : {"algo.transductive=true", "algo.transductive=false"}) {
    const auto under_test = testing::make_algorithm(
        {"algorithm=reptile", "model.width=4", "optim.inner_steps_test=2", transductive},
        {1, 28, 28}, TaskKind::kClassification, 9);
    results.push_back(under_test->algorithm->evaluate(e));
  }
  for (const StepResult& r : results) {
    EXPECT_GE(r.accuracy, 0.0);
    EXPECT_LE(r.accuracy, 1.0);
    EXPECT_GT(r.loss, 0.0);
  }
  EXPECT_NE(results[0].loss, results[1].loss);
}

// Non-transductive evaluation classifies several queries a pass (each
// stacked with its own copy of the support set); it must equal classifying
// each query in a batch with the support set alone, also when the last
// pass is uneven (20 queries: 16 and 4).
TEST(Reptile, NonTransductiveEvaluationEqualsOneForwardPerQuery) {
  at::manual_seed(52);
  const Episode e{at::rand({5, 1, 28, 28}), at::arange(5, at::kLong), at::rand({20, 1, 28, 28}),
                  at::arange(5, at::kLong).repeat({4}), 5};
  // No inner steps at test: the weights evaluated are the meta-parameters.
  const auto under_test = testing::make_algorithm(
      {"algorithm=reptile", "model.width=8", "optim.inner_steps_test=0", "algo.transductive=false"},
      {1, 28, 28}, TaskKind::kClassification, 13);
  const StepResult r = under_test->algorithm->evaluate(e);
  std::vector<at::Tensor> p;
  for (const auto& [name, t] : under_test->algorithm->state()) p.push_back(t.detach());
  const size_t h = p.size() - 2;
  std::vector<at::Tensor> logits;
  for (int64_t q = 0; q < 20; ++q) {
    const at::Tensor x = at::cat({e.support_x, e.query_x.slice(0, q, q + 1)});
    const at::Tensor features =
        under_test->backbone->forward(x, at::TensorList(p).slice(0, h)).slice(0, 5);
    logits.push_back(at::linear(features, p[h], p[h + 1]));
  }
  const StepResult expected = score(at::cat(logits), e.query_y, TaskKind::kClassification);
  EXPECT_NEAR(r.loss, expected.loss, 1e-5);
  EXPECT_DOUBLE_EQ(r.accuracy, expected.accuracy);
}

// With SGD, episodes adapted together (stacked as tasks) get the results
// each gets alone, also for an uneven last pass: inner batches of 4 28x28
// images make 10 episodes a pass, so 13 episodes are a pass of 10 and one
// of 3.
TEST(Reptile, SgdEvaluationOfStackedEpisodesEqualsOneByOne) {
  at::manual_seed(53);
  std::vector<Episode> episodes;
  for (int i = 0; i < 13; ++i) {
    episodes.push_back(Episode{at::rand({6, 1, 28, 28}), at::arange(3, at::kLong).repeat({2}),
                               at::rand({9, 1, 28, 28}), at::arange(3, at::kLong).repeat({3}), 3});
  }
  const auto under_test = testing::make_algorithm(
      {"algorithm=reptile", "model.width=8", "episode.ways=3", "optim.inner_steps_test=3",
       "optim.inner_lr=0.1", "algo.inner_optimizer=sgd", "algo.inner_batch=4"},
      {1, 28, 28}, TaskKind::kClassification, 17);
  Algorithm& reptile = *under_test->algorithm;
  const std::vector<StepResult> batched = reptile.evaluate_batch(episodes);
  ASSERT_EQ(batched.size(), episodes.size());
  for (size_t i = 0; i < episodes.size(); ++i) {
    const StepResult alone = reptile.evaluate(episodes[i]);
    EXPECT_NEAR(batched[i].loss, alone.loss, 1e-5) << i;
    EXPECT_NEAR(batched[i].accuracy, alone.accuracy, 1e-5) << i;
  }
  // Adaptation changed the weights: equal results are not the start's.
  const auto unadapted =
      testing::make_algorithm({"algorithm=reptile", "model.width=8", "episode.ways=3",
                               "optim.inner_steps_test=0", "algo.inner_optimizer=sgd"},
                              {1, 28, 28}, TaskKind::kClassification, 17);
  EXPECT_GT(std::abs(unadapted->algorithm->evaluate(episodes[0]).loss - batched[0].loss), 1e-3);
}

// The same on regression through the MLP (sinusoid-like episodes, inner
// batches of 3 of 5 points: the order cycles and reshuffles mid-adaptation).
TEST(Reptile, SgdEvaluationOfStackedRegressionEpisodesEqualsOneByOne) {
  at::manual_seed(59);
  std::vector<Episode> episodes;
  for (int i = 0; i < 5; ++i) {
    const at::Tensor x = at::rand({10, 1}) * 10 - 5;
    const at::Tensor y = at::sin(x + i);
    episodes.push_back(Episode{x.slice(0, 0, 5), y.slice(0, 0, 5), x.slice(0, 5), y.slice(0, 5), 1});
  }
  const auto under_test = testing::make_algorithm(
      {"algorithm=reptile", "dataset=sinusoid", "backbone=mlp", "model.hidden=[16,16]",
       "episode.ways=1", "episode.shots=5", "episode.queries=5", "optim.inner_steps_test=4",
       "optim.inner_lr=0.02", "algo.inner_optimizer=sgd", "algo.inner_batch=3"},
      {1}, TaskKind::kRegression, 19);
  Algorithm& reptile = *under_test->algorithm;
  const std::vector<StepResult> batched = reptile.evaluate_batch(episodes);
  ASSERT_EQ(batched.size(), episodes.size());
  for (size_t i = 0; i < episodes.size(); ++i) {
    EXPECT_NEAR(batched[i].loss, reptile.evaluate(episodes[i]).loss, 1e-5) << i;
  }
}

}  // namespace
}  // namespace metabench
