// The Wilcoxon signed-rank test against SciPy's values (fixtures made by
// tests/fixtures/make_signed_rank_fixtures.py, checked against SciPy in CI),
// Welch's t-test and Holm's adjustment on hand-computed cases.
#include "results/significance.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>

#include "core/strings.h"
#include "tests/test_util.h"

namespace metabench {
namespace {

TEST(Wilcoxon, SmallSamplesUseTheExactDistribution) {
  std::vector<double> d;
  for (int i = 1; i <= 10; ++i) d.push_back(i);
  const SignedRankResult r = wilcoxon_signed_rank(d);
  EXPECT_EQ(r.n, 10);
  EXPECT_DOUBLE_EQ(r.w_plus, 55);
  // Only the all-positive and the all-negative sign patterns are as
  // extreme: p = 2 / 2^10 (the normal approximation says 0.0059).
  EXPECT_TRUE(r.exact);
  EXPECT_EQ(r.method(), "exact");
  EXPECT_DOUBLE_EQ(r.p_value, 2.0 / 1024);
}

TEST(Wilcoxon, MatchesScipyOnEveryFixture) {
  const std::string text =
      testing::read_text(testing::source_path("tests/fixtures/signed_rank.csv"));
  int cases = 0;
  bool header = true;
  for (const std::string& line : split(text, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    if (header) {
      header = false;
      continue;
    }
    const std::vector<std::string> f = split(line, ',');
    ASSERT_EQ(f.size(), 6u) << line;
    std::vector<double> d;
    for (const std::string& x : split(f[5], ' ')) d.push_back(std::strtod(x.c_str(), nullptr));
    const SignedRankResult r = wilcoxon_signed_rank(d);
    EXPECT_EQ(r.method(), f[1]) << f[0];
    EXPECT_EQ(r.n, std::stoll(f[2])) << f[0];
    EXPECT_DOUBLE_EQ(r.w_plus, std::stod(f[3])) << f[0];
    const double p = std::stod(f[4]);
    EXPECT_NEAR(r.p_value, p, 1e-12 + 1e-9 * p) << f[0];
    ++cases;
  }
  EXPECT_GE(cases, 11);
}

TEST(Wilcoxon, TiesGetAverageRanksAndZerosAreDropped) {
  // |d| = 1, 1, 1, 2 after dropping the zero: ranks 2, 2, 2, 4.
  const SignedRankResult r = wilcoxon_signed_rank({1, -1, 0, 1, 2});
  EXPECT_EQ(r.n, 4);
  EXPECT_DOUBLE_EQ(r.w_plus, 2 + 2 + 4);
  // Ties: the normal approximation, variance 4*5*9/24 - (3^3 - 3)/48 = 7,
  // mean 5, continuity correction 0.5.
  EXPECT_FALSE(r.exact);
  EXPECT_NEAR(r.z, (8 - 5 - 0.5) / std::sqrt(7.0), 1e-12);
}

TEST(Welch, MatchesHandComputedValues) {
  // a: mean 2, var 1, n 3; b: mean 5, var 4, n 3.  se^2 = 1/3 + 4/3 = 5/3,
  // t = -3 / sqrt(5/3); df = (5/3)^2 / ((1/3)^2/2 + (4/3)^2/2) = 2.9412.
  const WelchResult r = welch_t_test({1, 2, 3}, {3, 5, 7});
  EXPECT_NEAR(r.t, -3 / std::sqrt(5.0 / 3.0), 1e-12);
  EXPECT_NEAR(r.df, (25.0 / 9) / (1.0 / 18 + 16.0 / 18), 1e-12);
  EXPECT_NEAR(r.p_value, 0.104478887, 1e-8);  // scipy.stats.ttest_ind(a, b, equal_var=False)
  EXPECT_DOUBLE_EQ(welch_t_test({1}, {2, 3}).p_value, 1.0);
  EXPECT_DOUBLE_EQ(welch_t_test({1, 1}, {1, 1}).p_value, 1.0);
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
