// MAML is verified against its mathematics: the second-order meta-gradient
// must equal central finite differences of the post-adaptation query loss,
// and the first-order variant must equal the query-loss gradient at the
// adapted parameters.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/csrc/autograd/autograd.h>

#include "algorithms/maml_style/maml_style.h"
#include "harness/config/experiment_config.h"
#include "metabench/algorithm.h"
#include "metabench/losses.h"
#include "metabench/param_set.h"
#include "tests/test_util.h"

namespace metabench {
namespace {

struct Problem {
  std::unique_ptr<Backbone> backbone;
  std::unique_ptr<MamlNetwork> net;
  std::vector<at::Tensor> params;  // float64
  Episode episode;
  TaskKind kind;
};

Problem regression_problem() {
  const ExperimentConfig cfg =
      resolve_assignments({"algorithm=maml", "dataset=sinusoid", "backbone=mlp",
                           "model.hidden=[5, 4]", "episode.ways=1"});
  Problem p;
  p.kind = TaskKind::kRegression;
  p.backbone = create_backbone(cfg, {1});
  p.net = std::make_unique<MamlNetwork>(*p.backbone, 1);
  Rng rng(11);
  for (auto& t : init_params(p.net->param_specs(), rng, at::kCPU)) {
    p.params.push_back(t.to(at::kDouble));
  }
  at::Tensor xs = at::linspace(-4, 4, 12, at::kDouble).view({12, 1});
  at::Tensor ys = 2.0 * at::sin(xs - 0.3);
  p.episode = Episode{xs.slice(0, 0, 6), ys.slice(0, 0, 6), xs.slice(0, 6), ys.slice(0, 6), 1};
  return p;
}

Problem classification_problem() {
  const ExperimentConfig cfg = resolve_assignments({"algorithm=maml", "model.width=3"});
  Problem p;
  p.kind = TaskKind::kClassification;
  p.backbone = create_backbone(cfg, {1, 16, 16});
  p.net = std::make_unique<MamlNetwork>(*p.backbone, 3);
  Rng rng(12);
  for (auto& t : init_params(p.net->param_specs(), rng, at::kCPU)) {
    p.params.push_back(t.to(at::kDouble));
  }
  // Seeded: this LibTorch seeds its default generator differently in every
  // process, and a central difference across a ReLU or max-pool kink is no
  // derivative; unseeded, a draw now and then hit one (relative error 1e-3).
  at::manual_seed(12);
  at::Tensor images = at::rand({12, 1, 16, 16}, at::kDouble);
  at::Tensor labels = at::arange(3, at::kLong).repeat_interleave(2).repeat({2});
  p.episode = Episode{images.slice(0, 0, 6), labels.slice(0, 0, 6), images.slice(0, 6),
                      labels.slice(0, 6), 3};
  return p;
}

double query_loss(const Problem& p, const std::vector<at::Tensor>& params, int64_t steps, double lr,
                  bool create_graph) {
  const auto fast =
      maml_adapt(*p.net, fresh_leaves(params), p.episode, p.kind, steps, lr, create_graph);
  return task_loss(p.net->forward(p.episode.query_x, fast), p.episode.query_y, p.kind)
      .item<double>();
}

std::vector<at::Tensor> meta_gradient(const Problem& p, int64_t steps, double lr,
                                      bool second_order) {
  const std::vector<at::Tensor> leaves = fresh_leaves(p.params);
  const auto fast = maml_adapt(*p.net, leaves, p.episode, p.kind, steps, lr, second_order);
  const at::Tensor loss =
      task_loss(p.net->forward(p.episode.query_x, fast), p.episode.query_y, p.kind);
  return torch::autograd::grad({loss}, leaves);
}

at::Tensor flat(const std::vector<at::Tensor>& tensors) {
  std::vector<at::Tensor> parts;
  for (const auto& t : tensors) parts.push_back(t.flatten());
  return at::cat(parts);
}

at::Tensor finite_differences(const Problem& p, int64_t steps, double lr) {
  const double eps = 1e-6;
  std::vector<at::Tensor> grads;
  for (size_t i = 0; i < p.params.size(); ++i) {
    at::Tensor g = at::zeros_like(p.params[i]);
    for (int64_t j = 0; j < p.params[i].numel(); ++j) {
      std::vector<at::Tensor> plus = p.params, minus = p.params;
      plus[i] = p.params[i].clone();
      minus[i] = p.params[i].clone();
      plus[i].view(-1)[j] += eps;
      minus[i].view(-1)[j] -= eps;
      g.view(-1)[j] =
          (query_loss(p, plus, steps, lr, true) - query_loss(p, minus, steps, lr, true)) /
          (2 * eps);
    }
    grads.push_back(g);
  }
  return flat(grads);
}

double relative_error(const at::Tensor& a, const at::Tensor& b) {
  return (a - b).norm().item<double>() / std::max(a.norm().item<double>(), b.norm().item<double>());
}

TEST(Maml, MetaGradientMatchesFiniteDifferencesOneAndTwoSteps) {
  const Problem p = regression_problem();
  for (int64_t steps : {1, 2}) {
    const at::Tensor analytic = flat(meta_gradient(p, steps, 0.05, true));
    const at::Tensor numeric = finite_differences(p, steps, 0.05);
    EXPECT_LT(relative_error(analytic, numeric), 1e-4) << steps << " inner steps";
  }
}

TEST(Maml, MetaGradientMatchesFiniteDifferencesThroughConvAndBatchNorm) {
  const Problem p = classification_problem();
  const at::Tensor analytic = flat(meta_gradient(p, 1, 0.5, true));
  EXPECT_LT(relative_error(analytic, finite_differences(p, 1, 0.5)), 1e-4);
}

TEST(Maml, FirstOrderIsTheQueryGradientAtTheAdaptedParameters) {
  const Problem p = regression_problem();
  const at::Tensor first_order = flat(meta_gradient(p, 2, 0.05, false));
  // The query-loss gradient with the adapted parameters as fresh leaves.
  const auto adapted =
      maml_adapt(*p.net, fresh_leaves(p.params), p.episode, p.kind, 2, 0.05, false);
  const std::vector<at::Tensor> leaves = fresh_leaves(adapted);
  const at::Tensor loss =
      task_loss(p.net->forward(p.episode.query_x, leaves), p.episode.query_y, p.kind);
  const at::Tensor expected = flat(torch::autograd::grad({loss}, leaves));
  EXPECT_LT(relative_error(first_order, expected), 1e-12);
  // ... and it is not the true meta-gradient.
  const at::Tensor second_order = flat(meta_gradient(p, 2, 0.05, true));
  EXPECT_GT(relative_error(first_order, second_order), 1e-3);
}

TEST(Maml, EvaluateDoesNotChangeTheMetaParameters) {
  const auto built = testing::make_algorithm(
      {"algorithm=maml", "model.width=4", "episode.queries=2", "optim.inner_steps_test=3"},
      {1, 28, 28}, TaskKind::kClassification, 3);
  Algorithm* maml = built->algorithm.get();
  std::vector<at::Tensor> before;
  for (const auto& [name, t] : maml->state()) before.push_back(t.detach().clone());
  at::manual_seed(13);
  const Episode e{at::rand({5, 1, 28, 28}), at::arange(5, at::kLong), at::rand({10, 1, 28, 28}),
                  at::arange(5, at::kLong).repeat({2}), 5};
  maml->evaluate(e);
  const NamedTensors after = maml->state();
  for (size_t i = 0; i < before.size(); ++i) EXPECT_TRUE(before[i].equal(after[i].second));
  maml->meta_train_step({e});
  bool changed = false;
  for (size_t i = 0; i < before.size(); ++i) changed |= !before[i].equal(maml->state()[i].second);
  EXPECT_TRUE(changed);
}

}  // namespace
}  // namespace metabench
