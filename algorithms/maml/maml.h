// Model-Agnostic Meta-Learning (Finn, Abbeel and Levine, ICML 2017).
//
// The meta-parameters theta are adapted to each task by K steps of SGD on the
// support loss, theta'_k = theta'_{k-1} - alpha * grad L_support(theta'_{k-1});
// the meta-objective is the query loss at theta'_K, averaged over the
// meta-batch and minimised with Adam.  Second-order by default: the
// meta-gradient differentiates through the inner updates (Hessian-vector
// products).  First-order MAML (registered as `fomaml`, algorithms/fomaml/)
// runs the same code with the inner gradients treated as constants, so its
// meta-gradient is the query-loss gradient at the adapted parameters.  Batch
// norm uses batch statistics at test time as in the paper's reference code
// (transductive).
#pragma once

#include <ATen/core/Tensor.h>

#include <memory>
#include <vector>

#include "datasets/episode.h"
#include "harness/algorithm/algorithm.h"
#include "harness/model/backbone.h"

namespace metabench {

// The network MAML adapts: a backbone followed by a linear head.
class MamlNetwork {
 public:
  MamlNetwork(const Backbone& backbone, int64_t outputs);
  std::vector<ParamSpec> param_specs() const;
  at::Tensor forward(const at::Tensor& x, at::TensorList params) const;
  // The backbone alone (params may be the full list; the head is ignored).
  at::Tensor features(const at::Tensor& x, at::TensorList params) const;
  // The linear head on features; `head` is {weight, bias}.
  at::Tensor head(const at::Tensor& features, at::TensorList head) const;
  // Index of the head's weight in the parameter list; the bias follows it.
  size_t head_index() const { return backbone_params_; }

 private:
  const Backbone& backbone_;
  int64_t outputs_;
  size_t backbone_params_;
};

// Runs `steps` inner SGD steps from `params` on the episode's support set.
// With create_graph the result stays differentiable with respect to `params`
// through the gradients (second order); without it, the inner gradients are
// constants (first order).
std::vector<at::Tensor> maml_adapt(const MamlNetwork& net, const std::vector<at::Tensor>& params,
                                   const Episode& episode, TaskKind kind, int64_t steps,
                                   double inner_lr, bool create_graph);

// How a MAML-style learner adapts to a task: maml_adapt (every parameter)
// or anil_adapt (the head only).
using AdaptFunction = std::vector<at::Tensor> (*)(const MamlNetwork& net,
                                                  const std::vector<at::Tensor>& params,
                                                  const Episode& episode, TaskKind kind,
                                                  int64_t steps, double inner_lr,
                                                  bool create_graph);

// A MAML-style learner: `adapt` in the inner loop, Adam on the mean
// post-adaptation query loss in the outer loop, second-order unless
// `first_order`.  MAML, FOMAML and ANIL are this with different arguments.
std::unique_ptr<Algorithm> make_maml_style(const AlgorithmContext& context, AdaptFunction adapt,
                                           bool first_order);

}  // namespace metabench
