#include "harness/run/memory_estimate.h"

#include <fstream>
#include <sstream>

#include "core/strings.h"
#include "metabench/errors.h"

namespace metabench {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;

// Products and sums in double: the point is to catch sizes that overflow.
double product(const std::vector<int64_t>& v) {
  double p = 1;
  for (int64_t x : v) p *= static_cast<double>(x);
  return p;
}

}  // namespace

MemoryEstimate estimate_memory(const ExperimentConfig& cfg,
                               const std::vector<int64_t>& input_shape) {
  const double input = product(input_shape);
  const EpisodeShape& t = cfg.train_shape;
  const double examples =
      static_cast<double>(cfg.meta_batch) * static_cast<double>(t.ways * (t.shots + t.queries));
  double parameters = 0, activations_per_example = 0;
  if (cfg.backbone == "mlp") {
    double previous = input;
    for (int64_t h : cfg.model_hidden) {
      parameters += previous * static_cast<double>(h) + static_cast<double>(h);
      activations_per_example += static_cast<double>(h);
      previous = static_cast<double>(h);
    }
  } else if (cfg.backbone == "conv4" && input_shape.size() == 3) {
    const double w = static_cast<double>(cfg.model_width);
    const double c = static_cast<double>(input_shape[0]);
    parameters = c * w * 9 + 3 * w * w * 9 + 4 * 3 * w;  // 3x3 convolutions, biases, batch norm
    double pixels = static_cast<double>(input_shape[1] * input_shape[2]);
    for (int block = 0; block < 4; ++block) {
      activations_per_example += w * pixels;  // one tensor per block: a lower bound
      pixels /= 4;                            // 2x2 max pooling
    }
  }
  MemoryEstimate e;
  e.parameters_mb = 4 * parameters * 4 / kMiB;  // weights, gradients, Adam's two moments
  e.batch_mb = examples * input * 4 / kMiB;
  e.activations_mb = examples * activations_per_example * 4 / kMiB;
  return e;
}

double available_memory_mb() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  double kib = 0;
  std::string unit;
  while (in >> key >> kib >> unit) {
    if (key == "MemAvailable:") return kib / 1024.0;
  }
  return 0;
}

void check_memory(const ExperimentConfig& cfg, const std::vector<int64_t>& input_shape,
                  double available_mb) {
  if (available_mb <= 0) available_mb = available_memory_mb();
  if (available_mb <= 0) return;
  const MemoryEstimate e = estimate_memory(cfg, input_shape);
  if (e.total_mb() <= available_mb) return;
  throw ConfigError(format(
      "this config needs at least %.0f MiB (parameters with gradients and Adam: %.0f MiB; one "
      "meta-batch of inputs: %.0f MiB; activations: %.0f MiB), but %.0f MiB are available "
      "(MemAvailable); reduce model.hidden or model.width, optim.meta_batch or the episode size",
      e.total_mb(), e.parameters_mb, e.batch_mb, e.activations_mb, available_mb));
}

}  // namespace metabench
