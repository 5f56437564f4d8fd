#include "results/significance.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/stats.h"

namespace metabench {

double normal_upper_tail(double z) { return 0.5 * std::erfc(z / std::sqrt(2.0)); }

namespace {

// Two-sided exact p-value of W+ = w for n untied, non-zero differences:
// counts[k] = number of subsets of the ranks 1..n with sum k, W+'s null
// distribution times 2^n.  Every count and partial sum is an integer below
// 2^50 < 2^53 (n <= 50), so the doubles hold them exactly.
double exact_signed_rank_p(int64_t n, int64_t w) {
  const int64_t max_sum = n * (n + 1) / 2;
  if (2 * w == max_sum) return 1.0;
  std::vector<double> counts(static_cast<size_t>(max_sum) + 1, 0.0);
  counts[0] = 1;
  for (int64_t rank = 1; rank <= n; ++rank) {
    for (int64_t k = max_sum; k >= rank; --k) counts[k] += counts[k - rank];
  }
  double below = 0, above = 0;
  for (int64_t k = 0; k <= max_sum; ++k) {
    if (k <= w) below += counts[k];
    if (k >= w) above += counts[k];
  }
  return std::min(1.0, 2.0 * std::min(below, above) / std::ldexp(1.0, static_cast<int>(n)));
}

}  // namespace

SignedRankResult wilcoxon_signed_rank(const std::vector<double>& differences) {
  std::vector<double> d;
  bool had_zero = false;
  for (double x : differences) {
    if (std::isnan(x)) continue;
    if (x == 0) {
      had_zero = true;
    } else {
      d.push_back(x);
    }
  }
  SignedRankResult result;
  result.n = static_cast<int64_t>(d.size());
  if (d.empty()) return result;
  std::vector<size_t> order(d.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return std::fabs(d[a]) < std::fabs(d[b]); });
  double tie_term = 0;  // sum of t^3 - t over groups of tied |d|
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && std::fabs(d[order[j + 1]]) == std::fabs(d[order[i]])) ++j;
    const double rank = (static_cast<double>(i) + static_cast<double>(j)) / 2.0 + 1.0;
    for (size_t k = i; k <= j; ++k) {
      if (d[order[k]] > 0) result.w_plus += rank;
    }
    const double t = static_cast<double>(j - i + 1);
    tie_term += t * t * t - t;
    i = j + 1;
  }
  const double n = static_cast<double>(d.size());
  const bool ties = tie_term > 0;
  if (result.n <= kExactSignedRankMaxN && !ties && !had_zero) {
    result.exact = true;
    result.p_value = exact_signed_rank_p(result.n, std::llround(result.w_plus));
    return result;
  }
  const double mean = n * (n + 1) / 4.0;
  const double variance = n * (n + 1) * (2 * n + 1) / 24.0 - tie_term / 48.0;
  if (variance <= 0) return result;
  const double deviation = result.w_plus - mean;
  // Continuity correction towards the mean.
  const double corrected = std::max(0.0, std::fabs(deviation) - 0.5);
  result.z = std::copysign(corrected / std::sqrt(variance), deviation);
  result.p_value = std::min(1.0, 2.0 * normal_upper_tail(std::fabs(result.z)));
  return result;
}

std::string SignedRankResult::method() const { return exact ? "exact" : "normal approximation"; }

WelchResult welch_t_test(const std::vector<double>& a, const std::vector<double>& b) {
  WelchResult result;
  const MeanCi x = mean_ci95(a), y = mean_ci95(b);
  if (x.n < 2 || y.n < 2) return result;
  const double va = x.stddev * x.stddev / x.n, vb = y.stddev * y.stddev / y.n;
  if (va + vb <= 0) return result;
  result.t = (x.mean - y.mean) / std::sqrt(va + vb);
  result.df = (va + vb) * (va + vb) / (va * va / (x.n - 1.0) + vb * vb / (y.n - 1.0));
  result.p_value = student_t_two_sided_p(result.t, result.df);
  return result;
}

std::vector<double> holm_adjust(const std::vector<double>& p_values) {
  const size_t m = p_values.size();
  std::vector<size_t> order(m);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return p_values[a] < p_values[b]; });
  std::vector<double> adjusted(m);
  double running = 0;
  for (size_t rank = 0; rank < m; ++rank) {
    const double value = std::min(1.0, static_cast<double>(m - rank) * p_values[order[rank]]);
    running = std::max(running, value);  // adjusted p-values never decrease
    adjusted[order[rank]] = running;
  }
  return adjusted;
}

}  // namespace metabench
