// Baseline++'s cosine head: logits are scale * cos(f, w_c), unchanged when a
// feature or a class weight is rescaled; with no fine-tuning steps the head
// is the normalised class means (queries go to the nearest mean direction);
// the scale follows Chen et al.'s code.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "algorithms/baseline_style/baseline_style.h"

namespace metabench {
namespace {

TEST(BaselinePlusPlus, CosineLogitsAreScaledCosinesAndIgnoreNorms) {
  const at::Tensor f = at::tensor({3.0, 4.0, 0.0, 2.0}, at::kDouble).view({2, 2});
  const at::Tensor w = at::tensor({1.0, 0.0, 0.0, 5.0}, at::kDouble).view({2, 2});
  const at::Tensor logits = head_logits(f, w, {}, /*cosine=*/true, 10);
  // cos((3,4),(1,0)) = 0.6, cos((3,4),(0,1)) = 0.8; (0,2) is along (0,1).
  const at::Tensor expected = at::tensor({6.0, 8.0, 0.0, 10.0}, at::kDouble).view({2, 2});
  EXPECT_TRUE(at::allclose(logits, expected, 0, 1e-12)) << logits;
  EXPECT_TRUE(at::allclose(head_logits(7 * f, 0.1 * w, {}, true, 10), expected, 0, 1e-12));
}

TEST(BaselinePlusPlus, WithoutStepsTheHeadIsTheNormalisedClassMeans) {
  at::manual_seed(13);
  const at::Tensor x = at::randn({6, 5}, at::kDouble);
  const at::Tensor y = at::tensor({1, 0, 1, 2, 0, 2}, at::kLong);
  const auto [w, b] = fit_head(x, y, 3, /*cosine=*/true, 2, /*steps=*/0, 0.1);
  EXPECT_FALSE(b.defined());
  const at::Tensor unit = x / x.norm(2, 1, true);
  for (int64_t k = 0; k < 3; ++k) {
    const at::Tensor mean = unit.index_select(0, at::nonzero(y == k).squeeze(1)).sum(0);
    EXPECT_TRUE(at::allclose(w[k] / w[k].norm(), mean / mean.norm(), 0, 1e-12)) << "class " << k;
  }
  // Fine-tuning lowers the support loss from there.
  const auto [tuned, unused] = fit_head(x, y, 3, true, 2, 50, 0.5);
  EXPECT_LT(at::cross_entropy_loss(head_logits(x, tuned, {}, true, 2), y).item<double>(),
            at::cross_entropy_loss(head_logits(x, w, {}, true, 2), y).item<double>());
}

TEST(BaselinePlusPlus, ScaleFollowsChenEtAlsCode) {
  EXPECT_EQ(default_cosine_scale(5), 2.0);
  EXPECT_EQ(default_cosine_scale(200), 2.0);
  EXPECT_EQ(default_cosine_scale(1200), 10.0);
}

}  // namespace
}  // namespace metabench
