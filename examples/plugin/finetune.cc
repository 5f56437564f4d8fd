// A fine-tuning baseline as an out-of-tree metabench plugin (after Chen, Liu,
// Kira, Wang and Huang, "A Closer Look at Few-shot Classification", ICLR
// 2019, "Baseline"):
//
//   training: a plain classifier over all of the training split's classes,
//             on the examples of the training episodes (global labels);
//   test:     the body is frozen; a new linear head, initialised at zero, is
//             fine-tuned on the support set's features by full-batch SGD
//             for algo.finetune_steps steps, then scores the query set.
//
// Everything a plugin needs is in metabench's installed headers; the
// registration at the bottom is all that makes it known to metabench.
#include <ATen/ATen.h>

#include "datasets/dataset.h"
#include "harness/algorithm/algorithm.h"
#include "harness/algorithm/losses.h"
#include "harness/config/experiment_config.h"
#include "harness/core/errors.h"
#include "harness/model/adam.h"
#include "harness/model/params.h"

namespace finetune {

using namespace metabench;

class FineTune : public Algorithm {
 public:
  explicit FineTune(const AlgorithmContext& ctx)
      : backbone_(*ctx.backbone),
        specs_(specs(ctx)),
        names_(param_names(specs_)),
        params_(trainable_params(specs_, ctx.init_seed, ctx.device)),
        optimizer_(params_, AdamOptions().with_lr(ctx.config->meta_lr)),
        steps_(ctx.config->values.get_int("algo.finetune_steps")),
        lr_(ctx.config->values.get_float("algo.finetune_lr")) {}

  StepResult meta_train_step(const std::vector<Episode>& batch) override {
    optimizer_.zero_grad();
    StepResult mean;
    for (const Episode& e : batch) {
      // Episode labels 0..ways-1 mapped to the classes' training-split indices.
      const at::Tensor x = at::cat({e.support_x, e.query_x});
      const at::Tensor y = e.classes.index_select(0, at::cat({e.support_y, e.query_y}));
      const at::Tensor logits = classify(backbone_.forward(x, body()));
      const at::Tensor loss = at::cross_entropy_loss(logits, y);
      (loss / static_cast<double>(batch.size())).backward();
      mean.loss += loss.item<double>() / batch.size();
      mean.accuracy += task_accuracy(logits, y, TaskKind::kClassification) / batch.size();
    }
    optimizer_.step();
    return mean;
  }

  StepResult evaluate(const Episode& e) override {
    at::Tensor support, query;
    {
      at::NoGradGuard no_grad;
      const at::Tensor features = backbone_.forward(at::cat({e.support_x, e.query_x}), body());
      support = features.slice(0, 0, e.support_x.size(0));
      query = features.slice(0, e.support_x.size(0));
    }
    at::Tensor w = at::zeros({e.ways, support.size(1)}, support.options()).requires_grad_();
    at::Tensor b = at::zeros({e.ways}, support.options()).requires_grad_();
    for (int64_t step = 0; step < steps_; ++step) {
      const at::Tensor loss = at::cross_entropy_loss(at::linear(support, w, b), e.support_y);
      if (w.grad().defined()) {
        w.mutable_grad().zero_();
        b.mutable_grad().zero_();
      }
      loss.backward();
      at::NoGradGuard no_grad;
      w.sub_(w.grad(), lr_);
      b.sub_(b.grad(), lr_);
    }
    at::NoGradGuard no_grad;
    return score(at::linear(query, w, b), e.query_y, TaskKind::kClassification);
  }

  NamedTensors state() const override { return name_tensors(names_, params_); }
  void load_state(const NamedTensors& state) override { copy_state(state, names_, params_); }

 private:
  static std::vector<ParamSpec> specs(const AlgorithmContext& ctx) {
    return with_linear_head(*ctx.backbone, "classifier", ctx.dataset->num_classes(Split::kTrain));
  }

  at::TensorList body() const { return at::TensorList(params_).slice(0, params_.size() - 2); }

  at::Tensor classify(const at::Tensor& features) const {
    return at::linear(features, params_[params_.size() - 2], params_.back());
  }

  const Backbone& backbone_;
  std::vector<ParamSpec> specs_;
  std::vector<std::string> names_;
  std::vector<at::Tensor> params_;
  Adam optimizer_;
  int64_t steps_;
  double lr_;
};

Schema options() {
  Schema s;
  s.add_int("finetune_steps", 100, "SGD steps on the new head at test (Chen et al.: 100)")
      .min(0)
      .max(100000);
  s.add_float("finetune_lr", 0.1, "SGD step size on the new head at test").min(0, true).max(100);
  return s;
}

METABENCH_REGISTER_ALGORITHM(AlgorithmInfo{
    "finetune", "fine-tuning baseline (Chen et al. 2019): classifier + new head per task (plugin)",
    /*supports_classification=*/true, /*supports_regression=*/false, options(), nullptr,
    [](const AlgorithmContext& ctx) { return std::make_unique<FineTune>(ctx); }});

}  // namespace finetune
