// metabench::batch_norm_train must be at::batch_norm with batch statistics:
// the same outputs and bit-identical first derivatives in float32 (so
// first-order algorithms record what they did before it), second
// derivatives equal to autograd's through at::batch_norm in float64, for
// the shapes the backbones use (one task, tasks stacked along the channels,
// maps down to 1x1, weights or not), and LibTorch's own path for a tensor
// not in channels-last layout.
#include "nn/batch_norm.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/csrc/autograd/autograd.h>

#include <string>
#include <vector>

#include "tests/tensor_test_util.h"

namespace metabench {
namespace {

struct Case {
  std::vector<int64_t> shape;
  bool affine, channels_last;
  std::string name() const {
    std::string s;
    for (int64_t d : shape) s += std::to_string(d) + " ";
    return s + (affine ? "affine" : "no weights") + (channels_last ? " channels-last" : " NCHW");
  }
};

std::vector<Case> cases() {
  std::vector<Case> all;
  for (const std::vector<int64_t>& shape :
       {std::vector<int64_t>{5, 8, 7, 7}, {6, 12, 4, 5}, {25, 4, 1, 1}, {3, 1, 6, 6}})
    for (bool affine : {true, false})
      for (bool cl : {true, false}) all.push_back({shape, affine, cl});
  return all;
}

// Leaves [x, weight, bias]: a batch norm after a nonlinearity (so that the
// gradient arriving for its input gradient has nonzero channel sums, as
// through a convolution in MAML), then another.
std::vector<at::Tensor> leaves(const Case& c, at::ScalarType dtype) {
  at::Tensor x = at::randn(c.shape, dtype) + 0.5;
  if (c.channels_last) x = x.contiguous(at::MemoryFormat::ChannelsLast);
  std::vector<at::Tensor> l = {x.requires_grad_(true)};
  if (c.affine) {
    l.push_back(at::randn({c.shape[1]}, dtype).requires_grad_(true));
    l.push_back(at::randn({c.shape[1]}, dtype).requires_grad_(true));
  }
  return l;
}

at::Tensor run(const Case& c, bool ours, const std::vector<at::Tensor>& l) {
  const at::Tensor w = c.affine ? l[1] : at::Tensor(), b = c.affine ? l[2] : at::Tensor();
  const at::Tensor h = l[0].tanh() * 1.5;
  return ours ? batch_norm_train(h, w, b)
              : at::batch_norm(h, w, b, {}, {}, /*training=*/true, 0.0, 1e-5, true);
}

TEST(BatchNorm, OutputsAndFirstDerivativesAreAtBatchNorms) {
  at::manual_seed(1);
  for (const Case& c : cases()) {
    const std::vector<at::Tensor> l = leaves(c, at::kFloat);
    std::vector<at::Tensor> theirs = testing::fresh_leaves(l), ours = testing::fresh_leaves(l);
    const at::Tensor y = run(c, false, theirs), z = run(c, true, ours);
    EXPECT_TRUE(at::equal(y, z)) << c.name();
    // The output keeps the input's layout (the next convolution's input).
    EXPECT_EQ(z.is_contiguous(at::MemoryFormat::ChannelsLast),
              y.is_contiguous(at::MemoryFormat::ChannelsLast))
        << c.name();
    const at::Tensor probe = at::randn_like(y);
    const auto g = torch::autograd::grad({(y * probe).sum()}, theirs);
    const auto h = torch::autograd::grad({(z * probe).sum()}, ours);
    for (size_t k = 0; k < g.size(); ++k) EXPECT_TRUE(at::equal(g[k], h[k])) << c.name() << k;
  }
}

// MAML's meta-gradient, as in conv2d_test.cc: an inner step on every leaf
// (create_graph), a loss at the stepped leaves, differentiated with respect
// to the original ones; with `record`, that last gradient's graph too.
std::vector<at::Tensor> meta_gradient(const Case& c, bool ours, const std::vector<at::Tensor>& l,
                                      const at::Tensor& probe, bool record) {
  std::vector<at::Tensor> v = testing::fresh_leaves(l);
  const at::Tensor inner = (run(c, ours, v).tanh() * probe).pow(2).sum();
  const auto g = torch::autograd::grad({inner}, v, {}, /*retain_graph=*/true,
                                       /*create_graph=*/true);
  std::vector<at::Tensor> stepped;
  for (size_t k = 0; k < v.size(); ++k) stepped.push_back(v[k] - 0.05 * g[k]);
  const at::Tensor outer = (run(c, ours, stepped) * probe).sin().sum();
  return torch::autograd::grad({outer}, v, {}, /*retain_graph=*/record, /*create_graph=*/record);
}

// got[k] within 1e-10 of expected[k], relative to its largest entry.
void expect_close(const std::vector<at::Tensor>& expected, const std::vector<at::Tensor>& got,
                  const Case& c) {
  ASSERT_EQ(expected.size(), got.size()) << c.name();
  for (size_t k = 0; k < got.size(); ++k) {
    const double scale = expected[k].abs().max().item<double>();
    EXPECT_LE(testing::max_difference(got[k], expected[k]), 1e-10 * (1 + scale))
        << c.name() << " leaf " << k;
  }
}

TEST(BatchNorm, SecondDerivativesEqualAutogradsInFloat64) {
  at::manual_seed(2);
  for (const Case& c : cases()) {
    const std::vector<at::Tensor> l = leaves(c, at::kDouble);
    const at::Tensor probe = at::randn(c.shape, at::kDouble);
    const auto expected = meta_gradient(c, false, l, probe, false);
    for (size_t k = 0; k < expected.size(); ++k) {
      EXPECT_GT(expected[k].abs().max().item<double>(), 1e-3)
          << c.name() << " leaf " << k << ": a vanishing gradient proves nothing";
    }
    expect_close(expected, meta_gradient(c, true, l, probe, false), c);
  }
}

// Recording the meta-gradient's own graph (as a third derivative would)
// takes the double backward's differentiable form, also the one for other
// devices: it gives the same meta-gradient.
TEST(BatchNorm, TheDifferentiableDoubleBackwardGivesTheSameMetaGradient) {
  at::manual_seed(3);
  for (const Case& c : cases()) {
    const std::vector<at::Tensor> l = leaves(c, at::kDouble);
    const at::Tensor probe = at::randn(c.shape, at::kDouble);
    const auto got = meta_gradient(c, true, l, probe, true);
    for (size_t k = 0; k < got.size(); ++k) {
      EXPECT_TRUE(got[k].requires_grad()) << c.name() << " leaf " << k;
    }
    expect_close(meta_gradient(c, false, l, probe, true), got, c);
  }
}

}  // namespace
}  // namespace metabench
