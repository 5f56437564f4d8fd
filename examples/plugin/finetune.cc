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
// Everything a plugin needs is in metabench's installed public headers,
// include/metabench/ (#include "metabench/..."); the registration at the
// bottom is all that makes it known to metabench.
#include <ATen/ATen.h>

#include "metabench/adam.h"
#include "metabench/algorithm.h"
#include "metabench/dataset.h"
#include "metabench/losses.h"
#include "metabench/options.h"
#include "metabench/param_set.h"
#include "metabench/plugin.h"

// Recorded with every run beside the library's path and SHA-256.
METABENCH_PLUGIN_VERSION("1.0.0");

namespace finetune {

using namespace metabench;

// algo.* options: the struct's initialisers are the defaults.
struct FineTuneOptions {
  int64_t finetune_steps = 100;  // SGD steps on the new head at test (Chen et al.: 100)
  double finetune_lr = 0.1;      // their step size
};

class FineTune : public Algorithm {
 public:
  FineTune(const AlgorithmContext& ctx, const FineTuneOptions& options)
      : backbone_(*ctx.backbone),
        params_(
            with_linear_head(*ctx.backbone, "classifier", ctx.dataset->num_classes(Split::kTrain)),
            ctx.init_seed, ctx.device),
        optimizer_(params_.tensors(), AdamOptions().with_lr(ctx.settings.meta_lr)),
        steps_(options.finetune_steps),
        lr_(options.finetune_lr),
        group_(ctx.group) {}

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
    // A no-op unless the run splits its meta-batches over processes (--nproc).
    mean_gradients_over_meta_batch(group_, static_cast<int64_t>(batch.size()), params_.tensors(),
                                   mean);
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

  NamedTensors state() const override { return params_.state(); }
  void load_state(const NamedTensors& state) override { params_.load(state); }
  // The optimiser's moments, so that a run resumed from a snapshot trains on
  // exactly as it would have.
  NamedTensors training_state() const override { return optimizer_.state("adam"); }
  void load_training_state(const NamedTensors& state) override { optimizer_.load(state, "adam"); }

 private:
  at::TensorList body() const {
    return at::TensorList(params_.tensors()).slice(0, params_.size() - 2);
  }

  at::Tensor classify(const at::Tensor& features) const {
    return at::linear(features, params_[params_.size() - 2], params_[params_.size() - 1]);
  }

  const Backbone& backbone_;
  ParamSet params_;
  Adam optimizer_;
  int64_t steps_;
  double lr_;
  MetaBatchGroup* group_;
};

OptionsSchema<FineTuneOptions> options() {
  OptionsSchema<FineTuneOptions> s;
  s.add_int("finetune_steps", &FineTuneOptions::finetune_steps,
            "SGD steps on the new head at test (Chen et al.: 100)")
      .min(0)
      .max(100000);
  s.add_float("finetune_lr", &FineTuneOptions::finetune_lr, "SGD step size on the new head at test")
      .min(0, true)
      .max(100);
  return s;
}

METABENCH_REGISTER_ALGORITHM(
    AlgorithmInfo(
        "finetune",
        "fine-tuning baseline (Chen et al. 2019): classifier + new head per task (plugin)")
        .tasks(/*classification=*/true, /*regression=*/false)
        .factory(options(), [](const AlgorithmContext& ctx, const FineTuneOptions& o) {
          return std::make_unique<FineTune>(ctx, o);
        }));

}  // namespace finetune
