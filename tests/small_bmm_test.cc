// small_bmm must be at::bmm: same products for every stride layout it meets
// (contiguous, transposed, expanded), same first and second derivatives
// (second-order MAML differentiates through its backward), and at::bmm
// itself where its kernel does not apply.
#include "nn/small_bmm.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/csrc/autograd/autograd.h>

#include "tests/tensor_test_util.h"

namespace metabench {
namespace {

using testing::max_difference;

TEST(SmallBmm, EqualsBmmForEveryLayout) {
  at::manual_seed(1);
  for (const auto dtype : {at::kFloat, at::kDouble}) {
    const double tolerance = dtype == at::kFloat ? 1e-4 : 1e-12;
    // Widths that exercise the 4-vector blocks, the single vectors and the
    // scalar tail of the kernel (40 = 32 + 8 floats; 37 leaves 5), and
    // narrow ones that go to at::bmm.
    for (const int64_t n : {1, 5, 8, 37, 40, 70}) {
      const at::Tensor a = at::randn({6, 10, 40}, dtype);
      const at::Tensor b = at::randn({6, 40, n}, dtype);
      const at::Tensor bt = at::randn({6, n, 40}, dtype).transpose(1, 2);
      const at::Tensor at_ = at::randn({6, 40, 10}, dtype).transpose(1, 2);
      const at::Tensor shared = at::randn({1, 40, n}, dtype).expand({6, 40, n});
      EXPECT_LE(max_difference(small_bmm(a, b), at::bmm(a, b)), tolerance) << n;
      EXPECT_LE(max_difference(small_bmm(a, bt), at::bmm(a, bt)), tolerance) << n;
      EXPECT_LE(max_difference(small_bmm(at_, b), at::bmm(at_, b)), tolerance) << n;
      EXPECT_LE(max_difference(small_bmm(a, shared), at::bmm(a, shared)), tolerance) << n;
    }
  }
}

TEST(SmallBmm, FirstAndSecondDerivativesEqualBmms) {
  at::manual_seed(2);
  const at::Tensor a0 = at::randn({5, 10, 40}, at::kDouble);
  const at::Tensor w0 = at::randn({5, 12, 40}, at::kDouble);
  const at::Tensor probe = at::randn({5, 10, 12}, at::kDouble);
  // A MAML-like objective: an inner gradient step on w, then a loss at the
  // updated weights, differentiated with respect to a and w.
  auto objective = [&](bool small) {
    const at::Tensor a = a0.clone().requires_grad_(true);
    const at::Tensor w = w0.clone().requires_grad_(true);
    auto product = [&](const at::Tensor& x, const at::Tensor& y) {
      return small ? small_bmm(x, y) : at::bmm(x, y);
    };
    const at::Tensor inner = (product(a, w.transpose(1, 2)) * probe).pow(2).sum();
    const at::Tensor grad_w = torch::autograd::grad({inner}, {w}, {}, true, true)[0];
    const at::Tensor adapted = w - 0.1 * grad_w;
    const at::Tensor outer = product(a, adapted.transpose(1, 2)).tanh().sum();
    return torch::autograd::grad({outer}, {a, w});
  };
  const auto expected = objective(false);
  const auto got = objective(true);
  ASSERT_EQ(expected.size(), got.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_GT(expected[i].abs().max().item<double>(), 1e-3)
        << "a vanishing gradient proves nothing";
    EXPECT_LE(max_difference(got[i], expected[i]), 1e-9) << i;
  }
}

TEST(SmallBmm, LargeNarrowAndOtherTypesAreBmm) {
  const at::Tensor a = at::randn({2, 128, 64}), b = at::randn({2, 64, 64});
  ASSERT_GT(128 * 64 * 64, kSmallBmmMaxMacs);
  EXPECT_TRUE(at::equal(small_bmm(a, b), at::bmm(a, b)));
  // A 5-way head: too narrow for the kernel's vectors.
  const at::Tensor features = at::randn({4, 75, 64}), head = at::randn({4, 64, 5});
  EXPECT_TRUE(at::equal(small_bmm(features, head), at::bmm(features, head)));
  const at::Tensor ia = at::randint(5, {2, 3, 4}, at::kLong),
                   ib = at::randint(5, {2, 4, 3}, at::kLong);
  EXPECT_TRUE(at::equal(small_bmm(ia, ib), at::bmm(ia, ib)));
}

}  // namespace
}  // namespace metabench
