#include "harness/algorithm/checks.h"

#include <string>

#include "harness/config/experiment_config.h"
#include "harness/core/errors.h"

namespace metabench {

void require_equal_train_and_test_ways(const ExperimentConfig& cfg) {
  if (cfg.train_shape.ways != cfg.test_shape.ways) {
    throw ConfigError("algorithm '" + cfg.algorithm +
                      "' adapts a fixed-size output head, so episode.train_ways (" +
                      std::to_string(cfg.train_shape.ways) + ") must equal episode.ways (" +
                      std::to_string(cfg.test_shape.ways) + ")");
  }
}

}  // namespace metabench
