// Losses and scores shared by algorithms: cross-entropy and accuracy for
// classification, mean squared error for regression.
#pragma once

#include <ATen/core/Tensor.h>

#include <functional>
#include <vector>

#include "metabench/algorithm.h"
#include "metabench/episode.h"

namespace metabench {

// Cross-entropy for int64 targets, MSE for float targets.
at::Tensor task_loss(const at::Tensor& outputs, const at::Tensor& targets, TaskKind kind);

// Fraction of argmax(outputs) equal to targets; NaN for regression.
double task_accuracy(const at::Tensor& outputs, const at::Tensor& targets, TaskKind kind);

// {loss, accuracy} of one set of predictions, as plain numbers.
StepResult score(const at::Tensor& outputs, const at::Tensor& targets, TaskKind kind);

// Each task's mean loss, [tasks], of outputs [tasks, n, out] against targets
// [tasks, n] (classification) or [tasks, n, out] (regression); differentiable.
at::Tensor per_task_loss(const at::Tensor& outputs, const at::Tensor& targets, TaskKind kind);

// score() of each task of a stacked batch: outputs [tasks, n, out] against
// targets [tasks, n] (classification) or [tasks, n, out] (regression), with
// one synchronisation for all of them.
std::vector<StepResult> score_tasks(const at::Tensor& outputs, const at::Tensor& targets,
                                    TaskKind kind);

// What one episode contributes to a meta-training step.
struct EpisodeLoss {
  at::Tensor loss;       // recorded, and back-propagated unless `objective` is set
  at::Tensor outputs;    // the predictions the recorded accuracy is taken on
  at::Tensor targets;    // their labels (or regression targets)
  at::Tensor objective;  // optional: what is back-propagated instead of `loss`
};

// The loop of a meta_train_step() that back-propagates one episode at a
// time, so that one episode's graph is alive at a time: back-propagates the
// mean over `batch` of each episode's objective, and returns the mean loss
// and accuracy (NaN for regression), before any optimiser step.
StepResult backward_mean_loss(const std::vector<Episode>& batch, TaskKind kind,
                              const std::function<EpisodeLoss(const Episode&)>& episode_loss);

// backward_mean_loss() of each episode's query cross-entropy on
// logits(episode): the loop of a metric-based learner.
StepResult backward_mean_query_loss(const std::vector<Episode>& batch,
                                    const std::function<at::Tensor(const Episode&)>& logits);

// Number of outputs a head needs: ways for classification, 1 for regression.
int64_t head_outputs(TaskKind kind, int64_t ways);

}  // namespace metabench
