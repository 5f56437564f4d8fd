// A lower bound of the memory a run needs, checked before anything is
// allocated or recorded: the parameters with their gradients and Adam's two
// moments (exact for the built-in backbones), one training meta-batch of
// inputs, and one activation per layer of the backbone for that batch.  A
// config whose lower bound exceeds the memory available is refused (exit 2)
// with the estimate: it cannot fit.  One within it may still not fit; the
// bound errs on the side of never refusing a config that would run.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness/config/experiment_config.h"

namespace metabench {

struct MemoryEstimate {
  double parameters_mb = 0, batch_mb = 0, activations_mb = 0;
  double total_mb() const { return parameters_mb + batch_mb + activations_mb; }
};

MemoryEstimate estimate_memory(const ExperimentConfig& cfg,
                               const std::vector<int64_t>& input_shape);

// MemAvailable of /proc/meminfo in MiB; 0 when unknown (never refuse then).
double available_memory_mb();

// ConfigError naming the estimate and the keys that drive it when the lower
// bound exceeds `available_mb` (0: available_memory_mb()).
void check_memory(const ExperimentConfig& cfg, const std::vector<int64_t>& input_shape,
                  double available_mb = 0);

}  // namespace metabench
