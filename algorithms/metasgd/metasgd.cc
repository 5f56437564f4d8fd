#include "algorithms/metasgd/metasgd.h"

#include <ATen/ATen.h>

#include "metabench/adam.h"
#include "metabench/algorithm.h"
#include "metabench/checks.h"
#include "metabench/losses.h"
#include "metabench/param_set.h"

namespace metabench {

std::vector<at::Tensor> metasgd_adapt(const MamlNetwork& net, const std::vector<at::Tensor>& params,
                                      const std::vector<at::Tensor>& lrs, const Episode& episode,
                                      TaskKind kind, int64_t steps, bool create_graph) {
  return sgd_steps(
      params,
      [&](const std::vector<at::Tensor>& w) {
        return task_loss(net.forward(episode.support_x, w), episode.support_y, kind);
      },
      steps, lrs, create_graph);
}

namespace {

// The network's specs, then one learning-rate tensor of each shape, named
// after its parameter ("block0.conv.weight.lr"), set to optim.inner_lr.
std::vector<ParamSpec> with_learning_rates(const std::vector<ParamSpec>& net) {
  std::vector<ParamSpec> specs = net;
  for (const ParamSpec& p : net)
    specs.push_back({p.name + ".lr", p.shape, ParamSpec::Init::kOnes, 1});
  return specs;
}

class MetaSgd : public Algorithm {
 public:
  explicit MetaSgd(const AlgorithmContext& ctx)
      : settings_(ctx.settings),
        kind_(ctx.kind),
        net_(*ctx.backbone, head_outputs(ctx.kind, ctx.settings.train_shape.ways)),
        count_(net_.param_specs().size()),
        params_(with_learning_rates(net_.param_specs()), ctx.init_seed, ctx.device),
        group_(ctx.group) {
    {
      at::NoGradGuard no_grad;
      for (size_t i = count_; i < params_.size(); ++i)
        params_.tensors()[i].fill_(settings_.inner_lr);
    }
    optimizer_ =
        std::make_unique<Adam>(params_.tensors(), AdamOptions().with_lr(settings_.meta_lr));
  }

  StepResult meta_train_step(const std::vector<Episode>& batch) override {
    optimizer_->zero_grad();
    // One task's second-order graph alive at a time.
    StepResult mean = backward_mean_loss(batch, kind_, [this](const Episode& e) {
      const std::vector<at::Tensor> fast =
          metasgd_adapt(net_, theta(), alpha(), e, kind_, settings_.inner_steps, true);
      const at::Tensor outputs = net_.forward(e.query_x, fast);
      return EpisodeLoss{task_loss(outputs, e.query_y, kind_), outputs, e.query_y, {}};
    });
    mean_gradients_over_meta_batch(group_, static_cast<int64_t>(batch.size()), params_.tensors(),
                                   mean);
    optimizer_->step();
    return mean;
  }

  // Adapts for optim.inner_steps steps, not optim.inner_steps_test: the
  // learned step sizes are meta-trained for that many steps (the paper takes
  // one at training and test), and repeating a learned step diverges (10
  // steps of rates learned for 1 did on sinusoids).
  StepResult evaluate(const Episode& e) override {
    // Adapt detached copies: evaluation must not touch the meta-parameters.
    const std::vector<at::Tensor> start = fresh_leaves(theta());
    std::vector<at::Tensor> lrs;
    for (const at::Tensor& a : alpha()) lrs.push_back(a.detach());
    const std::vector<at::Tensor> fast =
        metasgd_adapt(net_, start, lrs, e, kind_, settings_.inner_steps, false);
    at::NoGradGuard no_grad;
    return score(net_.forward(e.query_x, fast), e.query_y, kind_);
  }

  NamedTensors state() const override { return params_.state(); }
  void load_state(const NamedTensors& state) override { params_.load(state); }
  NamedTensors training_state() const override { return optimizer_->state("adam"); }
  void load_training_state(const NamedTensors& s) override { optimizer_->load(s, "adam"); }

 private:
  std::vector<at::Tensor> theta() const {
    return {params_.tensors().begin(),
            params_.tensors().begin() + static_cast<std::ptrdiff_t>(count_)};
  }
  std::vector<at::Tensor> alpha() const {
    return {params_.tensors().begin() + static_cast<std::ptrdiff_t>(count_),
            params_.tensors().end()};
  }

  const RunSettings settings_;
  TaskKind kind_;
  MamlNetwork net_;
  size_t count_;  // parameters of the network; as many learning rates follow
  ParamSet params_;
  std::unique_ptr<Adam> optimizer_;
  MetaBatchGroup* group_;
};

METABENCH_REGISTER_ALGORITHM(
    AlgorithmInfo("metasgd",
                  "Meta-SGD (Li et al. 2017): MAML with a learned per-parameter inner step size")
        .tasks(/*classification=*/true, /*regression=*/true)
        .factory([](const AlgorithmContext& ctx)
                     -> std::unique_ptr<Algorithm> { return std::make_unique<MetaSgd>(ctx); },
                 // The head has one output per way.
                 require_equal_train_and_test_ways));

}  // namespace
}  // namespace metabench
