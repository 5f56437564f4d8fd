// A nearest-neighbour classifier as an out-of-tree metabench plugin:
//
//   training: the embedding is pre-trained as a plain classifier over all of
//             the training split's classes, on the examples of the training
//             episodes under their global labels (as Baseline, Chen et al.
//             2019, does);
//   test:     nothing is fitted.  Each query takes the label of its nearest
//             support example in cosine similarity.
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
METABENCH_PLUGIN_VERSION("2.0.0");

namespace nearest {

using namespace metabench;

// algo.* options: the struct's initialisers are the defaults.
struct NearestOptions {
  double temperature = 10;  // scales similarities into logits for the recorded loss
};

class Nearest : public Algorithm {
 public:
  Nearest(const AlgorithmContext& ctx, const NearestOptions& options)
      : backbone_(*ctx.backbone),
        params_(
            with_linear_head(*ctx.backbone, "classifier", ctx.dataset->num_classes(Split::kTrain)),
            ctx.init_seed, ctx.device),
        optimizer_(params_.tensors(), AdamOptions().with_lr(ctx.settings.meta_lr)),
        temperature_(options.temperature),
        group_(ctx.group) {}

  StepResult meta_train_step(const std::vector<Episode>& batch) override {
    optimizer_.zero_grad();
    // One episode's graph at a time, each a plain classification batch.
    StepResult mean =
        backward_mean_loss(batch, TaskKind::kClassification, [this](const Episode& e) {
          // Episode labels 0..ways-1 mapped to the classes' training-split indices.
          const at::Tensor x = at::cat({e.support_x, e.query_x});
          const at::Tensor y = e.classes.index_select(0, at::cat({e.support_y, e.query_y}));
          const size_t head = params_.size() - 2;
          const at::Tensor logits =
              at::linear(backbone_.forward(x, body()), params_[head], params_[head + 1]);
          return EpisodeLoss{at::cross_entropy_loss(logits, y), logits, y, {}};
        });
    // A no-op unless the run splits its meta-batches over processes (--nproc).
    mean_gradients_over_meta_batch(group_, static_cast<int64_t>(batch.size()), params_.tensors(),
                                   mean);
    optimizer_.step();
    return mean;
  }

  // Logits: for each class, temperature x the cosine similarity of its
  // nearest support example, so the argmax is the nearest neighbour's label.
  StepResult evaluate(const Episode& e) override {
    at::NoGradGuard no_grad;
    at::Tensor f = backbone_.forward(at::cat({e.support_x, e.query_x}), body());
    f = f / f.norm(2, 1, true).clamp_min(1e-8);
    const int64_t n = e.support_x.size(0);
    const at::Tensor similarity = at::matmul(f.slice(0, n), f.slice(0, 0, n).t());  // [q, n]
    // Each class's best similarity, [q, ways].
    std::vector<at::Tensor> best;
    for (int64_t k = 0; k < e.ways; ++k) {
      const at::Tensor columns = at::nonzero(e.support_y == k).squeeze(1);
      best.push_back(std::get<0>(similarity.index_select(1, columns).max(1)));
    }
    return score(temperature_ * at::stack(best, 1), e.query_y, TaskKind::kClassification);
  }

  NamedTensors state() const override { return params_.state(); }
  void load_state(const NamedTensors& state) override { params_.load(state); }
  // The optimiser's moments, so that a run resumed from a snapshot trains on
  // exactly as it would have.
  NamedTensors training_state() const override { return optimizer_.state("adam"); }
  void load_training_state(const NamedTensors& state) override { optimizer_.load(state, "adam"); }

 private:
  // The backbone's parameters: all but the classifier's weight and bias.
  at::TensorList body() const {
    return at::TensorList(params_.tensors()).slice(0, params_.size() - 2);
  }

  const Backbone& backbone_;
  ParamSet params_;
  Adam optimizer_;
  double temperature_;
  MetaBatchGroup* group_;
};

OptionsSchema<NearestOptions> options() {
  OptionsSchema<NearestOptions> s;
  s.add_float("temperature", &NearestOptions::temperature,
              "scale of the similarities used as logits for the recorded loss")
      .min(0, true)
      .max(1000);
  return s;
}

METABENCH_REGISTER_ALGORITHM(
    AlgorithmInfo("nearest",
                  "nearest support example in cosine similarity on a classifier-trained "
                  "embedding (plugin)")
        .tasks(/*classification=*/true, /*regression=*/false)
        .factory(options(), [](const AlgorithmContext& ctx, const NearestOptions& o) {
          return std::make_unique<Nearest>(ctx, o);
        }));

}  // namespace nearest
