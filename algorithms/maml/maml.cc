#include "algorithms/maml/maml.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>

#include "harness/algorithm/algorithm.h"
#include "harness/algorithm/losses.h"
#include "harness/config/experiment_config.h"
#include "harness/core/errors.h"
#include "harness/model/adam.h"
#include "harness/model/params.h"

namespace metabench {

MamlNetwork::MamlNetwork(const Backbone& backbone, int64_t outputs)
    : backbone_(backbone), outputs_(outputs), backbone_params_(backbone.param_specs().size()) {}

std::vector<ParamSpec> MamlNetwork::param_specs() const {
  std::vector<ParamSpec> specs = backbone_.param_specs();
  for (auto& s : linear_specs("head", backbone_.output_dim(), outputs_)) specs.push_back(s);
  return specs;
}

at::Tensor MamlNetwork::forward(const at::Tensor& x, at::TensorList params) const {
  const at::Tensor features = backbone_.forward(x, params.slice(0, backbone_params_));
  return at::linear(features, params[backbone_params_], params[backbone_params_ + 1]);
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

class Maml : public Algorithm {
 public:
  explicit Maml(const AlgorithmContext& ctx)
      : cfg_(*ctx.config),
        kind_(ctx.kind),
        net_(*ctx.backbone, head_outputs(ctx.kind, ctx.config->train_shape.ways)),
        names_(param_names(net_.param_specs())),
        params_(trainable_params(net_.param_specs(), ctx.init_seed, ctx.device)),
        optimizer_(params_, AdamOptions().with_lr(cfg_.meta_lr)),
        first_order_(cfg_.values.get_bool("algo.first_order")) {}

  StepResult meta_train_step(const std::vector<Episode>& batch) override {
    optimizer_.zero_grad();
    StepResult mean;
    const double n = static_cast<double>(batch.size());
    for (const Episode& episode : batch) {
      // Back-propagating each task's loss right away keeps only one task's
      // second-order graph alive at a time.
      const std::vector<at::Tensor> fast =
          maml_adapt(net_, params_, episode, kind_, cfg_.inner_steps, cfg_.inner_lr, !first_order_);
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
    const std::vector<at::Tensor> fast = maml_adapt(net_, start, episode, kind_,
                                                    cfg_.inner_steps_test, cfg_.inner_lr, false);
    at::NoGradGuard no_grad;
    return score(net_.forward(episode.query_x, fast), episode.query_y, kind_);
  }

  NamedTensors state() const override {
    NamedTensors out;
    for (size_t i = 0; i < params_.size(); ++i) out.emplace_back(names_[i], params_[i]);
    return out;
  }

  void load_state(const NamedTensors& state) override {
    at::NoGradGuard no_grad;
    for (size_t i = 0; i < params_.size(); ++i) params_[i].copy_(state.at(i).second);
  }

 private:
  const ExperimentConfig& cfg_;
  TaskKind kind_;
  MamlNetwork net_;
  std::vector<std::string> names_;
  std::vector<at::Tensor> params_;
  Adam optimizer_;
  bool first_order_;
};

Schema maml_options() {
  Schema s;
  s.add_bool("first_order", false,
             "drop second derivatives through the inner loop (FOMAML, Finn et al. 2017 sec. 5.2)");
  return s;
}

void validate_maml(const ExperimentConfig& cfg) {
  if (cfg.train_shape.ways != cfg.test_shape.ways) {
    throw ConfigError("algorithm 'maml' adapts a fixed-size output head, so episode.train_ways (" +
                      std::to_string(cfg.train_shape.ways) + ") must equal episode.ways (" +
                      std::to_string(cfg.test_shape.ways) + ")");
  }
}

METABENCH_REGISTER_ALGORITHM(AlgorithmInfo{
    "maml", "MAML (Finn et al. 2017): second-order meta-gradient through K inner SGD steps",
    /*supports_classification=*/true, /*supports_regression=*/true, maml_options(), validate_maml,
    [](const AlgorithmContext& ctx) { return std::make_unique<Maml>(ctx); }});

}  // namespace
}  // namespace metabench
