// Meta-SGD (Li, Zhou, Chen and Li, "Meta-SGD: Learning to Learn Quickly for
// Few-Shot Learning", 2017).
//
// MAML whose inner step size is learned: a tensor alpha of each parameter's
// shape, meta-trained with the initialisation theta, so that
// theta' = theta - alpha (.) grad L_support(theta)
// (elementwise), and the meta-objective, the query loss at theta', is
// differentiated with respect to theta and alpha alike (second order).
#pragma once

#include <ATen/core/Tensor.h>

#include <vector>

#include "algorithms/maml_style/maml_style.h"
#include "metabench/episode.h"

namespace metabench {

// `steps` inner steps of Meta-SGD from `params` on the episode's support
// set, with learning rates `lrs` (one tensor per parameter, same shapes).
// With create_graph the result is differentiable with respect to `params`
// and `lrs`.
std::vector<at::Tensor> metasgd_adapt(const MamlNetwork& net, const std::vector<at::Tensor>& params,
                                      const std::vector<at::Tensor>& lrs, const Episode& episode,
                                      TaskKind kind, int64_t steps, bool create_graph);

}  // namespace metabench
