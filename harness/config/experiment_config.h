// The resolved configuration of one experiment (one algorithm, dataset,
// episode setting and seed).
//
// resolve_experiment() turns raw layers (YAML files, sweep cells, --set
// overrides) into an ExperimentConfig: it rejects unknown keys (suggesting the
// nearest valid one), wrong types and out-of-range values with a ConfigError
// naming the origin (file:line or --set), the key and what was expected; it
// fills every missing key with its default; and it computes the config hash
// over the keys that affect results (not runtime.* or data.root), which the
// sweep uses to recognise cells it has already completed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "datasets/episode.h"
#include "harness/config/raw_config.h"
#include "harness/config/schema.h"

namespace metabench {

struct ExperimentConfig {
  std::string name;
  std::string algorithm;
  std::string dataset;
  std::string backbone;
  int64_t seed = 1;

  EpisodeShape train_shape;  // meta-training episodes
  EpisodeShape test_shape;   // validation and test episodes

  double meta_lr = 0.0;
  double inner_lr = 0.0;
  int64_t inner_steps = 0;
  int64_t inner_steps_test = 0;
  int64_t meta_batch = 1;
  int64_t iterations = 1;

  int64_t test_episodes = 0;
  int64_t val_episodes = 0;
  int64_t val_interval = 0;  // 0: validate once, at the end of training
  int64_t log_interval = 1;
  uint64_t eval_seed = 0;

  int threads = 1;  // resolved: 0 in the config means "all hardware threads"
  std::string device = "cpu";
  bool progress = true;
  std::string data_root;
  std::string checkpoint_dir;

  ConfigValues values;  // every key, including algo.* and data.*
  std::string yaml;     // the full resolved config, as YAML
  std::string hash;     // SHA-256 of the result-affecting keys
};

// The keys every experiment has, independent of algorithm and dataset.
Schema core_schema();

// core_schema() plus `algo.` options of `algorithm` and `data.` options of
// `dataset`.  Throws ConfigError for unknown names.
Schema experiment_schema(const std::string& algorithm, const std::string& dataset);

ExperimentConfig resolve_experiment(const RawConfig& raw);

// Resolves a config given only as "KEY=VALUE" assignments, as `--set` takes
// them (for tests, benchmarks and programs embedding metabench).
ExperimentConfig resolve_assignments(const std::vector<std::string>& assignments);

// The data root when data.root is empty: $METABENCH_DATA, else "data".
std::string default_data_root();

}  // namespace metabench
