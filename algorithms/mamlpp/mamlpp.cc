#include "algorithms/mamlpp/mamlpp.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "algorithms/maml_style/maml_style.h"
#include "metabench/adam.h"
#include "metabench/algorithm.h"
#include "metabench/checks.h"
#include "metabench/losses.h"
#include "metabench/options.h"
#include "metabench/param_set.h"

namespace metabench {

std::vector<double> multi_step_weights(int64_t steps, int64_t iteration,
                                       int64_t anneal_iterations) {
  std::vector<double> w(static_cast<size_t>(steps), 0.0);
  if (steps <= 1 || anneal_iterations <= 0) {
    w.back() = 1.0;
    return w;
  }
  const double n = static_cast<double>(steps);
  const double decay = (1.0 / n) / static_cast<double>(anneal_iterations);
  const double other = std::max(1.0 / n - static_cast<double>(iteration) * decay, 0.03 / n);
  for (int64_t k = 0; k + 1 < steps; ++k) w[static_cast<size_t>(k)] = other;
  w.back() = 1.0 - (n - 1.0) * other;
  return w;
}

double cosine_learning_rate(int64_t iteration, int64_t total, double max_lr, double min_lr) {
  const double t = std::min(1.0, static_cast<double>(iteration) / std::max<int64_t>(1, total));
  return min_lr + 0.5 * (max_lr - min_lr) * (1.0 + std::cos(std::acos(-1.0) * t));
}

namespace {

struct MamlPlusPlusOptions {
  bool multi_step_loss = true;
  double msl_fraction = 0.1;
  bool per_step_bn = true;
  bool learned_lrs = true;
  bool derivative_annealing = true;
  double first_order_fraction = 1.0 / 3.0;
  bool cosine_lr = true;
  double min_meta_lr = 1e-5;
};

OptionsSchema<MamlPlusPlusOptions> mamlpp_options() {
  using O = MamlPlusPlusOptions;
  OptionsSchema<O> s;
  s.add_bool("multi_step_loss", &O::multi_step_loss,
             "MSL: query loss after every inner step, annealed towards the last");
  s.add_float("msl_fraction", &O::msl_fraction,
              "fraction of optim.iterations over which MSL is annealed (paper: 10 of 100 epochs)")
      .min(0)
      .max(1);
  s.add_bool("per_step_bn", &O::per_step_bn,
             "BNWB: per-inner-step batch-norm weights and biases, not adapted in the inner loop");
  s.add_bool("learned_lrs", &O::learned_lrs,
             "LSLR: learned inner learning rate per parameter tensor and step");
  s.add_bool("derivative_annealing", &O::derivative_annealing,
             "DA: first-order meta-gradients for the first first_order_fraction of training");
  s.add_float("first_order_fraction", &O::first_order_fraction,
              "fraction of optim.iterations trained first order under DA (paper: 50 of 150 "
              "epochs)")
      .min(0)
      .max(1);
  s.add_bool("cosine_lr", &O::cosine_lr,
             "CA: cosine annealing of the meta learning rate to min_meta_lr");
  s.add_float("min_meta_lr", &O::min_meta_lr, "the annealed meta learning rate's floor")
      .min(0)
      .max(1);
  return s;
}

bool is_batch_norm(const ParamSpec& p) { return p.name.find(".bn.") != std::string::npos; }

class MamlPlusPlus : public Algorithm {
 public:
  MamlPlusPlus(const AlgorithmContext& ctx, const MamlPlusPlusOptions& o)
      : settings_(ctx.settings),
        kind_(ctx.kind),
        o_(o),
        net_(*ctx.backbone, head_outputs(ctx.kind, ctx.settings.train_shape.ways)),
        count_(net_.param_specs().size()),
        sets_(std::max<int64_t>(1, ctx.settings.inner_steps)),
        params_(specs(), ctx.init_seed, ctx.device),
        group_(ctx.group) {
    {
      at::NoGradGuard no_grad;
      for (size_t i = lr_begin_; i < params_.size(); ++i) {
        params_.tensors()[i].fill_(settings_.inner_lr);
      }
    }
    optimizer_ =
        std::make_unique<Adam>(params_.tensors(), AdamOptions().with_lr(settings_.meta_lr));
  }

  StepResult meta_train_step(const std::vector<Episode>& batch) override {
    if (o_.cosine_lr) {
      optimizer_->set_lr(cosine_learning_rate(iteration_, settings_.iterations, settings_.meta_lr,
                                              o_.min_meta_lr));
    }
    const bool second_order =
        !(o_.derivative_annealing &&
          static_cast<double>(iteration_) <
              o_.first_order_fraction * static_cast<double>(settings_.iterations));
    const std::vector<double> weights =
        o_.multi_step_loss
            ? multi_step_weights(settings_.inner_steps, iteration_,
                                 static_cast<int64_t>(std::llround(
                                     o_.msl_fraction * static_cast<double>(settings_.iterations))))
            : multi_step_weights(settings_.inner_steps, 0, 0);
    optimizer_->zero_grad();
    // One task's graph at a time, as maml's per-task path.
    const std::vector<at::Tensor>& all = params_.tensors();
    StepResult mean = backward_mean_loss(batch, kind_, [&](const Episode& e) {
      at::Tensor objective;
      const std::vector<at::Tensor> fast =
          adapt(e, all, settings_.inner_steps, second_order, &weights, &objective);
      const at::Tensor outputs =
          net_.forward(e.query_x, with_bn(fast, all, query_set(settings_.inner_steps)));
      const at::Tensor loss = task_loss(outputs, e.query_y, kind_);
      // Without MSL the objective is the last step's loss itself.
      return EpisodeLoss{loss, outputs, e.query_y,
                         objective.defined() ? objective + weights.back() * loss : at::Tensor()};
    });
    mean_gradients_over_meta_batch(group_, static_cast<int64_t>(batch.size()), params_.tensors(),
                                   mean);
    optimizer_->step();
    ++iteration_;
    return mean;
  }

  // With learned rates or per-step batch norm, evaluation adapts for
  // optim.inner_steps, the steps those parameters were trained for (as the
  // paper evaluates); rates learned for 1 step and applied for 10 diverged
  // on sinusoids.  Otherwise optim.inner_steps_test, as maml.
  StepResult evaluate(const Episode& e) override {
    std::vector<at::Tensor> start = fresh_leaves(params_.tensors());
    for (size_t i = count_; i < start.size(); ++i) start[i] = start[i].detach();
    const std::vector<at::Tensor> fast = adapt(e, start, test_steps(), false, nullptr, nullptr);
    at::NoGradGuard no_grad;
    return score(net_.forward(e.query_x, with_bn(fast, start, query_set(test_steps()))), e.query_y,
                 kind_);
  }

  NamedTensors state() const override { return params_.state(); }
  void load_state(const NamedTensors& state) override { params_.load(state); }
  NamedTensors training_state() const override {
    NamedTensors s = optimizer_->state("adam");
    s.emplace_back("mamlpp.iteration", at::scalar_tensor(iteration_, at::kLong));
    return s;
  }
  void load_training_state(const NamedTensors& s) override {
    optimizer_->load(s, "adam");
    if (const at::Tensor* t = find_tensor(s, "mamlpp.iteration")) iteration_ = t->item<int64_t>();
  }

 private:
  // The network's specs; then, with per-step BN, batch-norm copies for steps
  // 1..N-1 (step 0 uses the network's own); then, with LSLR, a scalar
  // learning rate per adapted tensor and step.
  std::vector<ParamSpec> specs() {
    std::vector<ParamSpec> net = net_.param_specs();
    std::vector<ParamSpec> s = net;
    for (size_t i = 0; i < net.size(); ++i) {
      if (o_.per_step_bn && is_batch_norm(net[i])) {
        bn_.push_back(i);
      } else {
        adapted_.push_back(i);
      }
    }
    for (int64_t k = 1; o_.per_step_bn && k < sets_; ++k) {
      for (size_t i : bn_) {
        ParamSpec p = net[i];
        p.name = "step" + std::to_string(k) + "." + p.name;
        s.push_back(p);
      }
    }
    lr_begin_ = s.size();
    for (int64_t k = 0; o_.learned_lrs && k < sets_; ++k) {
      for (size_t i : adapted_) {
        s.push_back(
            {"lr.step" + std::to_string(k) + "." + net[i].name, {}, ParamSpec::Init::kOnes, 1});
      }
    }
    return s;
  }

  int64_t last_set() const { return sets_ - 1; }
  int64_t test_steps() const {
    return o_.learned_lrs || o_.per_step_bn ? settings_.inner_steps : settings_.inner_steps_test;
  }
  // The set the query is scored with after `steps` steps: the last step's.
  int64_t query_set(int64_t steps) const {
    return std::min(std::max<int64_t>(steps - 1, 0), last_set());
  }

  // `w` (the network's weights) with batch-norm set `k`'s, from `all`
  // (params_ layout), in their places.
  std::vector<at::Tensor> with_bn(const std::vector<at::Tensor>& w,
                                  const std::vector<at::Tensor>& all, int64_t k) const {
    if (!o_.per_step_bn || k == 0 || bn_.empty()) return w;
    std::vector<at::Tensor> out = w;
    const size_t base = count_ + static_cast<size_t>(k - 1) * bn_.size();
    for (size_t j = 0; j < bn_.size(); ++j) out[bn_[j]] = all[base + j];
    return out;
  }

  // `steps` inner steps from `all` (params_ layout; its first count_ are the
  // network's).  With `weights` (training), the query losses of the steps
  // before the last, weighted, are summed into *objective.
  std::vector<at::Tensor> adapt(const Episode& e, const std::vector<at::Tensor>& all, int64_t steps,
                                bool create_graph, const std::vector<double>* weights,
                                at::Tensor* objective) const {
    std::vector<at::Tensor> w(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(count_));
    for (int64_t step = 0; step < steps; ++step) {
      const int64_t k = std::min(step, last_set());
      // One sgd_steps() step on the tensors the inner loop adapts; the rest
      // (per-step batch norm) are set k's.
      std::vector<at::Tensor> adapted;
      for (size_t i : adapted_) adapted.push_back(w[i]);
      const InnerLoss support_loss = [&](const std::vector<at::Tensor>& a) {
        std::vector<at::Tensor> full = with_bn(w, all, k);
        for (size_t j = 0; j < adapted_.size(); ++j) full[adapted_[j]] = a[j];
        return task_loss(net_.forward(e.support_x, full), e.support_y, kind_);
      };
      if (o_.learned_lrs) {
        const auto rates =
            all.begin() + static_cast<std::ptrdiff_t>(lr_begin_ + k * adapted_.size());
        adapted = sgd_steps(
            adapted, support_loss, 1,
            std::vector<at::Tensor>(rates, rates + static_cast<std::ptrdiff_t>(adapted_.size())),
            create_graph);
      } else {
        adapted = sgd_steps(adapted, support_loss, 1, settings_.inner_lr, create_graph);
      }
      for (size_t j = 0; j < adapted_.size(); ++j) w[adapted_[j]] = adapted[j];
      // Without MSL every weight but the last is 0.
      if (weights && step + 1 < steps && (*weights)[static_cast<size_t>(step)] > 0) {
        const at::Tensor q =
            task_loss(net_.forward(e.query_x, with_bn(w, all, k)), e.query_y, kind_) *
            (*weights)[static_cast<size_t>(step)];
        *objective = objective->defined() ? *objective + q : q;
      }
    }
    return w;
  }

  const RunSettings settings_;
  TaskKind kind_;
  MamlPlusPlusOptions o_;
  MamlNetwork net_;
  size_t count_;  // the network's parameters; BN copies and learning rates follow
  int64_t sets_;  // per-step parameter sets: optim.inner_steps
  std::vector<size_t> bn_, adapted_;  // network indices: per-step BN, adapted in the inner loop
  size_t lr_begin_ = 0;
  ParamSet params_;
  std::unique_ptr<Adam> optimizer_;
  int64_t iteration_ = 0;
  MetaBatchGroup* group_;
};

METABENCH_REGISTER_ALGORITHM(
    AlgorithmInfo("mamlpp",
                  "MAML++ (Antoniou et al. 2019): multi-step loss, per-step BN, learned per-step "
                  "learning rates, derivative-order and cosine annealing")
        .tasks(/*classification=*/true, /*regression=*/true)
        .factory(
            mamlpp_options(),
            [](const AlgorithmContext& ctx, const MamlPlusPlusOptions& o) {
              return std::make_unique<MamlPlusPlus>(ctx, o);
            },
            [](const RunSettings& s, const MamlPlusPlusOptions&) {
              require_equal_train_and_test_ways(s);
            }));

}  // namespace
}  // namespace metabench
