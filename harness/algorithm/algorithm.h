// The algorithm interface and its registry.
//
// An algorithm is created once per run with an AlgorithmContext, then the
// harness calls meta_train_step() once per meta-iteration with a meta-batch
// of training episodes, and evaluate() once per validation or test episode.
// evaluate() must not change the meta-learned state: it adapts a copy (or
// nothing, for metric-based methods) and scores the query set.
//
// To add an algorithm, create one folder under algorithms/ with a .cc file
// that subclasses Algorithm and calls METABENCH_REGISTER_ALGORITHM; the build
// picks the folder up without any other change.  The registered name is a
// stable identifier stored in results: never rename one.
#pragma once

#include <ATen/core/Tensor.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "datasets/episode.h"
#include "harness/config/schema.h"
#include "harness/core/registry.h"
#include "harness/model/backbone.h"
#include "harness/model/params.h"

namespace metabench {

struct ExperimentConfig;

class Dataset;

struct AlgorithmContext {
  const ExperimentConfig* config = nullptr;
  const Dataset* dataset = nullptr;    // outlives the algorithm
  const Backbone* backbone = nullptr;  // outlives the algorithm
  TaskKind kind = TaskKind::kClassification;
  at::Device device = at::kCPU;
  uint64_t init_seed = 0;  // derived from the run's seed; use it for all initialisation
};

struct StepResult {
  double loss = 0.0;
  double accuracy = 0.0;  // fraction in [0, 1]; NaN for regression
};

class Algorithm {
 public:
  virtual ~Algorithm() = default;
  // One meta-iteration on `batch` (size optim.meta_batch); returns the mean
  // query loss and accuracy over the batch before the meta-update.
  virtual StepResult meta_train_step(const std::vector<Episode>& batch) = 0;
  // Adapts to the episode's support set and scores its query set.
  virtual StepResult evaluate(const Episode& episode) = 0;
  // The meta-learned state, for checkpoints; load_state() accepts what
  // state() returned (same names and shapes).
  virtual NamedTensors state() const = 0;
  virtual void load_state(const NamedTensors& state) = 0;
};

struct AlgorithmInfo {
  std::string name;
  std::string description;  // one line, shown by `metabench list algorithms`
  bool supports_classification = true;
  bool supports_regression = false;
  Schema options;  // keys under `algo.`
  // Extra checks across keys; throws ConfigError.  Optional.
  std::function<void(const ExperimentConfig&)> validate;
  std::function<std::unique_ptr<Algorithm>(const AlgorithmContext&)> create;
  // This algorithm's defaults for shared keys, e.g. {"optim.inner_lr", 0.001}
  // for Reptile's inner Adam; shown by `metabench list options --algorithm`.
  std::vector<std::pair<std::string, ConfigValue>> defaults = {};
};

using AlgorithmRegistry = Registry<AlgorithmInfo>;

struct AlgorithmRegistration {
  explicit AlgorithmRegistration(AlgorithmInfo info) {
    register_entry(std::move(info), "algorithm");
  }
};

#define METABENCH_REGISTER_ALGORITHM(...)                                             \
  static ::metabench::AlgorithmRegistration METABENCH_CONCAT(algorithm_registration_, \
                                                             __LINE__)(__VA_ARGS__)

}  // namespace metabench
