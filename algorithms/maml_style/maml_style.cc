// The meta-training loop shared by MAML, FOMAML and ANIL, in its two forms:
// task-batched (the default) and one task after another (the reference the
// batched form is tested against, and algo.task_batching=false).
#include "algorithms/maml_style/maml_style.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "core/device_info.h"
#include "metabench/adam.h"
#include "metabench/checks.h"
#include "metabench/errors.h"
#include "metabench/losses.h"
#include "metabench/param_set.h"

namespace metabench {

TaskBatch stack_tasks(const std::vector<Episode>& batch) {
  std::vector<at::Tensor> sx, sy, qx, qy;
  for (const Episode& e : batch) {
    if (e.support_x.sizes() != batch[0].support_x.sizes() ||
        e.query_x.sizes() != batch[0].query_x.sizes()) {
      std::ostringstream message;
      message << "the episodes of a meta-batch differ in shape: support " << e.support_x.sizes()
              << " and query " << e.query_x.sizes() << ", expected " << batch[0].support_x.sizes()
              << " and " << batch[0].query_x.sizes();
      throw InternalError(message.str());
    }
    sx.push_back(e.support_x);
    sy.push_back(e.support_y);
    qx.push_back(e.query_x);
    qy.push_back(e.query_y);
  }
  return TaskBatch{at::stack(sx), at::stack(sy), at::stack(qx), at::stack(qy)};
}

OptionsSchema<MamlStyleOptions> maml_style_options() {
  OptionsSchema<MamlStyleOptions> s;
  s.add_bool("task_batching", &MamlStyleOptions::task_batching,
             "run the tasks of a meta-batch together (same results as one by one, faster)")
      .not_hashed();
  s.add_int("tasks_per_pass", &MamlStyleOptions::tasks_per_pass,
            "with task_batching, tasks adapted together in one pass; bounds memory (0: as many "
            "as fit 32768 support inputs)")
      .min(0)
      .not_hashed();
  return s;
}

namespace {

// Query inputs per batched forward pass.  On CPU, stacking tasks whose
// query sets are large (75 Omniglot images) pushes the activations out of
// cache and is slower than one task at a time; tiny tasks (sinusoid points)
// gain from being stacked.
constexpr int64_t kQueryElementsPerPass = 16384;

// Support inputs per batched inner loop when algo.tasks_per_pass is 0.  A
// pass keeps its tasks' (second-order) inner-loop graphs alive until its
// backward.  Measured on Omniglot 5-way 1-shot, meta-batch 32 (3,920 support
// inputs a task): 8 tasks a pass ran as fast as 32 (1.70 against 1.77 s per
// MAML iteration) at 355 MB peak instead of 774; 4 tasks, 1.87 s; 1, 2.37 s.
constexpr int64_t kSupportElementsPerPass = 32768;

// Device memory a task's pass holds per support input element and inner
// step, from the measurement above (355 MB for 8 tasks of 3,920 elements,
// one step, width 64): about 11 KB; 16 KB leaves room.
constexpr double kBytesPerSupportElementStep = 16384;

int64_t tasks_per_pass(const MetaGradientOptions& o, const TaskBatch& tasks) {
  if (o.tasks_per_pass > 0) return o.tasks_per_pass;
  const int64_t per_task = std::max<int64_t>(1, tasks.support_x.numel() / tasks.tasks());
  if (tasks.support_x.is_cuda()) {
    // A GPU is fastest with every task in one pass: as many as half its
    // free memory holds.
    const double free_bytes = device_memory(tasks.support_x.device()).free_mb * 1048576.0;
    const double task_bytes = kBytesPerSupportElementStep * static_cast<double>(per_task) *
                              static_cast<double>(std::max<int64_t>(1, o.inner_steps));
    return std::max<int64_t>(1, static_cast<int64_t>(0.5 * free_bytes / task_bytes));
  }
  return std::max<int64_t>(1, kSupportElementsPerPass / per_task);
}

StepResult per_task_meta_gradient(const MamlNetwork& net, const std::vector<at::Tensor>& params,
                                  const std::vector<Episode>& batch, const Adapter& adapter,
                                  const MetaGradientOptions& o) {
  // Back-propagating each task's loss right away keeps only one task's
  // second-order graph alive at a time.
  return backward_mean_loss(batch, o.kind, [&](const Episode& episode) {
    const std::vector<at::Tensor> fast =
        adapter.per_task(net, params, episode, o.kind, o.inner_steps, o.inner_lr, !o.first_order);
    const at::Tensor outputs = net.forward(episode.query_x, fast);
    return EpisodeLoss{task_loss(outputs, episode.query_y, o.kind), outputs, episode.query_y, {}};
  });
}

// The tasks [begin, end) of `tasks`: adapted together, then each query
// chunk's loss gradient pushed back through their inner loops.  Per-task
// losses (and accuracies) are appended to the vectors, still on the device.
void batched_pass(const MamlNetwork& net, const std::vector<at::Tensor>& params,
                  const TaskBatch& tasks, int64_t begin, int64_t end, const Adapter& adapter,
                  const MetaGradientOptions& o, std::vector<at::Tensor>& losses,
                  std::vector<at::Tensor>& accuracies) {
  const int64_t n = tasks.tasks();
  const std::vector<at::Tensor> fast = adapter.batched(
      net, params, tasks.support_x.slice(0, begin, end), tasks.support_y.slice(0, begin, end),
      o.kind, o.inner_steps, o.inner_lr, !o.first_order);
  // d(mean query loss)/d(adapted weights), a chunk of tasks at a time.
  std::vector<std::vector<at::Tensor>> chunk_grads(fast.size());
  const int64_t chunk =
      std::max<int64_t>(1, kQueryElementsPerPass / std::max<int64_t>(1, tasks.query_x.numel() / n));
  for (int64_t b = 0; b < end - begin; b += chunk) {
    const int64_t e = std::min(end - begin, b + chunk);
    std::vector<at::Tensor> leaves;
    for (const at::Tensor& f : fast)
      leaves.push_back(f.slice(0, b, e).detach().requires_grad_(true));
    const at::Tensor outputs =
        net.forward_tasks(tasks.query_x.slice(0, begin + b, begin + e), leaves);
    const at::Tensor targets = tasks.query_y.slice(0, begin + b, begin + e);
    const at::Tensor task_losses = per_task_loss(outputs, targets, o.kind);
    const std::vector<at::Tensor> grads =
        torch::autograd::grad({task_losses.sum() / static_cast<double>(n)}, leaves);
    for (size_t i = 0; i < fast.size(); ++i) chunk_grads[i].push_back(grads[i]);
    losses.push_back(task_losses.detach());
    if (o.kind == TaskKind::kClassification) {
      accuracies.push_back(outputs.detach().argmax(2).eq(targets).to(at::kDouble).mean(1));
    }
  }
  std::vector<at::Tensor> fast_grads;
  for (const auto& g : chunk_grads) fast_grads.push_back(g.size() == 1 ? g[0] : at::cat(g));
  torch::autograd::backward(fast, fast_grads);
}

StepResult batched_meta_gradient(const MamlNetwork& net, const std::vector<at::Tensor>& params,
                                 const std::vector<Episode>& batch, const Adapter& adapter,
                                 const MetaGradientOptions& o) {
  const TaskBatch tasks = stack_tasks(batch);
  const int64_t n = tasks.tasks();
  const int64_t per_pass = tasks_per_pass(o, tasks);
  // Per-task losses and accuracies stay on the device until the end: one
  // synchronisation per meta-iteration, not one per chunk.
  std::vector<at::Tensor> losses, accuracies;
  for (int64_t begin = 0; begin < n; begin += per_pass) {
    batched_pass(net, params, tasks, begin, std::min(n, begin + per_pass), adapter, o, losses,
                 accuracies);
  }
  StepResult mean;
  mean.loss = at::cat(losses).to(at::kDouble).mean().item<double>();
  mean.accuracy = accuracies.empty() ? std::nan("") : at::cat(accuracies).mean().item<double>();
  return mean;
}

}  // namespace

StepResult accumulate_meta_gradient(const MamlNetwork& net, const std::vector<at::Tensor>& params,
                                    const std::vector<Episode>& batch, const Adapter& adapter,
                                    const MetaGradientOptions& options) {
  return options.task_batching ? batched_meta_gradient(net, params, batch, adapter, options)
                               : per_task_meta_gradient(net, params, batch, adapter, options);
}

namespace {

class MamlStyle : public Algorithm {
 public:
  MamlStyle(const AlgorithmContext& ctx, const MamlStyleOptions& options, Adapter adapter,
            bool first_order)
      : settings_(ctx.settings),
        adapter_(adapter),
        net_(*ctx.backbone, head_outputs(ctx.kind, settings_.train_shape.ways)),
        params_(net_.param_specs(), ctx.init_seed, ctx.device),
        optimizer_(params_.tensors(), AdamOptions().with_lr(settings_.meta_lr)),
        options_{ctx.kind,    settings_.inner_steps, settings_.inner_lr,
                 first_order, options.task_batching, options.tasks_per_pass},
        group_(ctx.group) {}

  StepResult meta_train_step(const std::vector<Episode>& batch) override {
    optimizer_.zero_grad();
    StepResult result =
        accumulate_meta_gradient(net_, params_.tensors(), batch, adapter_, options_);
    mean_gradients_over_meta_batch(group_, static_cast<int64_t>(batch.size()), params_.tensors(),
                                   result);
    optimizer_.step();
    return result;
  }

  StepResult evaluate(const Episode& episode) override {
    // Adapt a detached copy: evaluation must not touch the meta-parameters.
    const std::vector<at::Tensor> start = fresh_leaves(params_.tensors());
    const std::vector<at::Tensor> fast = adapter_.per_task(
        net_, start, episode, options_.kind, settings_.inner_steps_test, settings_.inner_lr, false);
    at::NoGradGuard no_grad;
    return score(net_.forward(episode.query_x, fast), episode.query_y, options_.kind);
  }

  // The episodes adapted together, a pass of tasks at a time (the training
  // pass's bound: first-order here, so it holds less than a training pass).
  std::vector<StepResult> evaluate_batch(const std::vector<Episode>& episodes) override {
    if (!options_.task_batching || episodes.size() < 2) {
      return Algorithm::evaluate_batch(episodes);
    }
    const TaskBatch tasks = stack_tasks(episodes);
    MetaGradientOptions eval = options_;
    eval.inner_steps = settings_.inner_steps_test;
    const int64_t per_pass = tasks_per_pass(eval, tasks);
    std::vector<StepResult> results;
    for (int64_t begin = 0; begin < tasks.tasks(); begin += per_pass) {
      const int64_t end = std::min(tasks.tasks(), begin + per_pass);
      const std::vector<at::Tensor> start = fresh_leaves(params_.tensors());
      const std::vector<at::Tensor> fast = adapter_.batched(
          net_, start, tasks.support_x.slice(0, begin, end), tasks.support_y.slice(0, begin, end),
          eval.kind, eval.inner_steps, eval.inner_lr, false);
      at::NoGradGuard no_grad;
      const at::Tensor outputs = net_.forward_tasks(tasks.query_x.slice(0, begin, end), fast);
      for (const StepResult& r :
           score_tasks(outputs, tasks.query_y.slice(0, begin, end), eval.kind)) {
        results.push_back(r);
      }
    }
    return results;
  }

  NamedTensors state() const override { return params_.state(); }
  void load_state(const NamedTensors& state) override { params_.load(state); }
  NamedTensors training_state() const override { return optimizer_.state("adam"); }
  void load_training_state(const NamedTensors& state) override { optimizer_.load(state, "adam"); }

 private:
  const RunSettings settings_;
  Adapter adapter_;
  MamlNetwork net_;
  ParamSet params_;
  Adam optimizer_;
  MetaGradientOptions options_;
  MetaBatchGroup* group_;
};

}  // namespace

std::unique_ptr<Algorithm> make_maml_style(const AlgorithmContext& context,
                                           const MamlStyleOptions& options, Adapter adapter,
                                           bool first_order) {
  return std::make_unique<MamlStyle>(context, options, adapter, first_order);
}

AlgorithmInfo maml_style_algorithm(std::string name, std::string description, Adapter adapter,
                                   bool first_order) {
  return AlgorithmInfo(std::move(name), std::move(description))
      .tasks(/*classification=*/true, /*regression=*/true)
      .factory(
          maml_style_options(),
          [adapter, first_order](const AlgorithmContext& ctx, const MamlStyleOptions& options) {
            return make_maml_style(ctx, options, adapter, first_order);
          },
          [](const RunSettings& settings, const MamlStyleOptions&) {
            require_equal_train_and_test_ways(settings);
          });
}

}  // namespace metabench
