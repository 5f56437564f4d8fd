// Config checks shared by several algorithms, for AlgorithmInfo::validate.
// They throw ConfigError; the harness prefixes the algorithm's name and the
// config's origin.
#pragma once

#include "metabench/settings.h"

namespace metabench {

// Algorithms that adapt a fixed-size output head (MAML, FOMAML, ANIL,
// Reptile) need training episodes as wide as test episodes; throws
// ConfigError naming both values otherwise.
void require_equal_train_and_test_ways(const RunSettings& settings);

}  // namespace metabench
