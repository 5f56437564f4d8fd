// ANIL, "Almost No Inner Loop" (Raghu, Raghu, Bengio and Vinyals, ICLR 2020;
// arXiv 2019).
//
// MAML with the inner loop restricted to the final linear head: the body's
// features of the support set are computed once, the head is adapted by K
// SGD steps on them, and the query loss at the adapted head is
// back-propagated (second-order through the head's updates) into both the
// head's initialisation and the body.  The body is updated only by the outer
// loop.
#pragma once

#include <ATen/core/Tensor.h>

#include <vector>

#include "algorithms/maml_style/maml_style.h"

namespace metabench {

// Adapts the head of `params` (a MamlNetwork parameter list) on the episode's
// support set.  Returns the full list: the body entries are the very tensors
// passed in; only the last two (head weight and bias) are new.
std::vector<at::Tensor> anil_adapt(const MamlNetwork& net, const std::vector<at::Tensor>& params,
                                   const Episode& episode, TaskKind kind, int64_t steps,
                                   double inner_lr, bool create_graph);

// anil_adapt for every task at once: stacked results, [tasks, ...], the body
// entries being `params` expanded (not copied) over the tasks.
std::vector<at::Tensor> anil_adapt_tasks(const MamlNetwork& net,
                                         const std::vector<at::Tensor>& params,
                                         const at::Tensor& support_x, const at::Tensor& support_y,
                                         TaskKind kind, int64_t steps, double inner_lr,
                                         bool create_graph);

}  // namespace metabench
