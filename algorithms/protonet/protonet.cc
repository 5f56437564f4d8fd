#include "algorithms/protonet/protonet.h"

#include <ATen/ATen.h>

#include "metabench/adam.h"
#include "metabench/algorithm.h"
#include "metabench/losses.h"
#include "metabench/param_set.h"

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
        params_(ctx.backbone->param_specs(), ctx.init_seed, ctx.device),
        optimizer_(params_.tensors(), AdamOptions().with_lr(ctx.settings.meta_lr)),
        group_(ctx.group) {}

  StepResult meta_train_step(const std::vector<Episode>& batch) override {
    optimizer_.zero_grad();
    StepResult mean =
        backward_mean_query_loss(batch, [this](const Episode& e) { return episode_logits(e); });
    mean_gradients_over_meta_batch(group_, static_cast<int64_t>(batch.size()), params_.tensors(),
                                   mean);
    optimizer_.step();
    return mean;
  }

  StepResult evaluate(const Episode& episode) override {
    at::NoGradGuard no_grad;
    return score(episode_logits(episode), episode.query_y, TaskKind::kClassification);
  }

  NamedTensors state() const override { return params_.state(); }
  void load_state(const NamedTensors& state) override { params_.load(state); }
  NamedTensors training_state() const override { return optimizer_.state("adam"); }
  void load_training_state(const NamedTensors& state) override { optimizer_.load(state, "adam"); }

 private:
  at::Tensor episode_logits(const Episode& episode) const {
    const int64_t n_support = episode.support_x.size(0);
    const at::Tensor embeddings =
        backbone_.forward(at::cat({episode.support_x, episode.query_x}), params_.tensors());
    return prototype_logits(embeddings.slice(0, 0, n_support), embeddings.slice(0, n_support),
                            episode.ways);
  }

  const Backbone& backbone_;
  ParamSet params_;
  Adam optimizer_;
  MetaBatchGroup* group_;
};

METABENCH_REGISTER_ALGORITHM(
    AlgorithmInfo(
        "protonet",
        "Prototypical Networks (Snell et al. 2017): nearest class mean, squared Euclidean")
        .tasks(/*classification=*/true, /*regression=*/false)
        .factory([](const AlgorithmContext& ctx) -> std::unique_ptr<Algorithm> {
          return std::make_unique<ProtoNet>(ctx);
        }));

}  // namespace
}  // namespace metabench
