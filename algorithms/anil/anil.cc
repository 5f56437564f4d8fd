#include "algorithms/anil/anil.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>

#include "harness/algorithm/algorithm.h"
#include "harness/algorithm/checks.h"
#include "harness/algorithm/losses.h"
#include "harness/config/experiment_config.h"
#include "harness/model/adam.h"
#include "harness/model/params.h"

namespace metabench {

std::vector<at::Tensor> anil_adapt(const MamlNetwork& net, const std::vector<at::Tensor>& params,
                                   const Episode& episode, TaskKind kind, int64_t steps,
                                   double inner_lr, bool create_graph) {
  const size_t h = net.head_index();
  // The body does not change in the inner loop, so its features are computed once.
  const at::Tensor features = net.features(episode.support_x, params);
  std::vector<at::Tensor> head = {params[h], params[h + 1]};
  for (int64_t step = 0; step < steps; ++step) {
    const at::Tensor loss = task_loss(net.head(features, head), episode.support_y, kind);
    const std::vector<at::Tensor> grads =
        torch::autograd::grad({loss}, head, /*grad_outputs=*/{}, /*retain_graph=*/true,
                              /*create_graph=*/create_graph);
    for (size_t i = 0; i < head.size(); ++i) head[i] = head[i] - inner_lr * grads[i];
  }
  std::vector<at::Tensor> adapted = params;
  adapted[h] = head[0];
  adapted[h + 1] = head[1];
  return adapted;
}

namespace {

class Anil : public Algorithm {
 public:
  explicit Anil(const AlgorithmContext& ctx)
      : cfg_(*ctx.config),
        kind_(ctx.kind),
        net_(*ctx.backbone, head_outputs(ctx.kind, ctx.config->train_shape.ways)),
        names_(param_names(net_.param_specs())),
        params_(trainable_params(net_.param_specs(), ctx.init_seed, ctx.device)),
        optimizer_(params_, AdamOptions().with_lr(cfg_.meta_lr)) {}

  StepResult meta_train_step(const std::vector<Episode>& batch) override {
    optimizer_.zero_grad();
    StepResult mean;
    const double n = static_cast<double>(batch.size());
    for (const Episode& episode : batch) {
      const auto fast =
          anil_adapt(net_, params_, episode, kind_, cfg_.inner_steps, cfg_.inner_lr, true);
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
    const std::vector<at::Tensor> start = fresh_leaves(params_);
    const auto fast =
        anil_adapt(net_, start, episode, kind_, cfg_.inner_steps_test, cfg_.inner_lr, false);
    at::NoGradGuard no_grad;
    return score(net_.forward(episode.query_x, fast), episode.query_y, kind_);
  }

  NamedTensors state() const override { return name_tensors(names_, params_); }
  void load_state(const NamedTensors& state) override { copy_state(state, names_, params_); }

 private:
  const ExperimentConfig& cfg_;
  TaskKind kind_;
  MamlNetwork net_;
  std::vector<std::string> names_;
  std::vector<at::Tensor> params_;
  Adam optimizer_;
};

METABENCH_REGISTER_ALGORITHM(AlgorithmInfo{
    "anil", "ANIL (Raghu et al. 2019): MAML adapting only the final linear head",
    /*supports_classification=*/true, /*supports_regression=*/true, Schema(),
    require_equal_train_and_test_ways,
    [](const AlgorithmContext& ctx) { return std::make_unique<Anil>(ctx); }});

}  // namespace
}  // namespace metabench
