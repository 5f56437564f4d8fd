// Reptile (Nichol, Achiam and Schulman, "On First-Order Meta-Learning
// Algorithms", 2018).
//
// For each task of a meta-batch, start from theta and run k steps of SGD or
// Adam (beta1 = 0) on mini-batches of the task's data, giving theta'_task;
// then move theta towards them: theta <- theta + epsilon * mean(theta'_task -
// theta), with epsilon annealed linearly from algo.epsilon to
// algo.epsilon_final over training.  No second derivatives, no query/support
// distinction in training (all of the task's examples are training data).
//
// Evaluation adapts on the support set and scores the query set, either
// transductively (all queries in one batch, so batch norm sees the query
// batch) or not (each query is run in a batch with the support set alone, as
// in the paper's non-transductive setting); algo.transductive selects it and
// is recorded with the run's config.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

namespace metabench {

// algo.* options (defaults: the paper's Omniglot settings).
struct ReptileOptions {
  std::string inner_optimizer = "adam";  // algo.inner_optimizer: adam (beta1 = 0) or sgd
  int64_t inner_batch = 10;              // algo.inner_batch: examples per inner step; 0 = all
  double epsilon = 1.0;                  // algo.epsilon: outer step size at the start
  double epsilon_final = 0.0;            // algo.epsilon_final: at the end, annealed linearly
  bool transductive = true;              // algo.transductive: all queries in one batch
};

// theta += epsilon * mean over tasks of (adapted[task] - theta), in place.
void reptile_outer_update(std::vector<at::Tensor>& theta,
                          const std::vector<std::vector<at::Tensor>>& adapted, double epsilon);

// Linear annealing: epsilon at meta-iteration `iteration` (1-based) of `total`,
// from `start` at the first iteration towards `final` at the end.
double reptile_epsilon(double start, double final, int64_t iteration, int64_t total);

}  // namespace metabench
