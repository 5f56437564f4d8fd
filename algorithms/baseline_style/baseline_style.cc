#include "algorithms/baseline_style/baseline_style.h"

#include <ATen/ATen.h>

#include "metabench/adam.h"
#include "metabench/dataset.h"
#include "metabench/losses.h"
#include "metabench/param_set.h"

namespace metabench {

OptionsSchema<BaselineOptions> baseline_options(bool cosine) {
  OptionsSchema<BaselineOptions> s;
  s.add_int("finetune_steps", &BaselineOptions::finetune_steps,
            "full-batch gradient steps on each test episode's new head")
      .min(0)
      .max(100000);
  s.add_float("finetune_lr", &BaselineOptions::finetune_lr, "step size of those steps")
      .min(0, /*exclusive=*/true)
      .max(100);
  if (cosine) {
    s.add_float("scale", &BaselineOptions::scale,
                "cosine logits' scale; 0: Chen et al.'s rule (2 up to 200 classes, else 10)")
        .min(0)
        .max(1000);
  }
  return s;
}

double default_cosine_scale(int64_t classes) { return classes <= 200 ? 2.0 : 10.0; }

at::Tensor head_logits(const at::Tensor& features, const at::Tensor& weight, const at::Tensor& bias,
                       bool cosine, double scale) {
  if (!cosine) return at::linear(features, weight, bias);
  // eps keeps an all-zero feature (possible after a ReLU) finite.
  const at::Tensor f = features / features.norm(2, 1, true).clamp_min(1e-8);
  const at::Tensor w = weight / weight.norm(2, 1, true).clamp_min(1e-8);
  return scale * at::matmul(f, w.t());
}

std::pair<at::Tensor, at::Tensor> fit_head(const at::Tensor& support, const at::Tensor& labels,
                                           int64_t ways, bool cosine, double scale, int64_t steps,
                                           double lr) {
  at::Tensor w, b;
  if (cosine) {
    const at::Tensor f = support / support.norm(2, 1, true).clamp_min(1e-8);
    w = at::zeros({ways, support.size(1)}, support.options()).index_add(0, labels, f);
  } else {
    w = at::zeros({ways, support.size(1)}, support.options());
    b = at::zeros({ways}, support.options());
  }
  for (int64_t step = 0; step < steps; ++step) {
    const at::Tensor wl = w.detach().requires_grad_();
    const at::Tensor bl = cosine ? at::Tensor() : b.detach().requires_grad_();
    const at::Tensor loss =
        at::cross_entropy_loss(head_logits(support, wl, bl, cosine, scale), labels);
    loss.backward();
    at::NoGradGuard no_grad;
    w = wl - lr * wl.grad();
    if (!cosine) b = bl - lr * bl.grad();
  }
  return {w.detach(), cosine ? at::Tensor() : b.detach()};
}

namespace {

class Baseline : public Algorithm {
 public:
  Baseline(const AlgorithmContext& ctx, const BaselineOptions& o, bool cosine)
      : backbone_(*ctx.backbone),
        cosine_(cosine),
        classes_(ctx.dataset->num_classes(Split::kTrain)),
        params_(specs(*ctx.backbone, classes_, cosine), ctx.init_seed, ctx.device),
        body_(ctx.backbone->param_specs().size()),
        optimizer_(params_.tensors(), AdamOptions().with_lr(ctx.settings.meta_lr)),
        options_(o),
        train_scale_(o.scale > 0 ? o.scale : default_cosine_scale(classes_)),
        test_scale_(o.scale > 0 ? o.scale : default_cosine_scale(ctx.settings.test_shape.ways)),
        group_(ctx.group) {}

  // A classifier step on the batch's examples under their global labels;
  // each episode is one forward, so batch norm sees one episode's images.
  StepResult meta_train_step(const std::vector<Episode>& batch) override {
    optimizer_.zero_grad();
    StepResult mean =
        backward_mean_loss(batch, TaskKind::kClassification, [this](const Episode& e) {
          const at::Tensor x = at::cat({e.support_x, e.query_x});
          const at::Tensor y = e.classes.index_select(0, at::cat({e.support_y, e.query_y}));
          const at::Tensor logits = classify(backbone_.forward(x, body()));
          return EpisodeLoss{at::cross_entropy_loss(logits, y), logits, y, {}};
        });
    mean_gradients_over_meta_batch(group_, static_cast<int64_t>(batch.size()), params_.tensors(),
                                   mean);
    optimizer_.step();
    return mean;
  }

  StepResult evaluate(const Episode& e) override {
    at::Tensor support, query;
    {
      at::NoGradGuard no_grad;
      const at::Tensor f = backbone_.forward(at::cat({e.support_x, e.query_x}), body());
      support = f.slice(0, 0, e.support_x.size(0));
      query = f.slice(0, e.support_x.size(0));
    }
    const auto [w, b] = fit_head(support, e.support_y, e.ways, cosine_, test_scale_,
                                 options_.finetune_steps, options_.finetune_lr);
    at::NoGradGuard no_grad;
    return score(head_logits(query, w, b, cosine_, test_scale_), e.query_y,
                 TaskKind::kClassification);
  }

  NamedTensors state() const override { return params_.state(); }
  void load_state(const NamedTensors& state) override { params_.load(state); }
  NamedTensors training_state() const override { return optimizer_.state("adam"); }
  void load_training_state(const NamedTensors& s) override { optimizer_.load(s, "adam"); }

 private:
  static std::vector<ParamSpec> specs(const Backbone& b, int64_t classes, bool cosine) {
    std::vector<ParamSpec> s = with_linear_head(b, "classifier", classes);
    if (cosine) s.pop_back();  // a cosine classifier has no bias
    return s;
  }
  at::TensorList body() const { return at::TensorList(params_.tensors()).slice(0, body_); }
  at::Tensor classify(const at::Tensor& features) const {
    const at::Tensor& w = params_[body_];
    return head_logits(features, w, cosine_ ? at::Tensor() : params_[body_ + 1], cosine_,
                       train_scale_);
  }

  const Backbone& backbone_;
  bool cosine_;
  int64_t classes_;
  ParamSet params_;
  size_t body_;  // index of the classifier's weight
  Adam optimizer_;
  BaselineOptions options_;
  double train_scale_, test_scale_;
  MetaBatchGroup* group_;
};

}  // namespace

std::unique_ptr<Algorithm> make_baseline(const AlgorithmContext& ctx, const BaselineOptions& o,
                                         bool cosine) {
  return std::make_unique<Baseline>(ctx, o, cosine);
}

}  // namespace metabench
