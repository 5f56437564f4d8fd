// The MAML family's shared code: the network MAML-style learners adapt,
// their inner loops (per task and task-batched), the meta-gradient and the
// learner itself.  algorithms/maml/, fomaml/ and anil/ register it with
// their adapters; this folder registers nothing.
//
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

#include <functional>
#include <memory>
#include <vector>

#include "metabench/algorithm.h"
#include "metabench/backbone.h"
#include "metabench/episode.h"
#include "metabench/options.h"

namespace metabench {

// The network MAML adapts: a backbone followed by a linear head.
class MamlNetwork {
 public:
  MamlNetwork(const Backbone& backbone, int64_t outputs);
  std::vector<ParamSpec> param_specs() const;
  at::Tensor forward(const at::Tensor& x, at::TensorList params) const;
  // forward() of several tasks at once: x [tasks, batch, ...], params[i]
  // [tasks, ...]; returns [tasks, batch, outputs].
  at::Tensor forward_tasks(const at::Tensor& x, at::TensorList params) const;
  at::Tensor features_tasks(const at::Tensor& x, at::TensorList params) const;
  at::Tensor head_tasks(const at::Tensor& features, at::TensorList head) const;
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

// The loss an inner loop descends, as a function of the weights it adapts.
using InnerLoss = std::function<at::Tensor(const std::vector<at::Tensor>& weights)>;

// `steps` SGD steps of size `inner_lr` on `loss` from `weights`: the inner
// loop of every MAML-style learner, per task or task-batched, on all the
// weights or the head alone.  With create_graph the result stays
// differentiable with respect to `weights` through the gradients (second
// order); without it, each step's gradient is a constant (first order).
std::vector<at::Tensor> sgd_steps(std::vector<at::Tensor> weights, const InnerLoss& loss,
                                  int64_t steps, double inner_lr, bool create_graph);
// The same with a learned step size per weight tensor (lrs[i] for
// weights[i], of its shape or a scalar), as Meta-SGD and MAML++ learn them:
// with create_graph the result is differentiable with respect to `lrs` too.
std::vector<at::Tensor> sgd_steps(std::vector<at::Tensor> weights, const InnerLoss& loss,
                                  int64_t steps, const std::vector<at::Tensor>& lrs,
                                  bool create_graph);

// The episodes of a meta-batch stacked along a new first (task) dimension.
struct TaskBatch {
  at::Tensor support_x, support_y, query_x, query_y;  // [tasks, n, ...]
  int64_t tasks() const { return support_x.size(0); }
};

// Throws InternalError when the episodes' tensors differ in shape (a sampler
// bug: the episodes of a meta-batch share one EpisodeShape).
TaskBatch stack_tasks(const std::vector<Episode>& batch);

// `params` viewed (not copied) as `tasks` identical stacked copies, [tasks,
// ...]: every task's starting point in a batched inner loop.
std::vector<at::Tensor> expand_over_tasks(const std::vector<at::Tensor>& params, int64_t tasks);

// maml_adapt for every task at once.  `params` are the shared
// meta-parameters (not stacked); the result is stacked, [tasks, ...], and
// equals maml_adapt applied task by task.
std::vector<at::Tensor> maml_adapt_tasks(const MamlNetwork& net,
                                         const std::vector<at::Tensor>& params,
                                         const at::Tensor& support_x, const at::Tensor& support_y,
                                         TaskKind kind, int64_t steps, double inner_lr,
                                         bool create_graph);

// How a MAML-style learner adapts: maml_adapt (every parameter) or
// anil_adapt (the head only), one task at a time and task-batched.
struct Adapter {
  using PerTask = std::vector<at::Tensor> (*)(const MamlNetwork& net,
                                              const std::vector<at::Tensor>& params,
                                              const Episode& episode, TaskKind kind, int64_t steps,
                                              double inner_lr, bool create_graph);
  using Batched = std::vector<at::Tensor> (*)(const MamlNetwork& net,
                                              const std::vector<at::Tensor>& params,
                                              const at::Tensor& support_x,
                                              const at::Tensor& support_y, TaskKind kind,
                                              int64_t steps, double inner_lr, bool create_graph);
  PerTask per_task;
  Batched batched;
};

// What one meta-iteration computes before the optimiser step.
struct MetaGradientOptions {
  TaskKind kind = TaskKind::kClassification;
  int64_t inner_steps = 1;
  double inner_lr = 0.4;
  bool first_order = false;
  bool task_batching = true;
  // With task_batching: tasks adapted together per pass, which bounds the
  // memory of the live inner-loop graphs; 0 chooses from the support size.
  int64_t tasks_per_pass = 0;
};

// Accumulates into params' .grad() the gradient of the mean over `batch` of
// each task's post-adaptation query loss, and returns that mean loss and
// accuracy.  Both task_batching settings compute the same values.
StepResult accumulate_meta_gradient(const MamlNetwork& net, const std::vector<at::Tensor>& params,
                                    const std::vector<Episode>& batch, const Adapter& adapter,
                                    const MetaGradientOptions& options);

// The algo.* options shared by MAML-style learners.
struct MamlStyleOptions {
  bool task_batching = true;   // algo.task_batching
  int64_t tasks_per_pass = 0;  // algo.tasks_per_pass; 0: automatic
};

OptionsSchema<MamlStyleOptions> maml_style_options();

// A MAML-style learner: `adapter` in the inner loop, Adam on the mean
// post-adaptation query loss in the outer loop, second-order unless
// `first_order`.  MAML, FOMAML and ANIL are this with different arguments.
std::unique_ptr<Algorithm> make_maml_style(const AlgorithmContext& context,
                                           const MamlStyleOptions& options, Adapter adapter,
                                           bool first_order);

// The registry entry of a MAML-style learner named `name`: classification
// and regression, maml_style_options(), and training episodes as wide as
// test episodes (the head has a fixed size).
AlgorithmInfo maml_style_algorithm(std::string name, std::string description, Adapter adapter,
                                   bool first_order);

}  // namespace metabench
