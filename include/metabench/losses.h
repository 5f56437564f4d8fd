// Losses and scores shared by algorithms: cross-entropy and accuracy for
// classification, mean squared error for regression.
#pragma once

#include <ATen/core/Tensor.h>

#include "metabench/algorithm.h"
#include "metabench/episode.h"

namespace metabench {

// Cross-entropy for int64 targets, MSE for float targets.
at::Tensor task_loss(const at::Tensor& outputs, const at::Tensor& targets, TaskKind kind);

// Fraction of argmax(outputs) equal to targets; NaN for regression.
double task_accuracy(const at::Tensor& outputs, const at::Tensor& targets, TaskKind kind);

// {loss, accuracy} of one set of predictions, as plain numbers.
StepResult score(const at::Tensor& outputs, const at::Tensor& targets, TaskKind kind);

// Number of outputs a head needs: ways for classification, 1 for regression.
int64_t head_outputs(TaskKind kind, int64_t ways);

}  // namespace metabench
