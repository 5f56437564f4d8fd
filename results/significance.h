// Paired significance tests for comparing methods on the same test episodes.
//
// Every method is tested on one fixed episode set, so two methods' results
// pair up episode by episode.  The Wilcoxon signed-rank test on the paired
// differences makes no normality assumption (per-episode accuracies are
// bounded and discrete); with hundreds of episodes its normal approximation
// (tie-corrected, with continuity correction) is accurate.  Comparing k
// methods makes k(k-1)/2 tests, so p-values are adjusted with Holm's
// step-down method, which controls the family-wise error rate.
#pragma once

#include <cstdint>
#include <vector>

namespace metabench {

struct SignedRankResult {
  int64_t n = 0;         // non-zero differences used
  double w_plus = 0;     // sum of the ranks of positive differences
  double z = 0;          // standardised statistic (0 when n == 0)
  double p_value = 1.0;  // two-sided
};

// Two-sided Wilcoxon signed-rank test of `differences` (a - b per pair)
// against a median of zero.  Zero differences are dropped (Wilcoxon's
// convention); tied absolute values get average ranks.
SignedRankResult wilcoxon_signed_rank(const std::vector<double>& differences);

// Holm-adjusted p-values, in the order given; each in [0, 1].
std::vector<double> holm_adjust(const std::vector<double>& p_values);

// Standard normal upper-tail probability P(Z > z).
double normal_upper_tail(double z);

}  // namespace metabench
