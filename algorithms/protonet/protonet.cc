#include "algorithms/protonet/protonet.h"

#include <ATen/ATen.h>

#include "harness/algorithm/algorithm.h"
#include "harness/algorithm/losses.h"
#include "harness/config/experiment_config.h"
#include "harness/model/adam.h"
#include "harness/model/params.h"

namespace metabench {

at::Tensor prototype_logits(const at::Tensor& support, const at::Tensor& query, int64_t ways) {
  const at::Tensor prototypes = support.view({ways, -1, support.size(1)}).mean(1);
  const at::Tensor diff = query.unsqueeze(1) - prototypes.unsqueeze(0);  // [Q, ways, D]
  return -diff.pow(2).sum(2);
}

namespace {

class ProtoNet : public Algorithm {
 public:
  explicit ProtoNet(const AlgorithmContext& ctx)
      : backbone_(*ctx.backbone),
        names_(param_names(ctx.backbone->param_specs())),
        params_(trainable_params(ctx.backbone->param_specs(), ctx.init_seed, ctx.device)),
        optimizer_(params_, AdamOptions().with_lr(ctx.config->meta_lr)) {}

  StepResult meta_train_step(const std::vector<Episode>& batch) override {
    optimizer_.zero_grad();
    StepResult mean;
    for (const Episode& episode : batch) {
      const at::Tensor logits = episode_logits(episode);
      const at::Tensor loss = task_loss(logits, episode.query_y, TaskKind::kClassification);
      (loss / static_cast<double>(batch.size())).backward();
      mean.loss += loss.item<double>() / batch.size();
      mean.accuracy +=
          task_accuracy(logits, episode.query_y, TaskKind::kClassification) / batch.size();
    }
    optimizer_.step();
    return mean;
  }

  StepResult evaluate(const Episode& episode) override {
    at::NoGradGuard no_grad;
    return score(episode_logits(episode), episode.query_y, TaskKind::kClassification);
  }

  NamedTensors state() const override { return name_tensors(names_, params_); }
  void load_state(const NamedTensors& state) override { copy_state(state, names_, params_); }

 private:
  at::Tensor episode_logits(const Episode& episode) const {
    const int64_t n_support = episode.support_x.size(0);
    const at::Tensor embeddings =
        backbone_.forward(at::cat({episode.support_x, episode.query_x}), params_);
    return prototype_logits(embeddings.slice(0, 0, n_support), embeddings.slice(0, n_support),
                            episode.ways);
  }

  const Backbone& backbone_;
  std::vector<std::string> names_;
  std::vector<at::Tensor> params_;
  Adam optimizer_;
};

METABENCH_REGISTER_ALGORITHM(AlgorithmInfo{
    "protonet", "Prototypical Networks (Snell et al. 2017): nearest class mean, squared Euclidean",
    /*supports_classification=*/true, /*supports_regression=*/false, Schema(), nullptr,
    [](const AlgorithmContext& ctx) { return std::make_unique<ProtoNet>(ctx); }});

}  // namespace
}  // namespace metabench
