// Baseline's test-time head: one gradient step from zero equals the
// hand-computed cross-entropy gradient, and enough steps fit a separable
// support set; the linear logits are W f + b.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "algorithms/baseline_style/baseline_style.h"

namespace metabench {
namespace {

TEST(Baseline, OneStepFromZeroIsTheHandComputedCrossEntropyGradient) {
  at::manual_seed(11);
  const int64_t ways = 3, n = 6, d = 4;
  const at::Tensor x = at::randn({n, d}, at::kDouble);
  const at::Tensor y = at::tensor({0, 1, 2, 0, 1, 2}, at::kLong);
  const double lr = 0.5;
  const auto [w, b] = fit_head(x, y, ways, /*cosine=*/false, 0, /*steps=*/1, lr);
  // At zero weights every class has probability 1/ways, so the gradient of
  // the mean cross-entropy is (1/ways - onehot)^T x / n for W and the
  // column sums of (1/ways - onehot) / n for b.
  const at::Tensor residual = 1.0 / ways - at::one_hot(y, ways).to(at::kDouble);  // [n, ways]
  EXPECT_TRUE(at::allclose(w, -lr * at::matmul(residual.t(), x) / n, 0, 1e-14));
  EXPECT_TRUE(at::allclose(b, -lr * residual.sum(0) / n, 0, 1e-14));
}

TEST(Baseline, EnoughStepsFitASeparableSupportSet) {
  at::manual_seed(12);
  const int64_t ways = 5, shots = 3, d = 8;
  const at::Tensor centres = 3 * at::randn({ways, d}, at::kDouble);
  const at::Tensor y = at::arange(ways, at::kLong).repeat_interleave(shots);
  const at::Tensor x = centres.index_select(0, y) + 0.1 * at::randn({ways * shots, d}, at::kDouble);
  const auto [w, b] = fit_head(x, y, ways, false, 0, 100, 0.1);
  EXPECT_TRUE(at::equal(head_logits(x, w, b, false, 0).argmax(1), y));
  EXPECT_TRUE(at::allclose(head_logits(x, w, b, false, 0), at::matmul(x, w.t()) + b));
}

}  // namespace
}  // namespace metabench
