// metabench::conv2d_second_order must be at::conv2d: the same outputs, bit-identical
// first derivatives (the same convolution_backward call), and second
// derivatives equal to autograd's through at::conv2d, for every shape the
// backbones use (groups for stacked tasks, stride 2, no padding, no bias,
// channels-last).
#include "nn/conv2d.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/csrc/autograd/autograd.h>

#include <string>

#include "tests/tensor_test_util.h"

namespace metabench {
namespace {

struct Case {
  int64_t groups, stride, padding;
  bool bias, channels_last;
  std::string name() const {
    return "groups " + std::to_string(groups) + " stride " + std::to_string(stride) + " padding " +
           std::to_string(padding) + (bias ? " bias" : "") +
           (channels_last ? " channels-last" : "");
  }
};

std::vector<Case> cases() {
  std::vector<Case> all;
  for (int64_t groups : {1, 3})
    for (int64_t stride : {1, 2})
      for (int64_t padding : {0, 1})
        for (bool bias : {true, false})
          for (bool cl : {false, true}) all.push_back({groups, stride, padding, bias, cl});
  return all;
}

struct Inputs {
  at::Tensor x, w1, b1, w2, b2;
};

// Two convolutions in a row, so that the second derivative's terms through
// an input that requires gradients (a hidden layer's) are exercised too.
Inputs inputs(const Case& c, at::ScalarType dtype) {
  const int64_t in = 2, out = 3;
  at::Tensor x = at::randn({4, c.groups * in, 9, 9}, dtype);
  if (c.channels_last) x = x.contiguous(at::MemoryFormat::ChannelsLast);
  Inputs i{x,
           at::randn({c.groups * out, in, 3, 3}, dtype),
           {},
           at::randn({c.groups * out, out, 3, 3}, dtype),
           {}};
  if (c.bias) {
    i.b1 = at::randn({c.groups * out}, dtype);
    i.b2 = at::randn({c.groups * out}, dtype);
  }
  return i;
}

at::Tensor network(const Case& c, bool ours, const at::Tensor& x, const at::Tensor& w1,
                   const at::Tensor& b1, const at::Tensor& w2, const at::Tensor& b2) {
  auto conv = [&](const at::Tensor& h, const at::Tensor& w, const at::Tensor& b) {
    return ours ? conv2d_second_order(h, w, b, c.stride, c.padding, c.groups)
                : at::conv2d(h, w, b, c.stride, c.padding, 1, c.groups);
  };
  return conv(conv(x, w1, b1).tanh(), w2, b2);
}

std::vector<at::Tensor> leaves(const Inputs& i) {
  return testing::fresh_leaves({i.x, i.w1, i.b1, i.w2, i.b2});
}

at::Tensor run(const Case& c, bool ours, const std::vector<at::Tensor>& l) {
  return c.bias ? network(c, ours, l[0], l[1], l[2], l[3], l[4])
                : network(c, ours, l[0], l[1], {}, l[2], {});
}

TEST(Conv2d, OutputsAndFirstDerivativesAreAtConv2ds) {
  at::manual_seed(1);
  for (const Case& c : cases()) {
    const Inputs i = inputs(c, at::kFloat);
    const at::Tensor probe = at::randn_like(run(c, false, leaves(i)));
    std::vector<at::Tensor> theirs = leaves(i), ours = leaves(i);
    const at::Tensor y = run(c, false, theirs), z = run(c, true, ours);
    EXPECT_TRUE(at::equal(y, z)) << c.name();
    const auto g = torch::autograd::grad({(y * probe).sum()}, theirs);
    const auto h = torch::autograd::grad({(z * probe).sum()}, ours);
    for (size_t k = 0; k < g.size(); ++k) EXPECT_TRUE(at::equal(g[k], h[k])) << c.name() << k;
  }
}

TEST(Conv2d, SecondDerivativesEqualAutogradsInFloat64) {
  at::manual_seed(2);
  for (const Case& c : cases()) {
    const Inputs i = inputs(c, at::kDouble);
    const at::Tensor probe = at::randn_like(run(c, false, leaves(i)));
    // MAML's meta-gradient: an inner step on every leaf along its gradient
    // (create_graph), then a loss at the stepped leaves, differentiated
    // with respect to the original leaves.
    auto meta_gradient = [&](bool ours) {
      std::vector<at::Tensor> l = leaves(i);
      const at::Tensor inner = (run(c, ours, l) * probe).pow(2).sum();
      const auto g = torch::autograd::grad({inner}, l, {}, /*retain_graph=*/true,
                                           /*create_graph=*/true);
      std::vector<at::Tensor> stepped;
      for (size_t k = 0; k < l.size(); ++k) stepped.push_back(l[k] - 0.01 * g[k]);
      const at::Tensor outer = (run(c, ours, stepped) * probe).sin().sum();
      return torch::autograd::grad({outer}, l);
    };
    const auto expected = meta_gradient(false), got = meta_gradient(true);
    ASSERT_EQ(expected.size(), got.size());
    for (size_t k = 0; k < got.size(); ++k) {
      const double scale = expected[k].abs().max().item<double>();
      EXPECT_GT(scale, 1e-3) << c.name() << " leaf " << k
                             << ": a vanishing gradient proves nothing";
      EXPECT_LE(testing::max_difference(got[k], expected[k]), 1e-10 * (1 + scale))
          << c.name() << " leaf " << k;
    }
  }
}

// A backbone's first block convolves images, which need no gradient: the
// backward then computes none for them, and a leaf without one stays so.
TEST(Conv2d, InputsWithoutGradientsGetNone) {
  const at::Tensor x = at::randn({2, 1, 5, 5});
  const at::Tensor w = at::randn({3, 1, 3, 3}).requires_grad_(true);
  const at::Tensor inner = conv2d_second_order(x, w, {}, 1, 1).pow(2).sum();
  const at::Tensor g = torch::autograd::grad({inner}, {w}, {}, true, true)[0];
  const at::Tensor outer = conv2d_second_order(x, w - 0.1 * g, {}, 1, 1).sum();
  const at::Tensor meta = torch::autograd::grad({outer}, {w})[0];
  EXPECT_TRUE(meta.defined());
  EXPECT_FALSE(x.requires_grad());
}

}  // namespace
}  // namespace metabench
