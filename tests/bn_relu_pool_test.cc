// metabench::batch_norm_relu_pool must be max_pool2d(relu(batch_norm)) with
// batch statistics, LibTorch's operators: the same outputs, first
// derivatives (the fused backward) and second derivatives (the
// differentiable backward a MAML inner step records), checked in float64
// to rounding, for the shapes Conv4 meets (odd sides, maps pooled down to
// 1x1, tasks stacked along the channels, no pool); the same values at any
// thread count; ties and NaNs as LibTorch's max-pool has them; LibTorch's
// own operators for what the kernels do not take.
#include "nn/bn_relu_pool.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/csrc/autograd/autograd.h>

#include <string>
#include <vector>

#include "tests/tensor_test_util.h"

namespace metabench {
namespace {

struct Case {
  std::vector<int64_t> shape;
  bool pool;
  std::string name() const {
    std::string s;
    for (int64_t d : shape) s += std::to_string(d) + " ";
    return s + (pool ? "pooled" : "not pooled");
  }
};

std::vector<Case> cases() {
  return {{{5, 8, 7, 7}, true}, {{6, 12, 4, 6}, true}, {{4, 16, 3, 3}, true}, {{2, 6, 2, 2}, true},
          {{3, 6, 5, 4}, true}, {{3, 8, 5, 5}, false}, {{25, 4, 1, 1}, false}};
}

at::Tensor unfused(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, bool pool) {
  const at::Tensor y = at::relu(at::batch_norm(x, w, b, {}, {}, true, 0.0, 1e-5, false));
  return pool ? at::max_pool2d(y, {2, 2}) : y;
}

// Leaves [input, weight, bias]; the block sees tanh(input) * 1.5 + 0.3 in
// channels-last layout (a convolution's output, so that its gradient has
// an upstream to reach).
std::vector<at::Tensor> leaves(const Case& c, at::ScalarType dtype) {
  return {at::randn(c.shape, dtype).requires_grad_(true),
          (at::rand({c.shape[1]}, dtype) + 0.5).requires_grad_(true),
          at::randn({c.shape[1]}, dtype).mul(0.5).requires_grad_(true)};
}

at::Tensor run(const Case& c, bool ours, const std::vector<at::Tensor>& l) {
  const at::Tensor x = (l[0].tanh() * 1.5 + 0.3).contiguous(at::MemoryFormat::ChannelsLast);
  return ours ? batch_norm_relu_pool(x, l[1], l[2], c.pool) : unfused(x, l[1], l[2], c.pool);
}

void expect_close(const at::Tensor& a, const at::Tensor& b, double tol, const std::string& what) {
  ASSERT_EQ(a.sizes(), b.sizes()) << what;
  const double err = testing::max_difference(a, b);
  const double scale = std::max(1.0, b.abs().max().item<double>());
  EXPECT_LE(err, tol * scale) << what;
}

TEST(BnReluPool, OutputsAndFirstDerivativesAreLibTorchs) {
  at::manual_seed(3);
  for (const at::ScalarType dtype : {at::kDouble, at::kFloat}) {
    const double tol = dtype == at::kDouble ? 1e-11 : 2e-5;
    for (const Case& c : cases()) {
      const std::string what = c.name() + (dtype == at::kDouble ? " float64" : " float32");
      const std::vector<at::Tensor> l = leaves(c, dtype);
      std::vector<at::Tensor> theirs = testing::fresh_leaves(l), ours = testing::fresh_leaves(l);
      const at::Tensor y = run(c, false, theirs), z = run(c, true, ours);
      expect_close(z, y, tol, what + " output");
      EXPECT_TRUE(z.is_contiguous(at::MemoryFormat::ChannelsLast)) << what;
      const at::Tensor probe = at::randn_like(y);
      const auto gy = torch::autograd::grad({(y * probe).sum()}, theirs);
      const auto gz = torch::autograd::grad({(z * probe).sum()}, ours);
      for (size_t i = 0; i < gy.size(); ++i) {
        expect_close(gz[i], gy[i], tol, what + " gradient " + std::to_string(i));
      }
    }
  }
}

// A MAML inner step: the first gradient with create_graph, then the
// gradient of a function of it, which differentiates the backward.
std::vector<at::Tensor> second_derivatives(const Case& c, bool ours,
                                           const std::vector<at::Tensor>& l,
                                           const at::Tensor& probe, const at::Tensor& probe2) {
  const at::Tensor y = run(c, ours, l);
  const auto g = torch::autograd::grad({(y * probe).sum()}, l, {}, /*retain_graph=*/true,
                                       /*create_graph=*/true);
  // Stepped weights, then the output again, as MAML's query loss.
  const at::Tensor w2 = l[1] - 0.3 * g[1], b2 = l[2] - 0.3 * g[2];
  const at::Tensor z = run(c, ours, {l[0] - 0.2 * g[0], w2, b2});
  return torch::autograd::grad({(z * probe2).sum() + (g[0] * g[0]).sum()}, l);
}

TEST(BnReluPool, SecondDerivativesAreLibTorchs) {
  at::manual_seed(4);
  for (const Case& c : cases()) {
    const std::vector<at::Tensor> l = leaves(c, at::kDouble);
    std::vector<at::Tensor> theirs = testing::fresh_leaves(l), ours = testing::fresh_leaves(l);
    const at::Tensor shape = run(c, false, theirs);
    const at::Tensor probe = at::randn_like(shape), probe2 = at::randn_like(shape);
    const auto d = second_derivatives(c, false, theirs, probe, probe2);
    const auto e = second_derivatives(c, true, ours, probe, probe2);
    for (size_t i = 0; i < d.size(); ++i) {
      expect_close(e[i], d[i], 1e-10, c.name() + " second derivative " + std::to_string(i));
    }
  }
}

TEST(BnReluPool, SameValuesAtAnyThreadCount) {
  const int threads = at::get_num_threads();
  const Case c{{20, 32, 14, 14}, true};
  at::manual_seed(5);
  const std::vector<at::Tensor> l = leaves(c, at::kFloat);
  std::vector<std::vector<at::Tensor>> results;
  for (int t : {1, 2, 3}) {
    at::set_num_threads(t);
    std::vector<at::Tensor> mine = testing::fresh_leaves(l);
    const at::Tensor y = run(c, true, mine);
    auto g = torch::autograd::grad({(y * y).sum()}, mine);
    g.push_back(y.detach());
    results.push_back(g);
  }
  at::set_num_threads(threads);
  for (size_t r = 1; r < results.size(); ++r) {
    for (size_t i = 0; i < results[0].size(); ++i) {
      EXPECT_TRUE(at::equal(results[r][i], results[0][i])) << "result " << i << ", run " << r;
    }
  }
}

TEST(BnReluPool, TiesGoToTheFirstPositionAndNaNsStay) {
  // Every window of four equal values: LibTorch's max-pool passes the
  // gradient to the first.
  at::manual_seed(6);
  const Case c{{3, 4, 6, 6}, true};
  const at::Tensor base = at::randn({3, 4, 3, 3}, at::kDouble);
  const at::Tensor x = at::upsample_nearest2d(base, {6, 6});
  std::vector<at::Tensor> l = {x.requires_grad_(true),
                               at::ones({4}, at::kDouble).requires_grad_(true),
                               at::zeros({4}, at::kDouble).requires_grad_(true)};
  std::vector<at::Tensor> theirs = testing::fresh_leaves(l), ours = testing::fresh_leaves(l);
  const at::Tensor xt = theirs[0].contiguous(at::MemoryFormat::ChannelsLast);
  const at::Tensor xo = ours[0].contiguous(at::MemoryFormat::ChannelsLast);
  const at::Tensor y = unfused(xt, theirs[1], theirs[2], true);
  const at::Tensor z = batch_norm_relu_pool(xo, ours[1], ours[2], true);
  expect_close(z, y, 1e-12, "ties output");
  const auto gy = torch::autograd::grad({y.sum()}, theirs);
  const auto gz = torch::autograd::grad({z.sum()}, ours);
  for (size_t i = 0; i < gy.size(); ++i) expect_close(gz[i], gy[i], 1e-12, "ties gradient");

  at::Tensor bad = at::randn({2, 4, 4, 4}).contiguous(at::MemoryFormat::ChannelsLast);
  bad.index_put_({0, 1, 2, 3}, std::nan(""));
  const at::Tensor out = batch_norm_relu_pool(bad, at::ones({4}), at::zeros({4}), true);
  EXPECT_TRUE(out.select(1, 1).isnan().all().item<bool>()) << "a NaN's channel is all NaN";
  EXPECT_FALSE(out.select(1, 0).isnan().any().item<bool>()) << "other channels keep values";
}

TEST(BnReluPool, WhatTheKernelsDoNotTakeGoesToLibTorch) {
  at::manual_seed(7);
  // NCHW layout, one channel, and a 1-pixel map with pool: LibTorch's
  // operators, the same values (max_pool2d's own error for the last).
  for (const std::vector<int64_t>& shape : {std::vector<int64_t>{3, 5, 6, 6}, {4, 1, 6, 6}}) {
    const at::Tensor x = at::randn(shape);
    const at::Tensor w = at::rand({shape[1]}) + 0.5, b = at::randn({shape[1]});
    EXPECT_TRUE(at::allclose(batch_norm_relu_pool(x, w, b, true), unfused(x, w, b, true)));
  }
  const at::Tensor tiny = at::randn({3, 5, 1, 1}).contiguous(at::MemoryFormat::ChannelsLast);
  EXPECT_ANY_THROW(batch_norm_relu_pool(tiny, at::ones({5}), at::zeros({5}), true));
}

}  // namespace
}  // namespace metabench
