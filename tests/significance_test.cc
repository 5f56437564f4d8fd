// The Wilcoxon signed-rank test and Holm's adjustment on hand-computed cases.
#include "results/significance.h"

#include <gtest/gtest.h>

#include <cmath>

namespace metabench {
namespace {

TEST(Wilcoxon, AllPositiveDifferencesGiveTheLargestStatistic) {
  std::vector<double> d;
  for (int i = 1; i <= 10; ++i) d.push_back(i);
  const SignedRankResult r = wilcoxon_signed_rank(d);
  EXPECT_EQ(r.n, 10);
  EXPECT_DOUBLE_EQ(r.w_plus, 55);
  // mean n(n+1)/4 = 27.5, variance n(n+1)(2n+1)/24 = 96.25, continuity 0.5.
  EXPECT_NEAR(r.z, 27.0 / std::sqrt(96.25), 1e-12);
  EXPECT_NEAR(r.p_value, std::erfc(27.0 / std::sqrt(96.25) / std::sqrt(2.0)), 1e-12);
  EXPECT_NEAR(r.p_value, 0.00592, 1e-5);
}

TEST(Wilcoxon, TiesGetAverageRanksAndZerosAreDropped) {
  // |d| = 1, 1, 1, 2 after dropping the zero: ranks 2, 2, 2, 4.
  const SignedRankResult r = wilcoxon_signed_rank({1, -1, 0, 1, 2});
  EXPECT_EQ(r.n, 4);
  EXPECT_DOUBLE_EQ(r.w_plus, 2 + 2 + 4);
  // variance 4*5*9/24 - (3^3 - 3)/48 = 7.5 - 0.5 = 7; mean 5.
  EXPECT_NEAR(r.z, (8 - 5 - 0.5) / std::sqrt(7.0), 1e-12);
}

TEST(Wilcoxon, NoDifferencesMeanNoEvidence) {
  const SignedRankResult r = wilcoxon_signed_rank({0, 0, 0});
  EXPECT_EQ(r.n, 0);
  EXPECT_DOUBLE_EQ(r.p_value, 1.0);
  // A symmetric sample is not significant.
  EXPECT_GT(wilcoxon_signed_rank({1, -1, 2, -2, 3, -3}).p_value, 0.9);
}

TEST(Holm, StepDownAdjustmentIsMonotone) {
  const auto adjusted = holm_adjust({0.01, 0.04, 0.03});
  ASSERT_EQ(adjusted.size(), 3u);
  EXPECT_DOUBLE_EQ(adjusted[0], 0.03);  // 3 x 0.01
  EXPECT_DOUBLE_EQ(adjusted[2], 0.06);  // 2 x 0.03
  EXPECT_DOUBLE_EQ(adjusted[1], 0.06);  // max(1 x 0.04, 0.06)
  EXPECT_DOUBLE_EQ(holm_adjust({0.6, 0.7})[1], 1.0);
}

}  // namespace
}  // namespace metabench
