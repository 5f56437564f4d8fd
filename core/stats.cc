#include "core/stats.h"

#include <boost/math/distributions/students_t.hpp>
#include <cmath>

namespace metabench {

double student_t_quantile(double p, double df) {
  return boost::math::quantile(boost::math::students_t_distribution<double>(df), p);
}

double student_t_two_sided_p(double t, double df) {
  if (std::isnan(t)) return std::nan("");
  if (std::isinf(t)) return 0.0;
  const boost::math::students_t_distribution<double> dist(df);
  return std::min(1.0, 2.0 * boost::math::cdf(boost::math::complement(dist, std::fabs(t))));
}

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
  const double n = static_cast<double>(out.n);
  out.stddev = std::sqrt(squares / (n - 1));
  out.quantile = student_t_quantile(0.975, n - 1);
  out.ci95 = out.quantile * out.stddev / std::sqrt(n);
  return out;
}

}  // namespace metabench
