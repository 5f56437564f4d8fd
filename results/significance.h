// Significance tests for comparing methods.
//
// Every method is tested on one fixed episode set, so two methods' results
// pair up episode by episode.  The Wilcoxon signed-rank test on the paired
// differences makes no normality assumption (per-episode accuracies are
// bounded and discrete).  As scipy.stats.wilcoxon does (SciPy 1.10, its
// "auto" mode, with the ties rule of later versions): zero differences are
// dropped (Wilcoxon's convention), tied absolute values get average ranks,
// and the p-value is exact (the null distribution of W+ enumerated) when at
// most 50 differences remain and there are no zeros and no ties; otherwise
// it is the normal approximation with the tie correction of the variance
// and a continuity correction (scipy's correction=True).  The result names
// the method used.
//
// Over seeds, per-seed mean scores of two methods are compared with Welch's
// t-test (unequal variances; seeds are not paired across methods).
//
// Comparing k methods makes k(k-1)/2 tests, so p-values are adjusted with
// Holm's step-down method, which controls the family-wise error rate.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace metabench {

struct SignedRankResult {
  int64_t n = 0;               // non-zero differences used
  double w_plus = 0;           // sum of the ranks of positive differences
  double z = 0;                // standardised statistic (approximation only; 0 otherwise)
  double p_value = 1.0;        // two-sided
  bool exact = false;          // exact null distribution, else normal approximation
  std::string method() const;  // "exact" or "normal approximation"
};

// Two-sided Wilcoxon signed-rank test of `differences` (a - b per pair)
// against a median of zero; NaN differences are ignored.
SignedRankResult wilcoxon_signed_rank(const std::vector<double>& differences);

// The largest n for which the exact distribution is used.
constexpr int64_t kExactSignedRankMaxN = 50;

struct WelchResult {
  double t = 0, df = 0;
  double p_value = 1.0;  // two-sided; 1 when undefined (fewer than 2 values, no variance)
};

// Welch's two-sample t-test of mean(a) = mean(b); NaN values are ignored.
WelchResult welch_t_test(const std::vector<double>& a, const std::vector<double>& b);

// Holm-adjusted p-values, in the order given; each in [0, 1].
std::vector<double> holm_adjust(const std::vector<double>& p_values);

// Standard normal upper-tail probability P(Z > z).
double normal_upper_tail(double z);

}  // namespace metabench
