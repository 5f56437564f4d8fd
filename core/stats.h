// Summary statistics as reported in few-shot papers: the mean and its 95%
// confidence interval half-width t(0.975, n-1) * s / sqrt(n), with the
// sample standard deviation s (n - 1) and the Student's t quantile for n - 1
// degrees of freedom (Boost.Math).  Over 600 test episodes the quantile is
// 1.964, the papers' 1.96; over 3 seeds it is 4.303, and 1.96 there would
// give an interval 2.2 times too narrow.  NaN values are ignored (regression
// episodes have no accuracy); an empty or single-value set has a CI of 0.
#pragma once

#include <cstddef>
#include <vector>

namespace metabench {

struct MeanCi {
  double mean = 0;
  double ci95 = 0;      // half-width
  size_t n = 0;         // values used
  double quantile = 0;  // t(0.975, n - 1) used for ci95; 0 when n < 2
  double stddev = 0;    // sample standard deviation; 0 when n < 2
};

MeanCi mean_ci95(const std::vector<double>& values);

// The p-quantile of Student's t distribution with `df` > 0 degrees of freedom.
double student_t_quantile(double p, double df);

// Two-sided p-value P(|T| >= |t|) for T ~ t(df).
double student_t_two_sided_p(double t, double df);

}  // namespace metabench
