// Meta-SGD's mathematics: with every learning rate equal to MAML's step size
// it adapts exactly as MAML does, and the meta-gradient with respect to the
// learning rates (through the inner step, second order) equals central
// finite differences in float64.
#include "algorithms/metasgd/metasgd.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/csrc/autograd/autograd.h>

#include "harness/config/experiment_config.h"
#include "metabench/losses.h"
#include "metabench/param_set.h"
#include "metabench/rng.h"

namespace metabench {
namespace {

struct Problem {
  std::unique_ptr<Backbone> backbone;
  std::unique_ptr<MamlNetwork> net;
  std::vector<at::Tensor> params, lrs;
  Episode episode;
};

// A sinusoid-like regression task through an MLP (1 -> 6 -> 1), float64.
Problem problem() {
  Problem s;
  const ExperimentConfig cfg =
      resolve_assignments({"algorithm=metasgd", "dataset=sinusoid", "backbone=mlp",
                           "model.hidden=[6]", "episode.ways=1"});
  s.backbone = create_backbone(cfg, {1});
  s.net = std::make_unique<MamlNetwork>(*s.backbone, 1);
  Rng rng(8);
  for (at::Tensor& t : init_params(s.net->param_specs(), rng, at::kCPU)) {
    s.params.push_back(t.to(at::kDouble).requires_grad_(true));
    s.lrs.push_back(at::full(t.sizes(), 0.05, at::kDouble).requires_grad_(true));
  }
  at::manual_seed(9);
  const at::Tensor x = at::rand({10, 1}, at::kDouble) * 10 - 5;
  const at::Tensor qx = at::rand({8, 1}, at::kDouble) * 10 - 5;
  s.episode = Episode{x, at::sin(x + 0.5) * 2, qx, at::sin(qx + 0.5) * 2, 1};
  return s;
}

at::Tensor query_loss(const Problem& s, const std::vector<at::Tensor>& lrs, bool create_graph) {
  const std::vector<at::Tensor> fast =
      metasgd_adapt(*s.net, s.params, lrs, s.episode, TaskKind::kRegression, 2, create_graph);
  return task_loss(s.net->forward(s.episode.query_x, fast), s.episode.query_y,
                   TaskKind::kRegression);
}

TEST(MetaSgd, WithEqualLearningRatesItAdaptsAsMaml) {
  const Problem s = problem();
  const std::vector<at::Tensor> a =
      metasgd_adapt(*s.net, s.params, s.lrs, s.episode, TaskKind::kRegression, 2, false);
  const std::vector<at::Tensor> b =
      maml_adapt(*s.net, s.params, s.episode, TaskKind::kRegression, 2, 0.05, false);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(at::allclose(a[i], b[i], 1e-12, 1e-14)) << "parameter " << i;
  }
}

TEST(MetaSgd, TheMetaGradientWithRespectToTheLearningRatesEqualsFiniteDifferences) {
  const Problem s = problem();
  const std::vector<at::Tensor> grads = torch::autograd::grad({query_loss(s, s.lrs, true)}, s.lrs);
  const double h = 1e-6;
  int checked = 0;
  for (size_t i = 0; i < s.lrs.size(); ++i) {
    for (int64_t k = 0; k < s.lrs[i].numel(); k += 2) {
      std::vector<at::Tensor> plus, minus;
      for (const at::Tensor& a : s.lrs) {
        plus.push_back(a.detach().clone());
        minus.push_back(a.detach().clone());
      }
      plus[i].view({-1})[k] += h;
      minus[i].view({-1})[k] -= h;
      const double fd =
          (query_loss(s, plus, false).item<double>() - query_loss(s, minus, false).item<double>()) /
          (2 * h);
      EXPECT_NEAR(grads[i].view({-1})[k].item<double>(), fd, 1e-6 * std::max(1.0, std::abs(fd)))
          << "learning rate of parameter " << i << ", entry " << k;
      ++checked;
    }
  }
  EXPECT_GT(checked, 5);
  // The gradient is not zero: the learning rates do get trained.
  double norm = 0;
  for (const at::Tensor& g : grads) norm += g.pow(2).sum().item<double>();
  EXPECT_GT(norm, 1e-8);
}

}  // namespace
}  // namespace metabench
