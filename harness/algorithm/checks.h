// Config checks shared by several algorithms, for AlgorithmInfo::validate.
#pragma once

namespace metabench {

struct ExperimentConfig;

// Algorithms that adapt a fixed-size output head (MAML, FOMAML, ANIL,
// Reptile) need training episodes as wide as test episodes; throws
// ConfigError naming both values otherwise.
void require_equal_train_and_test_ways(const ExperimentConfig& cfg);

}  // namespace metabench
