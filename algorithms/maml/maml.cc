#include "algorithms/maml/maml.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>

#include "harness/algorithm/algorithm.h"
#include "harness/algorithm/checks.h"
#include "harness/algorithm/losses.h"
#include "harness/config/experiment_config.h"
#include "harness/model/adam.h"
#include "harness/model/params.h"

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

std::vector<at::Tensor> maml_adapt(const MamlNetwork& net, const std::vector<at::Tensor>& params,
                                   const Episode& episode, TaskKind kind, int64_t steps,
                                   double inner_lr, bool create_graph) {
  std::vector<at::Tensor> fast = params;
  for (int64_t step = 0; step < steps; ++step) {
    const at::Tensor loss =
        task_loss(net.forward(episode.support_x, fast), episode.support_y, kind);
    const std::vector<at::Tensor> grads =
        torch::autograd::grad({loss}, fast, /*grad_outputs=*/{}, /*retain_graph=*/create_graph,
                              /*create_graph=*/create_graph);
    for (size_t i = 0; i < fast.size(); ++i) fast[i] = fast[i] - inner_lr * grads[i];
  }
  return fast;
}

namespace {

class MamlStyle : public Algorithm {
 public:
  MamlStyle(const AlgorithmContext& ctx, AdaptFunction adapt, bool first_order)
      : cfg_(*ctx.config),
        adapt_(adapt),
        kind_(ctx.kind),
        net_(*ctx.backbone, head_outputs(ctx.kind, ctx.config->train_shape.ways)),
        names_(param_names(net_.param_specs())),
        params_(trainable_params(net_.param_specs(), ctx.init_seed, ctx.device)),
        optimizer_(params_, AdamOptions().with_lr(cfg_.meta_lr)),
        first_order_(first_order) {}

  StepResult meta_train_step(const std::vector<Episode>& batch) override {
    optimizer_.zero_grad();
    StepResult mean;
    const double n = static_cast<double>(batch.size());
    for (const Episode& episode : batch) {
      // Back-propagating each task's loss right away keeps only one task's
      // second-order graph alive at a time.
      const std::vector<at::Tensor> fast =
          adapt_(net_, params_, episode, kind_, cfg_.inner_steps, cfg_.inner_lr, !first_order_);
      const at::Tensor outputs = net_.forward(episode.query_x, fast);
      const at::Tensor loss = task_loss(outputs, episode.query_y, kind_);
      (loss / n).backward();
      mean.loss += loss.item<double>() / n;
      mean.accuracy += task_accuracy(outputs.detach(), episode.query_y, kind_) / n;
    }
    optimizer_.step();
    return mean;
  }

  StepResult evaluate(const Episode& episode) override {
    // Adapt a detached copy: evaluation must not touch the meta-parameters.
    const std::vector<at::Tensor> start = fresh_leaves(params_);
    const std::vector<at::Tensor> fast =
        adapt_(net_, start, episode, kind_, cfg_.inner_steps_test, cfg_.inner_lr, false);
    at::NoGradGuard no_grad;
    return score(net_.forward(episode.query_x, fast), episode.query_y, kind_);
  }

  NamedTensors state() const override { return name_tensors(names_, params_); }
  void load_state(const NamedTensors& state) override { copy_state(state, names_, params_); }

 private:
  const ExperimentConfig& cfg_;
  AdaptFunction adapt_;
  TaskKind kind_;
  MamlNetwork net_;
  std::vector<std::string> names_;
  std::vector<at::Tensor> params_;
  Adam optimizer_;
  bool first_order_;
};

METABENCH_REGISTER_ALGORITHM(AlgorithmInfo{
    "maml", "MAML (Finn et al. 2017): second-order meta-gradient through K inner SGD steps",
    /*supports_classification=*/true, /*supports_regression=*/true, Schema(),
    require_equal_train_and_test_ways, [](const AlgorithmContext& ctx) {
      return make_maml_style(ctx, maml_adapt, /*first_order=*/false);
    }});

}  // namespace

std::unique_ptr<Algorithm> make_maml_style(const AlgorithmContext& context, AdaptFunction adapt,
                                           bool first_order) {
  return std::make_unique<MamlStyle>(context, adapt, first_order);
}

}  // namespace metabench
