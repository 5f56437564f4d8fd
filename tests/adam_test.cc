// The outer-loop optimiser: Kingma and Ba's update, step by step, whether
// every parameter has a gradient (the flat, fused path) or some have none
// (the per-parameter path, which leaves those unchanged).
#include "metabench/adam.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace metabench {
namespace {

// Textbook Adam in float64 on copies of the parameters.
struct ReferenceAdam {
  AdamOptions o;
  std::vector<at::Tensor> p, m, v;
  int64_t t = 0;
  ReferenceAdam(const std::vector<at::Tensor>& params, AdamOptions options) : o(options) {
    for (const auto& x : params) {
      p.push_back(x.detach().to(at::kDouble));
      m.push_back(at::zeros_like(p.back()));
      v.push_back(at::zeros_like(p.back()));
    }
  }
  void step(const std::vector<at::Tensor>& grads) {
    ++t;
    for (size_t i = 0; i < p.size(); ++i) {
      if (!grads[i].defined()) continue;
      const at::Tensor g = grads[i].to(at::kDouble);
      m[i] = o.beta1 * m[i] + (1 - o.beta1) * g;
      v[i] = o.beta2 * v[i] + (1 - o.beta2) * g * g;
      const at::Tensor m_hat = m[i] / (1 - std::pow(o.beta1, t));
      const at::Tensor v_hat = v[i] / (1 - std::pow(o.beta2, t));
      p[i] = p[i] - o.lr * m_hat / (v_hat.sqrt() + o.eps);
    }
  }
};

std::vector<at::Tensor> make_params() {
  return {at::randn({3}).requires_grad_(true), at::randn({2, 4}).requires_grad_(true),
          at::randn({5}).requires_grad_(true)};
}

void expect_close(const std::vector<at::Tensor>& got, const ReferenceAdam& want) {
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_LE((got[i].detach().to(at::kDouble) - want.p[i]).abs().max().item<double>(), 1e-6) << i;
  }
}

TEST(Adam, FirstStepMovesEveryWeightByAboutTheLearningRate) {
  at::manual_seed(1);
  std::vector<at::Tensor> params = make_params();
  const std::vector<at::Tensor> before = {params[0].detach().clone(), params[1].detach().clone(),
                                          params[2].detach().clone()};
  Adam adam(params, AdamOptions().with_lr(0.01));
  for (auto& p : params) p.mutable_grad() = at::randn(p.sizes());
  adam.step();
  for (size_t i = 0; i < params.size(); ++i) {
    const at::Tensor moved = (before[i] - params[i].detach()).abs();
    EXPECT_TRUE(at::allclose(moved, at::full_like(moved, 0.01), 0, 1e-6)) << i;
  }
}

TEST(Adam, FollowsTheTextbookUpdateOverManySteps) {
  at::manual_seed(2);
  std::vector<at::Tensor> params = make_params();
  const AdamOptions options = AdamOptions().with_lr(0.003).with_beta1(0.5);
  ReferenceAdam reference(params, options);
  Adam adam(params, options);
  for (int step = 0; step < 20; ++step) {
    adam.zero_grad();
    std::vector<at::Tensor> grads;
    for (auto& p : params) {
      grads.push_back(at::randn(p.sizes()));
      p.mutable_grad() = grads.back().clone();
    }
    adam.step();
    reference.step(grads);
  }
  expect_close(params, reference);
}

TEST(Adam, LeavesParametersWithoutAGradientUnchanged) {
  at::manual_seed(3);
  std::vector<at::Tensor> params = make_params();
  const at::Tensor untouched = params[1].detach().clone();
  ReferenceAdam reference(params, AdamOptions());
  Adam adam(params, AdamOptions());
  for (int step = 0; step < 5; ++step) {
    // Parameter 1 gets a gradient only on the last step: until then the
    // per-parameter path runs, then the flat one, on the same moments.
    std::vector<at::Tensor> grads(params.size());
    for (size_t i = 0; i < params.size(); ++i) {
      if (i == 1 && step < 4) continue;
      grads[i] = at::randn(params[i].sizes());
      params[i].mutable_grad() = grads[i].clone();
    }
    adam.step();
    reference.step(grads);
    if (step < 4) EXPECT_TRUE(at::equal(params[1].detach(), untouched));
  }
  EXPECT_FALSE(at::equal(params[1].detach(), untouched));
  expect_close(params, reference);
}

}  // namespace
}  // namespace metabench
