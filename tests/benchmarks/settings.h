// The configurations shared by the micro-benchmarks and the comparison
// driver: Omniglot-shaped (synthetic glyphs, 1x28x28 as Omniglot, Conv4-64,
// 5-way 1-shot test episodes with 15 queries per class) and MAML's sinusoid
// regression; and PreparedRun, a model plus one meta-batch to time it on.
#pragma once

#include <ATen/Parallel.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "datasets/episode_sampler.h"
#include "harness/config/experiment_config.h"
#include "harness/run/run_steps.h"
#include "metabench/dataset.h"

namespace metabench {

// Assignments for `algorithm` trained on `train_ways`-way episodes,
// `meta_batch` of them per meta-iteration; each algorithm's own defaults
// for everything else.
inline std::vector<std::string> omniglot_shaped(const std::string& algorithm, int64_t train_ways,
                                                int64_t meta_batch) {
  return {"algorithm=" + algorithm,
          "dataset=synthetic-glyphs",
          "model.width=64",
          "episode.ways=5",
          "episode.shots=1",
          "episode.queries=15",
          "episode.train_ways=" + std::to_string(train_ways),
          "optim.meta_batch=" + std::to_string(meta_batch)};
}

// MAML on sinusoid regression as in the paper: K = 10, MLP 40-40, inner
// learning rate 0.01, meta-batch 25.
inline std::vector<std::string> sinusoid_maml() {
  return {"algorithm=maml",        "dataset=sinusoid",    "backbone=mlp",
          "model.hidden=[40, 40]", "episode.ways=1",      "episode.shots=10",
          "episode.queries=10",    "optim.inner_lr=0.01", "optim.meta_batch=25"};
}

// The configuration resolved from `assignments`, its dataset, a CPU model and
// the first meta-batch of training episodes (seed 1), with LibTorch's
// intra-op threads set as a run sets them (runtime.threads: all hardware
// threads by default).  Not movable: the algorithm keeps references to the
// configuration.
struct PreparedRun {
  explicit PreparedRun(const std::vector<std::string>& assignments)
      : cfg(resolve_assignments(assignments)),
        dataset(create_dataset(cfg)),
        model(build_model(cfg, *dataset, at::kCPU)) {
    at::set_num_threads(cfg.threads);
    TrainingStream stream(*dataset, cfg.train_shape, 1);
    for (int64_t i = 0; i < cfg.meta_batch; ++i) batch.push_back(stream.next());
  }
  PreparedRun(const PreparedRun&) = delete;
  PreparedRun& operator=(const PreparedRun&) = delete;

  ExperimentConfig cfg;
  std::unique_ptr<Dataset> dataset;
  Model model;
  std::vector<Episode> batch;
};

}  // namespace metabench
