#include "algorithms/matchingnet/matchingnet.h"

#include <ATen/ATen.h>

#include "metabench/adam.h"
#include "metabench/algorithm.h"
#include "metabench/losses.h"
#include "metabench/options.h"
#include "metabench/param_set.h"

namespace metabench {

std::vector<ParamSpec> fce_param_specs(int64_t dim) {
  std::vector<ParamSpec> specs;
  for (const char* cell : {"fce.support_fwd", "fce.support_bwd", "fce.query"}) {
    const std::string p = cell;
    // PyTorch's LSTM initialisation: U(-1/sqrt(hidden), 1/sqrt(hidden)).
    specs.push_back({p + ".w_ih", {4 * dim, dim}, ParamSpec::Init::kUniformFanIn, dim});
    specs.push_back({p + ".w_hh", {4 * dim, dim}, ParamSpec::Init::kUniformFanIn, dim});
    specs.push_back({p + ".b_ih", {4 * dim}, ParamSpec::Init::kUniformFanIn, dim});
    specs.push_back({p + ".b_hh", {4 * dim}, ParamSpec::Init::kUniformFanIn, dim});
  }
  return specs;
}

namespace {

// One LSTM direction over the support sequence [S, D]; returns hidden states [S, D].
at::Tensor run_lstm(const at::Tensor& sequence, at::TensorList w, bool reverse) {
  const int64_t n = sequence.size(0), dim = sequence.size(1);
  at::Tensor h = at::zeros({1, dim}, sequence.options());
  at::Tensor c = at::zeros({1, dim}, sequence.options());
  std::vector<at::Tensor> outputs(n);
  for (int64_t k = 0; k < n; ++k) {
    const int64_t i = reverse ? n - 1 - k : k;
    std::tie(h, c) = at::lstm_cell(sequence.slice(0, i, i + 1), {h, c}, w[0], w[1], w[2], w[3]);
    outputs[i] = h;
  }
  return at::cat(outputs);
}

at::Tensor cosine_attention(const at::Tensor& support, const at::Tensor& query) {
  const at::Tensor s = support / support.norm(2, 1, true).clamp_min(1e-8);
  const at::Tensor q = query / query.norm(2, 1, true).clamp_min(1e-8);
  return at::softmax(q.mm(s.t()), 1);
}

}  // namespace

at::Tensor matching_attention(const at::Tensor& support, const at::Tensor& query,
                              at::TensorList fce, int64_t steps) {
  if (fce.empty()) return cosine_attention(support, query);
  // g(x_i) = g'(x_i) + forward and backward LSTM states over the support set.
  const at::Tensor g = support + run_lstm(support, fce.slice(0, 4), false) +
                       run_lstm(support, fce.slice(4, 4), true);
  // f(x) by an attention LSTM over g, `steps` processing steps.
  const at::TensorList w = fce.slice(8, 4);
  at::Tensor h = at::zeros_like(query), c = at::zeros_like(query);
  at::Tensor readout = at::zeros_like(query);
  for (int64_t k = 0; k < steps; ++k) {
    at::Tensor h_hat;
    std::tie(h_hat, c) = at::lstm_cell(query, {h + readout, c}, w[0], w[1], w[2], w[3]);
    h = h_hat + query;
    readout = at::softmax(h.mm(g.t()), 1).mm(g);
  }
  return cosine_attention(g, h);
}

at::Tensor matching_log_probs(const at::Tensor& attention, const at::Tensor& support_labels,
                              int64_t ways) {
  const at::Tensor onehot = at::one_hot(support_labels, ways).to(attention.scalar_type());
  return attention.mm(onehot).clamp_min(1e-8).log();
}

namespace {

class MatchingNet : public Algorithm {
 public:
  MatchingNet(const AlgorithmContext& ctx, const MatchingNetOptions& options)
      : backbone_(*ctx.backbone),
        options_(options),
        params_(specs(ctx, options), ctx.init_seed, ctx.device),
        optimizer_(params_.tensors(), AdamOptions().with_lr(ctx.settings.meta_lr)),
        backbone_params_(ctx.backbone->param_specs().size()),
        group_(ctx.group) {}

  StepResult meta_train_step(const std::vector<Episode>& batch) override {
    optimizer_.zero_grad();
    StepResult mean;
    for (const Episode& episode : batch) {
      const at::Tensor log_probs = episode_log_probs(episode);
      const at::Tensor loss = at::nll_loss(log_probs, episode.query_y);
      (loss / static_cast<double>(batch.size())).backward();
      mean.loss += loss.item<double>() / batch.size();
      mean.accuracy +=
          task_accuracy(log_probs, episode.query_y, TaskKind::kClassification) / batch.size();
    }
    mean_gradients_over_meta_batch(group_, static_cast<int64_t>(batch.size()), params_.tensors(),
                                   mean);
    optimizer_.step();
    return mean;
  }

  StepResult evaluate(const Episode& episode) override {
    at::NoGradGuard no_grad;
    const at::Tensor log_probs = episode_log_probs(episode);
    return {at::nll_loss(log_probs, episode.query_y).item<double>(),
            task_accuracy(log_probs, episode.query_y, TaskKind::kClassification)};
  }

  NamedTensors state() const override { return params_.state(); }
  void load_state(const NamedTensors& state) override { params_.load(state); }
  NamedTensors training_state() const override { return optimizer_.state("adam"); }
  void load_training_state(const NamedTensors& state) override { optimizer_.load(state, "adam"); }

 private:
  static std::vector<ParamSpec> specs(const AlgorithmContext& ctx,
                                      const MatchingNetOptions& options) {
    std::vector<ParamSpec> s = ctx.backbone->param_specs();
    if (options.fce) {
      for (auto& f : fce_param_specs(ctx.backbone->output_dim())) s.push_back(f);
    }
    return s;
  }

  at::Tensor episode_log_probs(const Episode& episode) const {
    const at::TensorList all(params_.tensors());
    const int64_t n_support = episode.support_x.size(0);
    // One batch, as for ProtoNets: batch norm sees the whole episode.
    const at::Tensor embeddings = backbone_.forward(at::cat({episode.support_x, episode.query_x}),
                                                    all.slice(0, backbone_params_));
    const at::TensorList fce = options_.fce ? all.slice(backbone_params_) : at::TensorList();
    const at::Tensor attention = matching_attention(
        embeddings.slice(0, 0, n_support), embeddings.slice(0, n_support), fce, options_.fce_steps);
    return matching_log_probs(attention, episode.support_y, episode.ways);
  }

  const Backbone& backbone_;
  const MatchingNetOptions options_;
  ParamSet params_;
  Adam optimizer_;
  size_t backbone_params_;
  MetaBatchGroup* group_;
};

OptionsSchema<MatchingNetOptions> matchingnet_options() {
  OptionsSchema<MatchingNetOptions> s;
  s.add_bool("fce", &MatchingNetOptions::fce,
             "Full Context Embeddings: LSTMs over the support set and queries");
  s.add_int("fce_steps", &MatchingNetOptions::fce_steps,
            "processing steps of the query attention LSTM (with fce)")
      .min(1)
      .max(100);
  return s;
}

METABENCH_REGISTER_ALGORITHM(
    AlgorithmInfo("matchingnet",
                  "Matching Networks (Vinyals et al. 2016): cosine attention, optional FCE")
        .tasks(/*classification=*/true, /*regression=*/false)
        .factory(matchingnet_options(),
                 [](const AlgorithmContext& ctx, const MatchingNetOptions& options) {
                   return std::make_unique<MatchingNet>(ctx, options);
                 }));

}  // namespace
}  // namespace metabench
