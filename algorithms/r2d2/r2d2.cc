#include "algorithms/r2d2/r2d2.h"

#include <ATen/ATen.h>

#include <cmath>

#include "metabench/adam.h"
#include "metabench/algorithm.h"
#include "metabench/losses.h"
#include "metabench/options.h"
#include "metabench/param_set.h"

namespace metabench {

at::Tensor ridge_weights(const at::Tensor& x, const at::Tensor& y, const at::Tensor& lambda) {
  const int64_t n = x.size(0), d = x.size(1);
  if (n >= d) return ridge_weights_direct(x, y, lambda);
  const at::Tensor eye = at::eye(n, x.options());
  return at::matmul(x.t(), at::linalg_solve(at::matmul(x, x.t()) + lambda * eye, y));
}

at::Tensor ridge_weights_direct(const at::Tensor& x, const at::Tensor& y,
                                const at::Tensor& lambda) {
  const at::Tensor eye = at::eye(x.size(1), x.options());
  return at::linalg_solve(at::matmul(x.t(), x) + lambda * eye, at::matmul(x.t(), y));
}

namespace {

// x [n, d] with a column of ones appended: [n, d + 1].
at::Tensor with_ones_column(const at::Tensor& x) {
  return at::cat({x, at::ones({x.size(0), 1}, x.options())}, 1);
}

}  // namespace

at::Tensor ridge_weights_with_bias(const at::Tensor& x, const at::Tensor& y,
                                   const at::Tensor& lambda) {
  const double root = std::sqrt(static_cast<double>(x.size(0)));
  return ridge_weights(with_ones_column(x) / root, y / root, lambda);
}

namespace {

struct R2D2Options {
  double lambda_init = 1.0;
  bool learn_lambda = true;
  double scale_init = 1.0;
  bool bias_column = false;
};

OptionsSchema<R2D2Options> r2d2_options() {
  OptionsSchema<R2D2Options> s;
  s.add_float("lambda_init", &R2D2Options::lambda_init,
              "initial ridge regulariser lambda (learned as exp of a parameter)")
      .min(0, /*exclusive=*/true)
      .max(1e6);
  s.add_bool("learn_lambda", &R2D2Options::learn_lambda,
             "meta-learn lambda (the paper does); false keeps lambda_init");
  s.add_float("scale_init", &R2D2Options::scale_init,
              "initial scale of the regression's outputs before the softmax")
      .min(0, /*exclusive=*/true)
      .max(1e6);
  // Added after r2d2 runs were recorded: left out of the hash while false.
  s.add_bool("bias_column", &R2D2Options::bias_column,
             "solve a bias per class with the weights, features and targets over sqrt(n), "
             "as the authors' code does (ridge_weights_with_bias)")
      .omitted_at_default();
  return s;
}

std::vector<ParamSpec> head_specs(const Backbone& backbone) {
  std::vector<ParamSpec> s = backbone.param_specs();
  s.push_back({"r2d2.log_lambda", {1}, ParamSpec::Init::kZeros, 1});
  s.push_back({"r2d2.scale", {1}, ParamSpec::Init::kOnes, 1});
  s.push_back({"r2d2.bias", {1}, ParamSpec::Init::kZeros, 1});
  return s;
}

class R2D2 : public Algorithm {
 public:
  R2D2(const AlgorithmContext& ctx, const R2D2Options& o)
      : backbone_(*ctx.backbone),
        params_(head_specs(*ctx.backbone), ctx.init_seed, ctx.device),
        body_(params_.size() - 3),
        bias_column_(o.bias_column),
        group_(ctx.group) {
    {
      at::NoGradGuard no_grad;
      params_.tensors()[body_].fill_(std::log(o.lambda_init));
      params_.tensors()[body_ + 1].fill_(o.scale_init);
    }
    trained_ = params_.tensors();
    if (!o.learn_lambda) {
      params_.tensors()[body_].requires_grad_(false);
      trained_.erase(trained_.begin() + static_cast<std::ptrdiff_t>(body_));
    }
    optimizer_ = std::make_unique<Adam>(trained_, AdamOptions().with_lr(ctx.settings.meta_lr));
  }

  StepResult meta_train_step(const std::vector<Episode>& batch) override {
    optimizer_->zero_grad();
    StepResult mean =
        backward_mean_query_loss(batch, [this](const Episode& e) { return episode_logits(e); });
    mean_gradients_over_meta_batch(group_, static_cast<int64_t>(batch.size()), trained_, mean);
    optimizer_->step();
    return mean;
  }

  // The head is fitted to the support set in closed form; nothing else
  // adapts, so evaluation needs no gradients.
  StepResult evaluate(const Episode& e) override {
    at::NoGradGuard no_grad;
    return score(episode_logits(e), e.query_y, TaskKind::kClassification);
  }

  NamedTensors state() const override { return params_.state(); }
  void load_state(const NamedTensors& state) override { params_.load(state); }
  NamedTensors training_state() const override { return optimizer_->state("adam"); }
  void load_training_state(const NamedTensors& s) override { optimizer_->load(s, "adam"); }

 private:
  at::Tensor episode_logits(const Episode& e) const {
    const std::vector<at::Tensor>& p = params_.tensors();
    const int64_t n = e.support_x.size(0);
    // Support and query in one batch, as for ProtoNets: batch norm sees the
    // whole episode.
    const at::Tensor features =
        backbone_.forward(at::cat({e.support_x, e.query_x}), at::TensorList(p).slice(0, body_));
    const at::Tensor targets = at::one_hot(e.support_y, e.ways).to(features.scalar_type());
    const at::Tensor support = features.slice(0, 0, n), query = features.slice(0, n);
    const at::Tensor lambda = p[body_].exp();
    const at::Tensor out =
        bias_column_
            ? at::matmul(with_ones_column(query), ridge_weights_with_bias(support, targets, lambda))
            : at::matmul(query, ridge_weights(support, targets, lambda));
    return p[body_ + 1] * out + p[body_ + 2];
  }

  const Backbone& backbone_;
  ParamSet params_;
  size_t body_;  // index of log_lambda; scale and bias follow
  bool bias_column_;
  std::vector<at::Tensor> trained_;  // what Adam updates (lambda too, unless fixed)
  std::unique_ptr<Adam> optimizer_;
  MetaBatchGroup* group_;
};

METABENCH_REGISTER_ALGORITHM(
    AlgorithmInfo("r2d2",
                  "R2-D2 (Bertinetto et al. 2019): closed-form ridge-regression head, Woodbury")
        .tasks(/*classification=*/true, /*regression=*/false)
        .factory(r2d2_options(), [](const AlgorithmContext& ctx, const R2D2Options& o) {
          return std::make_unique<R2D2>(ctx, o);
        }));

}  // namespace
}  // namespace metabench
