// Sweep files: a matrix of algorithms x datasets x episode settings x seeds.
//
//   name: quickstart
//   plugins: [../../build/plugins/libfinetune.so]   # optional, relative to this file
//   base: {eval: {test_episodes: 600}}        # config keys for every cell
//   algorithms:
//     - protonet                               # registry name alone, or
//     - {name: maml, config: ../quick/maml.yaml, set: {optim.inner_lr: 0.4}}
//   datasets:
//     - synthetic-glyphs
//     - {name: sinusoid, settings: [{ways: 1, shots: 10}]}   # own settings
//   settings: [{ways: 5, shots: 1}, {ways: 5, shots: 5}]
//   seeds: [1, 2, 3]
//
// Each cell's config is layered, later layers winning: base, the algorithm's
// config file, the algorithm's `set`, the dataset's `set`, the setting, the
// cell's algorithm/dataset/seed, then --set from the command line.  In a
// setting, ways/shots/queries/train_ways/train_shots/train_queries are short
// for episode.*; other keys are dotted config paths.  Relative paths are
// relative to the sweep file.  Cells whose algorithm cannot handle the
// dataset's task kind (ProtoNets on regression) are skipped and listed.
// Cells whose resolved configs are equal (the same config hash) collapse
// into the first of them, and are counted.
#pragma once

#include <string>
#include <vector>

#include "harness/config/experiment_config.h"

namespace metabench {

struct Sweep {
  std::string name;
  std::vector<ExperimentConfig> cells;  // resolved, validated and distinct
  int duplicates = 0;                   // cells of the matrix equal to an earlier one
  std::vector<std::string> skipped;     // "protonet x sinusoid: ..." explanations
};

// Loads, expands and resolves every cell; throws ConfigError naming the file
// and key on any problem, before anything runs.
Sweep load_sweep(const std::string& path, const std::vector<std::string>& overrides);

}  // namespace metabench
