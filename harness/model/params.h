// Helpers for explicit parameter lists: initialisation from the portable Rng
// (so weights do not depend on LibTorch's generator), functional linear
// layers, and the linear-head specs that classifiers append to a backbone.
#pragma once

#include <ATen/core/Tensor.h>

#include <string>
#include <utility>
#include <vector>

#include "harness/core/rng.h"
#include "harness/model/backbone.h"

namespace metabench {

// Creates float32 tensors for `specs` on `device` (requires_grad not set).
std::vector<at::Tensor> init_params(const std::vector<ParamSpec>& specs, Rng& rng,
                                    const at::Device& device);

// init_params() from Rng(seed), each returned as a leaf that requires grad.
std::vector<at::Tensor> trainable_params(const std::vector<ParamSpec>& specs, uint64_t seed,
                                         const at::Device& device);

// Specs of a linear layer named `prefix`.weight [out, in] and `prefix`.bias [out].
std::vector<ParamSpec> linear_specs(const std::string& prefix, int64_t in, int64_t out);

// The backbone's specs followed by a linear head `prefix` from the backbone's
// output to `outputs`.
std::vector<ParamSpec> with_linear_head(const Backbone& backbone, const std::string& prefix,
                                        int64_t outputs);

// A linear layer per task: x [tasks, n, in], weight [tasks, out, in], bias
// [tasks, out]; returns [tasks, n, out].  One input or one output (the
// sinusoid MLP's first layer and head) runs as broadcast element-wise
// products and other small layers as small_bmm: LibTorch's CPU batched
// matrix product splits its batch into one GEMM call per task, about 1.2 us
// each, which dominates tiny tasks.
at::Tensor linear_tasks(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias);

std::vector<std::string> param_names(const std::vector<ParamSpec>& specs);

using NamedTensors = std::vector<std::pair<std::string, at::Tensor>>;

// Pairs names with tensors (same length), for Algorithm::state().
NamedTensors name_tensors(const std::vector<std::string>& names,
                          const std::vector<at::Tensor>& tensors);

// Copies `state` into `params` in place, for Algorithm::load_state().  Throws
// UserError when the names or shapes differ (a checkpoint of another model).
void copy_state(const NamedTensors& state, const std::vector<std::string>& names,
                std::vector<at::Tensor>& params);

// Zeroes the accumulated .grad() of every tensor that has one.
void zero_grads(std::vector<at::Tensor>& params);

// Clones `params` as new leaves that require grad (detached from any graph).
std::vector<at::Tensor> fresh_leaves(const std::vector<at::Tensor>& params);

}  // namespace metabench
