// Summary statistics as reported in few-shot papers: the mean and the 95%
// confidence interval half-width 1.96 * std / sqrt(n), with the sample
// standard deviation (n - 1).  NaN values are ignored (regression episodes
// have no accuracy); an empty or single-value set has a CI of 0.
#pragma once

#include <vector>

namespace metabench {

struct MeanCi {
  double mean = 0;
  double ci95 = 0;
  size_t n = 0;
};

MeanCi mean_ci95(const std::vector<double>& values);

}  // namespace metabench
