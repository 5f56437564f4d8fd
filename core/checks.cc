#include "metabench/checks.h"

#include <string>

#include "metabench/errors.h"

namespace metabench {

void require_equal_train_and_test_ways(const RunSettings& settings) {
  if (settings.train_shape.ways != settings.test_shape.ways) {
    throw ConfigError("it adapts a fixed-size output head, so episode.train_ways (" +
                      std::to_string(settings.train_shape.ways) + ") must equal episode.ways (" +
                      std::to_string(settings.test_shape.ways) + ")");
  }
}

}  // namespace metabench
