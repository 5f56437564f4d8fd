#include "core/stats.h"

#include <cmath>

namespace metabench {

MeanCi mean_ci95(const std::vector<double>& values) {
  MeanCi out;
  double sum = 0;
  for (double v : values) {
    if (std::isnan(v)) continue;
    sum += v;
    ++out.n;
  }
  if (out.n == 0) {
    out.mean = std::nan("");
    out.ci95 = std::nan("");
    return out;
  }
  out.mean = sum / out.n;
  if (out.n < 2) return out;
  double squares = 0;
  for (double v : values) {
    if (!std::isnan(v)) squares += (v - out.mean) * (v - out.mean);
  }
  out.ci95 = 1.96 * std::sqrt(squares / (out.n - 1)) / std::sqrt(static_cast<double>(out.n));
  return out;
}

}  // namespace metabench
