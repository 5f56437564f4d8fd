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

// The loop of a metric-based learner's meta_train_step(): back-propagates the
// mean over `batch` of each episode's query cross-entropy on
// logits(episode), one episode's graph at a time, and returns the mean loss
// and accuracy (before any optimiser step).
StepResult backward_mean_query_loss(const std::vector<Episode>& batch,
                                    const std::function<at::Tensor(const Episode&)>& logits);

// Number of outputs a head needs: ways for classification, 1 for regression.
int64_t head_outputs(TaskKind kind, int64_t ways);

}  // namespace metabench
