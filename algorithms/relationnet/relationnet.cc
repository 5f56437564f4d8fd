#include "algorithms/relationnet/relationnet.h"

#include <ATen/ATen.h>

#include "metabench/adam.h"
#include "metabench/algorithm.h"
#include "metabench/errors.h"
#include "metabench/losses.h"
#include "metabench/options.h"

namespace metabench {

at::Tensor relation_pairs(const at::Tensor& support, const at::Tensor& support_y,
                          const at::Tensor& query, int64_t ways) {
  std::vector<int64_t> class_shape = support.sizes().vec();
  class_shape[0] = ways;
  const at::Tensor classes =
      at::zeros(class_shape, support.options()).index_add(0, support_y, support);
  const int64_t q = query.size(0);
  std::vector<int64_t> expanded = {q, ways};
  expanded.insert(expanded.end(), support.sizes().begin() + 1, support.sizes().end());
  const at::Tensor left = classes.unsqueeze(0).expand(expanded);
  const at::Tensor right = query.unsqueeze(1).expand(expanded);
  return at::cat({left, right}, 2).flatten(0, 1);
}

at::Tensor relation_loss(const at::Tensor& scores, const at::Tensor& query_y) {
  const at::Tensor targets = at::one_hot(query_y, scores.size(1)).to(scores.scalar_type());
  return (scores - targets).pow(2).mean();
}

namespace {

// The map side after the module's two blocks (0 when a block leaves no
// pixel); pooled[i]: whether block i pools (its map is at least 2 x 2).
int64_t side_after_blocks(int64_t side, int64_t padding, bool pooled[2]) {
  for (int i = 0; i < 2; ++i) {
    side += 2 * padding - 2;
    if (side < 1) return 0;
    pooled[i] = side >= 2;
    if (pooled[i]) side /= 2;
  }
  return side;
}

}  // namespace

RelationModule::RelationModule(std::vector<int64_t> map_shape, int64_t hidden, int64_t padding)
    : channels_(map_shape.at(0)), hidden_(hidden), padding_(padding) {
  const int64_t height = map_shape.at(1), width = map_shape.at(2);
  bool pool_h[2] = {false, false}, pool_w[2] = {false, false};
  const int64_t h = side_after_blocks(height, padding, pool_h);
  const int64_t w = side_after_blocks(width, padding, pool_w);
  if (h < 1 || w < 1) {
    bool unused[2];
    int64_t min = 1;
    while (side_after_blocks(min, padding, unused) < 1) ++min;
    throw ConfigError("algo.relation_padding=" + std::to_string(padding) +
                      " leaves the relation module no pixel of the backbone's " +
                      std::to_string(height) + "x" + std::to_string(width) +
                      " feature maps; expected algo.relation_padding=1, or maps of at least " +
                      std::to_string(min) + "x" + std::to_string(min));
  }
  for (int i = 0; i < 2; ++i) pool_[i] = pool_h[i] && pool_w[i];
  flat_ = channels_ * h * w;
}

std::vector<ParamSpec> RelationModule::param_specs(const std::string& prefix) const {
  std::vector<ParamSpec> s;
  int64_t in = 2 * channels_;
  for (int i = 0; i < 2; ++i) {
    const std::string b = prefix + ".block" + std::to_string(i);
    s.push_back(
        {b + ".conv.weight", {channels_, in, 3, 3}, ParamSpec::Init::kUniformFanIn, in * 9});
    s.push_back({b + ".conv.bias", {channels_}, ParamSpec::Init::kUniformFanIn, in * 9});
    s.push_back({b + ".bn.weight", {channels_}, ParamSpec::Init::kOnes, 1});
    s.push_back({b + ".bn.bias", {channels_}, ParamSpec::Init::kZeros, 1});
    in = channels_;
  }
  for (auto& l : linear_specs(prefix + ".fc1", flat_, hidden_)) s.push_back(l);
  for (auto& l : linear_specs(prefix + ".fc2", hidden_, 1)) s.push_back(l);
  return s;
}

at::Tensor RelationModule::forward(const at::Tensor& pairs, at::TensorList p) const {
  at::Tensor h = pairs;
  for (int i = 0; i < 2; ++i) {
    h = at::conv2d(h, p[4 * i], p[4 * i + 1], /*stride=*/1, padding_);
    // Batch statistics over the episode's pairs, as the embedding's.
    h = at::batch_norm(h, p[4 * i + 2], p[4 * i + 3], {}, {}, /*training=*/true, 0.0, 1e-5, true);
    h = at::relu(h);
    if (pool_[i]) h = at::max_pool2d(h, {2, 2});
  }
  h = at::relu(at::linear(h.flatten(1), p[8], p[9]));
  return at::sigmoid(at::linear(h, p[10], p[11])).squeeze(1);
}

namespace {

struct RelationOptions {
  int64_t hidden = 8;
  int64_t relation_padding = 1;
};

OptionsSchema<RelationOptions> relation_options() {
  OptionsSchema<RelationOptions> s;
  s.add_int("hidden", &RelationOptions::hidden,
            "units of the relation module's hidden fully connected layer (paper: 8)")
      .min(1)
      .max(1 << 16);
  s.add_int("relation_padding", &RelationOptions::relation_padding,
            "padding of the relation module's convolutions: 1 (paper's Omniglot code) or 0 "
            "(its miniImageNet code)")
      .min(0)
      .max(1);
  return s;
}

// The backbone's output as maps: {C, H, W}, or a vector as C x 1 x 1.
std::vector<int64_t> map_shape(const Backbone& b) {
  std::vector<int64_t> s = b.output_shape();
  if (s.size() == 1) s = {s[0], 1, 1};
  if (s.size() != 3) {
    throw ConfigError(
        "relationnet needs a backbone whose output is a vector or a C x H x W map; got " +
        std::to_string(s.size()) + " dimensions");
  }
  return s;
}

class RelationNet : public Algorithm {
 public:
  RelationNet(const AlgorithmContext& ctx, const RelationOptions& o)
      : backbone_(*ctx.backbone),
        shape_(map_shape(*ctx.backbone)),
        relation_(shape_, o.hidden, o.relation_padding),
        params_(specs(*ctx.backbone, relation_), ctx.init_seed, ctx.device),
        body_(ctx.backbone->param_specs().size()),
        optimizer_(params_.tensors(), AdamOptions().with_lr(ctx.settings.meta_lr)),
        group_(ctx.group) {}

  StepResult meta_train_step(const std::vector<Episode>& batch) override {
    optimizer_.zero_grad();
    StepResult mean =
        backward_mean_loss(batch, TaskKind::kClassification, [this](const Episode& e) {
          const at::Tensor scores = episode_scores(e);
          return EpisodeLoss{relation_loss(scores, e.query_y), scores, e.query_y, {}};
        });
    mean_gradients_over_meta_batch(group_, static_cast<int64_t>(batch.size()), params_.tensors(),
                                   mean);
    optimizer_.step();
    return mean;
  }

  // The recorded loss is the paper's objective, the mean squared error of
  // the scores, not a cross-entropy.
  StepResult evaluate(const Episode& e) override {
    at::NoGradGuard no_grad;
    const at::Tensor scores = episode_scores(e);
    return {relation_loss(scores, e.query_y).item<double>(),
            task_accuracy(scores, e.query_y, TaskKind::kClassification)};
  }

  NamedTensors state() const override { return params_.state(); }
  void load_state(const NamedTensors& state) override { params_.load(state); }
  NamedTensors training_state() const override { return optimizer_.state("adam"); }
  void load_training_state(const NamedTensors& s) override { optimizer_.load(s, "adam"); }

 private:
  static std::vector<ParamSpec> specs(const Backbone& b, const RelationModule& r) {
    std::vector<ParamSpec> s = b.param_specs();
    for (ParamSpec& p : r.param_specs("relation")) s.push_back(std::move(p));
    return s;
  }

  // [queries, ways] scores.  Support and query are embedded in one batch,
  // as for ProtoNets: batch norm sees the whole episode.
  at::Tensor episode_scores(const Episode& e) const {
    const at::TensorList p(params_.tensors());
    const int64_t n = e.support_x.size(0);
    std::vector<int64_t> maps = {-1};
    maps.insert(maps.end(), shape_.begin(), shape_.end());
    const at::Tensor f =
        backbone_.forward(at::cat({e.support_x, e.query_x}), p.slice(0, body_)).view(maps);
    const at::Tensor pairs = relation_pairs(f.slice(0, 0, n), e.support_y, f.slice(0, n), e.ways);
    return relation_.forward(pairs, p.slice(body_)).view({-1, e.ways});
  }

  const Backbone& backbone_;
  std::vector<int64_t> shape_;
  RelationModule relation_;
  ParamSet params_;
  size_t body_;  // the backbone's parameters come first, then the module's
  Adam optimizer_;
  MetaBatchGroup* group_;
};

METABENCH_REGISTER_ALGORITHM(
    AlgorithmInfo("relationnet",
                  "Relation Networks (Sung et al. 2018): learned relation module, MSE on scores")
        .tasks(/*classification=*/true, /*regression=*/false)
        .factory(relation_options(), [](const AlgorithmContext& ctx, const RelationOptions& o) {
          return std::make_unique<RelationNet>(ctx, o);
        }));

}  // namespace
}  // namespace metabench
