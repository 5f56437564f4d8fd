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
#include <memory>
#include <string>
#include <vector>

#include "core/raw_config.h"
#include "datasets/augment.h"
#include "metabench/algorithm.h"
#include "metabench/backbone.h"
#include "metabench/dataset.h"
#include "metabench/episode.h"
#include "metabench/options.h"
#include "metabench/schema.h"
#include "metabench/settings.h"

namespace metabench {

// The RunSettings part is what plugins see; the rest is the harness's.
struct ExperimentConfig : RunSettings {
  std::string name;
  std::string algorithm;
  std::string dataset;
  std::string backbone;
  int64_t seed = 1;

  int64_t test_episodes = 0;
  int64_t val_episodes = 0;
  int64_t val_interval = 0;  // 0: validate once, at the end of training
  int64_t log_interval = 1;
  uint64_t eval_seed = 0;
  AugmentOptions augment;  // augment.*: training episodes only

  int threads = 1;  // resolved: 0 in the config means "all hardware threads"
  std::string device = "cpu";
  bool progress = true;
  std::string data_root;
  std::string checkpoint_dir;
  double snapshot_minutes = 5;  // 0: snapshots only at signals and at the end of training
  bool keep_snapshots = false;
  std::string blas_coretype = "auto";  // runtime.blas_coretype (core/blas_core.h)
  int64_t eval_batch = 0;  // runtime.eval_batch: episodes per evaluate_batch() call; 0 = automatic

  ConfigValues values;  // every key, including algo.* and data.*
  std::string yaml;     // the full resolved config, as YAML
  std::string hash;     // SHA-256 of the result-affecting keys
  // SHA-256 (first 8 hex digits) of the result-affecting keys but the seed:
  // runs of one family differ only in their seed, so reports aggregate them.
  std::string family;

  // The values of one scope ("algo", "data", "model") for a plugin.
  ScopedOptions scope(const std::string& name) const { return ScopedOptions(&values, name); }
};

// The keys every experiment has, independent of algorithm and dataset.
Schema core_schema();

// core_schema() plus the `algo.` options of `algorithm`, the `data.` options
// of `dataset` and the `model.` options of `backbone`.  Throws ConfigError
// for unknown names.
Schema experiment_schema(const std::string& algorithm, const std::string& dataset,
                         const std::string& backbone = "conv4");

ExperimentConfig resolve_experiment(const RawConfig& raw);

// Resolves a config given only as "KEY=VALUE" assignments, as `--set` takes
// them (for tests, benchmarks and programs embedding metabench).
ExperimentConfig resolve_assignments(const std::vector<std::string>& assignments);

// The dataset `cfg` names, created from its typed options.  Throws
// DatasetError (missing or malformed data) or ConfigError.
std::unique_ptr<Dataset> create_dataset(const ExperimentConfig& cfg);

// The backbone `cfg` names, for inputs of `input_shape`.
std::unique_ptr<Backbone> create_backbone(const ExperimentConfig& cfg,
                                          const std::vector<int64_t>& input_shape);

// The context `cfg`'s algorithm is created from: its settings and options;
// the caller sets the dataset, backbone, task kind, device and seed.
AlgorithmContext algorithm_context(const ExperimentConfig& cfg);

// The code identity a run of `cfg` gets in this process: metabench's build
// and the plugins that provide its algorithm, dataset and backbone
// (core/code_identity.h).
std::string code_identity(const ExperimentConfig& cfg);

// The data root when data.root is empty: $METABENCH_DATA, else "data".
std::string default_data_root();

}  // namespace metabench
