#include "algorithms/reptile/reptile.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <optional>

#include "algorithms/maml_style/maml_style.h"
#include "metabench/adam.h"
#include "metabench/algorithm.h"
#include "metabench/checks.h"
#include "metabench/errors.h"
#include "metabench/losses.h"
#include "metabench/options.h"
#include "metabench/param_set.h"
#include "metabench/rng.h"
#include "nn/linear.h"

namespace metabench {

void reptile_outer_update(std::vector<at::Tensor>& theta,
                          const std::vector<std::vector<at::Tensor>>& adapted, double epsilon) {
  at::NoGradGuard no_grad;
  const double n = static_cast<double>(adapted.size());
  for (size_t i = 0; i < theta.size(); ++i) {
    at::Tensor mean_delta = at::zeros_like(theta[i]);
    for (const auto& task : adapted) mean_delta.add_(task[i] - theta[i]);
    theta[i].add_(mean_delta, epsilon / n);
  }
}

double reptile_epsilon(double start, double final, int64_t iteration, int64_t total) {
  const double done = total > 0 ? static_cast<double>(iteration - 1) / total : 0.0;
  return (1.0 - done) * start + done * final;
}

namespace {

constexpr uint64_t kBatchStreamTag = 0x7265707469ull;  // "repti"
constexpr uint64_t kEvaluationTag = 0x6576616cull;     // "eval"
// Queries classified together when evaluation is not transductive: 16
// stacked copies of a 5-way 5-shot support set at width 32 hold about
// 10 MB of activations a layer.
constexpr int64_t kQueriesPerPass = 16;

// Support inputs per stacked inner step in evaluate_batch() (4 tasks of
// 10 28x28 images) and query inputs per scoring pass: the MAML family's
// bounds (maml_style.cc).
constexpr int64_t kReptileSupportElementsPerPass = 32768;
constexpr int64_t kReptileQueryElementsPerPass = 16384;

// Examples per inner step: algo.inner_batch (0: all) of n, at most n.
int64_t inner_batch_size(int64_t inner_batch, int64_t n) {
  return inner_batch > 0 ? std::min(inner_batch, n) : n;
}

// Mini-batches of inner_batch_size() of n examples, cycling through an
// order that is shuffled anew at each pass over the examples.
class MiniBatches {
 public:
  MiniBatches(int64_t n, int64_t inner_batch)
      : n_(n), batch_(inner_batch_size(inner_batch, n)), cursor_(n) {
    for (int64_t i = 0; i < n; ++i) order_.push_back(i);
  }
  at::Tensor next(Rng& rng, const at::Device& device) {
    std::vector<int64_t> index;
    while (static_cast<int64_t>(index.size()) < batch_) {
      if (cursor_ == n_) {
        rng.shuffle(order_.begin(), order_.end());
        cursor_ = 0;
      }
      index.push_back(order_[cursor_++]);
    }
    return at::tensor(index, at::kLong).to(device);
  }

 private:
  int64_t n_, batch_;
  std::vector<int64_t> order_;
  int64_t cursor_;
};

class Reptile : public Algorithm {
 public:
  Reptile(const AlgorithmContext& ctx, const ReptileOptions& options)
      : settings_(ctx.settings),
        kind_(ctx.kind),
        backbone_(*ctx.backbone),
        params_(specs(ctx), ctx.init_seed, ctx.device),
        stream_seed_(derive_seed({ctx.init_seed, kBatchStreamTag})),
        use_adam_(options.inner_optimizer == "adam"),
        inner_batch_(options.inner_batch),
        transductive_(options.transductive),
        epsilon_(options.epsilon),
        epsilon_final_(options.epsilon_final),
        group_(ctx.group) {}

  StepResult meta_train_step(const std::vector<Episode>& batch) override {
    ++iteration_;
    StepResult mean;
    std::vector<std::vector<at::Tensor>> adapted;
    // Task k of the meta-batch orders its mini-batches by its own stream,
    // so a meta-batch split over processes trains as in one.
    const int64_t first = group_ ? group_->share(settings_.meta_batch).first : 0;
    for (size_t k = 0; k < batch.size(); ++k) {
      const Episode& episode = batch[k];
      Rng order_rng(derive_seed(
          {stream_seed_, static_cast<uint64_t>(iteration_), static_cast<uint64_t>(first) + k}));
      // All of the task's examples are training data for Reptile.
      const at::Tensor x = at::cat({episode.support_x, episode.query_x});
      const at::Tensor y = at::cat({episode.support_y, episode.query_y});
      const StepResult r = adapt(x, y, settings_.inner_steps, order_rng, &adapted.emplace_back());
      mean.loss += r.loss / batch.size();
      mean.accuracy += r.accuracy / batch.size();
    }
    const double epsilon =
        reptile_epsilon(epsilon_, epsilon_final_, iteration_, settings_.iterations);
    if (group_ == nullptr || group_->size() <= 1) {
      reptile_outer_update(params_.tensors(), adapted, epsilon);
      return mean;
    }
    // Split over processes: the mean displacement over the whole meta-batch.
    at::NoGradGuard no_grad;
    std::vector<at::Tensor> displacement;
    for (size_t i = 0; i < params_.size(); ++i) {
      at::Tensor sum = at::zeros_like(params_[i]);
      for (const auto& task : adapted) sum.add_(task[i] - params_[i]);
      displacement.push_back(sum.div_(static_cast<double>(adapted.size())));
    }
    mean_over_meta_batch(group_, static_cast<int64_t>(batch.size()), displacement, mean);
    for (size_t i = 0; i < params_.size(); ++i) params_.tensors()[i].add_(displacement[i], epsilon);
    return mean;
  }

  StepResult evaluate(const Episode& episode) override {
    std::vector<at::Tensor> fast;
    // Evaluation draws from a stream of its own, so it changes nothing
    // training depends on (each episode's order: the same for every call).
    Rng order_rng(derive_seed({stream_seed_, kEvaluationTag}));
    adapt(episode.support_x, episode.support_y, settings_.inner_steps_test, order_rng, &fast);
    at::NoGradGuard no_grad;
    if (transductive_) return score(forward(episode.query_x, fast), episode.query_y, kind_);
    // Each query is classified beside the support set alone (batch norm
    // sees the support and that one query), several queries a pass: query q
    // is "task" q of the backbone's forward_tasks(), which equals forward()
    // task by task, in one grouped convolution instead of a forward per query.
    const int64_t n_support = episode.support_x.size(0), n_query = episode.query_x.size(0);
    const size_t h = fast.size() - 2;
    std::vector<at::Tensor> outputs;
    for (int64_t b = 0; b < n_query; b += kQueriesPerPass) {
      const int64_t k = std::min(n_query, b + kQueriesPerPass) - b;
      std::vector<int64_t> support_shape = {k};
      for (int64_t d : episode.support_x.sizes()) support_shape.push_back(d);
      const at::Tensor x = at::cat({episode.support_x.unsqueeze(0).expand(support_shape),
                                    episode.query_x.slice(0, b, b + k).unsqueeze(1)},
                                   1);  // [k, support + 1, ...]
      std::vector<at::Tensor> stacked;
      for (size_t i = 0; i < h; ++i) {
        std::vector<int64_t> shape = {k};
        for (int64_t d : fast[i].sizes()) shape.push_back(d);
        stacked.push_back(fast[i].unsqueeze(0).expand(shape));
      }
      const at::Tensor features = backbone_.forward_tasks(x, stacked).select(1, n_support);
      outputs.push_back(at::linear(features, fast[h], fast[h + 1]));
    }
    return score(at::cat(outputs), episode.query_y, kind_);
  }

  // Transductive evaluation with the SGD inner optimiser, several episodes
  // stacked as tasks of the backbone's forward_tasks(), a pass of episodes
  // at a time: episode k's weights are slice k of stacked tensors, so each
  // episode is adapted as evaluate() adapts it, to float rounding (grouped
  // convolutions).  Every episode draws the same mini-batch order
  // (evaluation's stream starts afresh for each), so one index serves the
  // pass.  Adam's episodes are adapted one by one: with beta1 = 0 its first
  // step moves each weight by about +-lr whatever its gradient's size, and
  // the gradients of the convolution biases before batch norm are rounding
  // noise (exactly 0 in exact arithmetic), so two summation orders differ
  // by up to 5e-5 in a query loss after 3 steps (measured on the
  // conformance test's episodes), beyond the 1e-5 evaluate_batch()
  // promises.
  std::vector<StepResult> evaluate_batch(const std::vector<Episode>& episodes) override {
    if (!transductive_ || use_adam_ || episodes.size() < 2) {
      return Algorithm::evaluate_batch(episodes);
    }
    const TaskBatch all = stack_tasks(episodes);
    const int64_t support = all.support_x.size(1);
    const int64_t per_pass = std::max<int64_t>(
        1, kReptileSupportElementsPerPass /
               (inner_batch_size(inner_batch_, support) * all.support_x[0][0].numel()));
    // The queries a few episodes at a time: a whole pass's would leave the
    // cache.
    const int64_t chunk = std::max<int64_t>(
        1, kReptileQueryElementsPerPass * all.tasks() / all.query_x.numel());
    std::vector<StepResult> results;
    for (int64_t begin = 0; begin < all.tasks(); begin += per_pass) {
      const int64_t end = std::min(all.tasks(), begin + per_pass);
      Rng order_rng(derive_seed({stream_seed_, kEvaluationTag}));
      const std::vector<at::Tensor> fast =
          adapt_tasks(all.support_x.slice(0, begin, end), all.support_y.slice(0, begin, end),
                      settings_.inner_steps_test, order_rng);
      at::NoGradGuard no_grad;
      for (int64_t b = begin; b < end; b += chunk) {
        const int64_t e = std::min(end, b + chunk);
        std::vector<at::Tensor> slice;
        for (const at::Tensor& f : fast) slice.push_back(f.slice(0, b - begin, e - begin));
        for (const StepResult& r : score_tasks(forward_tasks(all.query_x.slice(0, b, e), slice),
                                               all.query_y.slice(0, b, e), kind_)) {
          results.push_back(r);
        }
      }
    }
    return results;
  }

  NamedTensors state() const override { return params_.state(); }
  void load_state(const NamedTensors& state) override { params_.load(state); }
  // The iteration (epsilon's annealing and the tasks' mini-batch orders).
  NamedTensors training_state() const override {
    return {{"iteration", at::scalar_tensor(iteration_, at::kLong)}};
  }
  void load_training_state(const NamedTensors& state) override {
    const at::Tensor* iteration = find_tensor(state, "iteration");
    if (!iteration || iteration->numel() != 1) {
      throw UserError("the saved Reptile training state has no 'iteration'");
    }
    iteration_ = iteration->item<int64_t>();
  }

 private:
  static std::vector<ParamSpec> specs(const AlgorithmContext& ctx) {
    return with_linear_head(*ctx.backbone, "head",
                            head_outputs(ctx.kind, ctx.settings.train_shape.ways));
  }

  at::Tensor forward(const at::Tensor& x, at::TensorList p) const {
    const size_t h = p.size() - 2;
    return at::linear(backbone_.forward(x, p.slice(0, h)), p[h], p[h + 1]);
  }

  // forward() of tasks stacked along a first dimension: x [tasks, n, ...],
  // p[i] [tasks, ...]; returns [tasks, n, outputs].
  at::Tensor forward_tasks(const at::Tensor& x, at::TensorList p) const {
    const size_t h = p.size() - 2;
    return linear_tasks(backbone_.forward_tasks(x, p.slice(0, h)), p[h], p[h + 1]);
  }

  // adapt() with SGD of tasks stacked along a first dimension (x [tasks,
  // n, ...], y [tasks, n, ...]), every task on the same mini-batch indices:
  // the adapted weights, [tasks, ...] each.
  std::vector<at::Tensor> adapt_tasks(const at::Tensor& x, const at::Tensor& y, int64_t steps,
                                      Rng& rng) {
    std::vector<at::Tensor> start = expand_over_tasks(params_.tensors(), x.size(0));
    for (at::Tensor& w : start) w = w.detach().clone().requires_grad_(true);
    MiniBatches order(x.size(1), inner_batch_);
    // Each step's loss draws that step's mini-batch.  Task k's gradient is
    // that of its own mean loss: the tasks share no weight.
    std::vector<at::Tensor> fast = sgd_steps(
        std::move(start),
        [&](const std::vector<at::Tensor>& w) {
          const at::Tensor idx = order.next(rng, x.device());
          return per_task_loss(forward_tasks(x.index_select(1, idx), w), y.index_select(1, idx),
                               kind_)
              .sum();
        },
        steps, settings_.inner_lr, /*create_graph=*/false);
    for (at::Tensor& w : fast) w = w.detach();
    return fast;
  }

  // Runs `steps` inner steps from the meta-parameters on mini-batches of
  // (x, y), cycling through a shuffled order; stores the adapted parameters.
  // Returns the mean loss and accuracy over the steps.
  StepResult adapt(const at::Tensor& x, const at::Tensor& y, int64_t steps, Rng& rng,
                   std::vector<at::Tensor>* out) {
    std::vector<at::Tensor> phi = fresh_leaves(params_.tensors());
    std::optional<Adam> adam;
    if (use_adam_) adam.emplace(phi, AdamOptions().with_lr(settings_.inner_lr).with_beta1(0.0));
    MiniBatches order(x.size(0), inner_batch_);
    StepResult mean;
    for (int64_t step = 0; step < steps; ++step) {
      const at::Tensor idx = order.next(rng, x.device());
      const at::Tensor outputs = forward(x.index_select(0, idx), phi);
      const at::Tensor target = y.index_select(0, idx);
      const at::Tensor loss = task_loss(outputs, target, kind_);
      zero_grads(phi);
      loss.backward();
      if (adam) {
        adam->step();
      } else {
        at::NoGradGuard no_grad;
        for (auto& p : phi) p.sub_(p.grad(), settings_.inner_lr);
      }
      mean.loss += loss.item<double>() / steps;
      mean.accuracy += task_accuracy(outputs.detach(), target, kind_) / steps;
    }
    for (auto& p : phi) out->push_back(p.detach());
    return mean;
  }

  const RunSettings settings_;
  TaskKind kind_;
  const Backbone& backbone_;
  ParamSet params_;
  uint64_t stream_seed_;
  bool use_adam_;
  int64_t inner_batch_;
  bool transductive_;
  double epsilon_, epsilon_final_;
  int64_t iteration_ = 0;
  MetaBatchGroup* group_;
};

OptionsSchema<ReptileOptions> reptile_options() {
  OptionsSchema<ReptileOptions> s;
  s.add_string("inner_optimizer", &ReptileOptions::inner_optimizer,
               "inner-loop optimiser; adam uses beta1 = 0 (paper)")
      .choices({"adam", "sgd"});
  s.add_int("inner_batch", &ReptileOptions::inner_batch,
            "examples per inner step; 0 = all of the task's data (paper: 10)")
      .min(0);
  s.add_float("epsilon", &ReptileOptions::epsilon,
              "outer step size at the start (paper, Omniglot: 1.0)")
      .min(0)
      .max(10);
  s.add_float("epsilon_final", &ReptileOptions::epsilon_final,
              "outer step size at the end, annealed linearly (paper: 0)")
      .min(0)
      .max(10);
  s.add_bool("transductive", &ReptileOptions::transductive,
             "evaluate all queries in one batch (batch norm sees them)");
  return s;
}

METABENCH_REGISTER_ALGORITHM(
    AlgorithmInfo("reptile",
                  "Reptile (Nichol et al. 2018): move towards task-adapted weights, first order")
        .tasks(/*classification=*/true, /*regression=*/true)
        .factory(
            reptile_options(),
            [](const AlgorithmContext& ctx, const ReptileOptions& options) {
              return std::make_unique<Reptile>(ctx, options);
            },
            [](const RunSettings& settings, const ReptileOptions&) {
              require_equal_train_and_test_ways(settings);
            })
        // The paper's Omniglot settings (appendix A): Adam 0.001, 5 inner
        // steps in training and 50 at test (10 here, for CPU budgets),
        // meta-batch 5.
        .default_value("optim.inner_lr", 0.001)
        .default_value("optim.inner_steps", int64_t{5})
        .default_value("optim.inner_steps_test", int64_t{10})
        .default_value("optim.meta_batch", int64_t{5}));

}  // namespace
}  // namespace metabench
