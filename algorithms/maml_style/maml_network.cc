// MamlNetwork and the inner loops of MAML-style learners: every parameter
// (MAML, FOMAML) or, in anil/, the head alone, both built on sgd_steps.
#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>

#include "algorithms/maml_style/maml_style.h"
#include "metabench/algorithm.h"
#include "metabench/losses.h"
#include "metabench/param_set.h"
#include "nn/linear.h"

namespace metabench {

MamlNetwork::MamlNetwork(const Backbone& backbone, int64_t outputs)
    : backbone_(backbone), outputs_(outputs), backbone_params_(backbone.param_specs().size()) {}

std::vector<ParamSpec> MamlNetwork::param_specs() const {
  return with_linear_head(backbone_, "head", outputs_);
}

at::Tensor MamlNetwork::forward(const at::Tensor& x, at::TensorList params) const {
  return head(features(x, params), params.slice(backbone_params_, 2));
}

at::Tensor MamlNetwork::features(const at::Tensor& x, at::TensorList params) const {
  return backbone_.forward(x, params.slice(0, backbone_params_));
}

at::Tensor MamlNetwork::head(const at::Tensor& features, at::TensorList head) const {
  return at::linear(features, head[0], head[1]);
}

at::Tensor MamlNetwork::forward_tasks(const at::Tensor& x, at::TensorList params) const {
  return head_tasks(features_tasks(x, params), params.slice(backbone_params_, 2));
}

at::Tensor MamlNetwork::features_tasks(const at::Tensor& x, at::TensorList params) const {
  return backbone_.forward_tasks(x, params.slice(0, backbone_params_));
}

at::Tensor MamlNetwork::head_tasks(const at::Tensor& features, at::TensorList head) const {
  return linear_tasks(features, head[0], head[1]);
}

namespace {

// `steps` gradient steps on `loss`, weights[i] <- update(i, weights[i], grad).
template <typename Update>
std::vector<at::Tensor> descend(std::vector<at::Tensor> weights, const InnerLoss& loss,
                                int64_t steps, bool create_graph, const Update& update) {
  for (int64_t step = 0; step < steps; ++step) {
    const std::vector<at::Tensor> grads =
        torch::autograd::grad({loss(weights)}, weights, /*grad_outputs=*/{},
                              /*retain_graph=*/create_graph, /*create_graph=*/create_graph);
    for (size_t i = 0; i < weights.size(); ++i) weights[i] = update(i, weights[i], grads[i]);
  }
  return weights;
}

}  // namespace

std::vector<at::Tensor> sgd_steps(std::vector<at::Tensor> weights, const InnerLoss& loss,
                                  int64_t steps, double inner_lr, bool create_graph) {
  return descend(std::move(weights), loss, steps, create_graph,
                 [inner_lr](size_t, const at::Tensor& w, const at::Tensor& g) {
                   return at::sub(w, g, inner_lr);
                 });
}

std::vector<at::Tensor> sgd_steps(std::vector<at::Tensor> weights, const InnerLoss& loss,
                                  int64_t steps, const std::vector<at::Tensor>& lrs,
                                  bool create_graph) {
  return descend(
      std::move(weights), loss, steps, create_graph,
      [&lrs](size_t i, const at::Tensor& w, const at::Tensor& g) { return w - lrs[i] * g; });
}

std::vector<at::Tensor> maml_adapt(const MamlNetwork& net, const std::vector<at::Tensor>& params,
                                   const Episode& episode, TaskKind kind, int64_t steps,
                                   double inner_lr, bool create_graph) {
  return sgd_steps(
      params,
      [&](const std::vector<at::Tensor>& w) {
        return task_loss(net.forward(episode.support_x, w), episode.support_y, kind);
      },
      steps, inner_lr, create_graph);
}

std::vector<at::Tensor> expand_over_tasks(const std::vector<at::Tensor>& params, int64_t tasks) {
  std::vector<at::Tensor> stacked;
  for (const at::Tensor& p : params) {
    std::vector<int64_t> shape = {tasks};
    shape.insert(shape.end(), p.sizes().begin(), p.sizes().end());
    stacked.push_back(p.unsqueeze(0).expand(shape));
  }
  return stacked;
}

std::vector<at::Tensor> maml_adapt_tasks(const MamlNetwork& net,
                                         const std::vector<at::Tensor>& params,
                                         const at::Tensor& support_x, const at::Tensor& support_y,
                                         TaskKind kind, int64_t steps, double inner_lr,
                                         bool create_graph) {
  // Task t's loss depends on task t's weights only, so the gradient of the
  // sum with respect to the stacked weights is every task's own gradient.
  return sgd_steps(
      expand_over_tasks(params, support_x.size(0)),
      [&](const std::vector<at::Tensor>& w) {
        return per_task_loss(net.forward_tasks(support_x, w), support_y, kind).sum();
      },
      steps, inner_lr, create_graph);
}

}  // namespace metabench
