// The settings of a run that every plugin may read: the episode shapes, the
// optimisation budget and the model size.  They are the core config keys
// (episode.*, optim.*, model.*), resolved and validated by the harness; an
// entry's own keys come as its typed options (metabench/options.h).
#pragma once

#include <cstdint>
#include <vector>

#include "metabench/episode.h"

namespace metabench {

struct RunSettings {
  EpisodeShape train_shape;  // meta-training episodes (episode.train_*)
  EpisodeShape test_shape;   // validation and test episodes (episode.*)

  double meta_lr = 0.0;          // optim.meta_lr: the outer loop's Adam step size
  double inner_lr = 0.0;         // optim.inner_lr: the inner loop's step size
  int64_t inner_steps = 0;       // optim.inner_steps: inner steps in meta-training
  int64_t inner_steps_test = 0;  // optim.inner_steps_test: inner steps at validation and test
  int64_t meta_batch = 1;        // optim.meta_batch: episodes per meta-iteration
  int64_t iterations = 1;        // optim.iterations: meta-iterations

  int64_t model_width = 64;                   // model.width: conv4 channels per block
  std::vector<int64_t> model_hidden{40, 40};  // model.hidden: mlp hidden layer sizes
};

}  // namespace metabench
