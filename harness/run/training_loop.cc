#include "harness/run/training_loop.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/Generator.h>

#include <cmath>
#include <mutex>

#include "core/interrupt.h"
#include "core/strings.h"
#include "core/system_info.h"
#include "harness/run/experiment_runner.h"
#include "harness/run/progress.h"
#include "harness/run/run_steps.h"
#include "metabench/errors.h"
#include "metabench/rng.h"
#include "metabench/training_mode.h"
#include "nn/checkpoint.h"

namespace metabench {

// Tags the training mode's seeds apart from the other seeds derived from a
// stream position (augmentation's, in datasets/episode_sampler.cc).
constexpr uint64_t kTrainingModeStream = 0x7261696e6d6f6465ull;  // "rainmode"
namespace {

// Is `candidate` a better validation result than `best`?  Classification
// prefers higher accuracy, then lower loss; regression lower loss.
bool better(const StepResult& candidate, const StepResult& best, TaskKind kind) {
  if (kind == TaskKind::kClassification && candidate.accuracy != best.accuracy) {
    return candidate.accuracy > best.accuracy;
  }
  return candidate.loss < best.loss;
}

StepResult evaluate_set(Algorithm& algorithm, const FixedEpisodes& episodes,
                        const at::Device& device, int64_t eval_batch) {
  StepResult mean;
  evaluate_in_batches(algorithm, episodes, device, eval_batch, "validate",
                      [&](int64_t, const StepResult& r) {
                        mean.loss += r.loss / episodes.size();
                        mean.accuracy += r.accuracy / episodes.size();
                      });
  return mean;
}

std::string status_text(const StepResult& r, TaskKind kind) {
  if (kind == TaskKind::kClassification) {
    return format("loss %.3f acc %.1f%%", r.loss, 100 * r.accuracy);
  }
  return format("mse %.3f", r.loss);
}

NamedTensors cloned(const NamedTensors& tensors) {
  NamedTensors out;
  out.reserve(tensors.size());
  for (const auto& [name, t] : tensors) out.emplace_back(name, t.detach().clone());
  return out;
}

at::Tensor generator_state() {
  at::Generator g = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(g.mutex());
  return g.get_state();
}

}  // namespace

TrainingLoop::TrainingLoop(TrainingLoopParts parts) : parts_(std::move(parts)), cfg_(*parts_.cfg) {
  best_ = StepResult{INFINITY, -1.0};
}

void TrainingLoop::restore(const TrainingSnapshot& s) {
  if (s.config_hash != cfg_.hash) {
    throw UserError("the snapshot is of config " + s.config_hash.substr(0, 12) +
                    ", this run's is " + cfg_.hash.substr(0, 12));
  }
  if (s.iteration > cfg_.iterations) {
    throw UserError("the snapshot is at iteration " + std::to_string(s.iteration) +
                    ", past this run's " + std::to_string(cfg_.iterations));
  }
  parts_.algorithm->load_state(s.state);
  parts_.algorithm->load_training_state(s.training);
  parts_.train->seek(s.stream_position);
  if (s.torch_generator.defined()) {
    at::Generator g = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(g.mutex());
    g.set_state(s.torch_generator);
  }
  done_ = s.iteration;
  window_ = StepResult{s.window_loss, s.window_accuracy};
  window_size_ = s.window_size;
  last_finite_loss_ = s.last_finite_loss;
  best_ = StepResult{s.best_loss, s.best_accuracy};
  best_step_ = s.best_step;
  best_state_ = s.best;
  train_seconds_ = s.train_seconds;
  val_seconds_ = s.val_seconds;
  elapsed_before_ = s.elapsed_seconds;
  if (primary() && best_step_ > 0) {
    // The file may hold a later best of the interrupted process, which
    // this one will reach again: rewrite the snapshot's.
    save_checkpoint(parts_.checkpoint, Checkpoint{cfg_.hash, cfg_.yaml, best_step_, best_state_});
  }
  if (s.validation_pending) {
    // Validation of iteration `done_` was interrupted: run it first.
    phase_ = Phase::kValidating;
  }
}

void TrainingLoop::flush_curve() {
  if (parts_.store != nullptr) parts_.store->add_curve_points(parts_.run_id, curve_);
  curve_.clear();
}

void TrainingLoop::write_snapshot() {
  if (!primary() || parts_.snapshot.empty()) return;
  flush_curve();
  TrainingSnapshot s;
  s.config_hash = cfg_.hash;
  s.config_yaml = cfg_.yaml;
  s.iteration = done_;
  s.validation_pending = phase_ == Phase::kValidating;
  s.state = parts_.algorithm->state();
  s.training = parts_.algorithm->training_state();
  s.best = best_state_;
  s.stream_position = parts_.train->position();
  s.torch_generator = generator_state();
  s.window_loss = window_.loss;
  s.window_accuracy = window_.accuracy;
  s.window_size = window_size_;
  s.last_finite_loss = last_finite_loss_;
  s.best_loss = best_.loss;
  s.best_accuracy = best_.accuracy;
  s.best_step = best_step_;
  s.train_seconds = train_seconds_;
  s.val_seconds = val_seconds_;
  s.elapsed_seconds = elapsed_before_ + (now_seconds() - start_);
  save_snapshot(parts_.snapshot, s);
  last_snapshot_ = now_seconds();
}

void TrainingLoop::validate(int64_t it) {
  phase_ = Phase::kValidating;
  const double val_start = now_seconds();
  const StepResult v = evaluate_set(*parts_.algorithm, *parts_.val, parts_.device, cfg_.eval_batch);
  val_seconds_ += now_seconds() - val_start;
  if (!std::isfinite(v.loss)) {
    phase_ = Phase::kOther;
    throw Diverged(
        format("diverged at iteration %lld: the validation loss is %s (the "
               "last finite training loss was %.6g)",
               static_cast<long long>(it), std::to_string(v.loss).c_str(), last_finite_loss_));
  }
  phase_ = Phase::kOther;  // from here to the flush, the state is between two records
  curve_.push_back({it, "val", v.loss, v.accuracy, elapsed_before_ + (now_seconds() - start_)});
  if (better(v, best_, parts_.kind)) {
    best_ = v;
    best_step_ = it;
    best_state_ = cloned(parts_.algorithm->state());
    save_checkpoint(parts_.checkpoint, Checkpoint{cfg_.hash, cfg_.yaml, it, best_state_});
  }
  flush_curve();
  phase_ = Phase::kBetweenIterations;
}

void TrainingLoop::run(RunSummary& summary) {
  start_ = last_snapshot_ = now_seconds();
  const int64_t b = cfg_.meta_batch;
  const auto [lo, hi] = meta_batch_share(b, parts_.rank, parts_.world_size);
  ProgressBar progress(describe_experiment(cfg_), cfg_.iterations, cfg_.progress && primary());
  try {
    // A restored snapshot whose validation was interrupted runs it first.
    if (phase_ == Phase::kValidating && primary()) validate(done_);
    phase_ = Phase::kBetweenIterations;
    for (int64_t it = done_ + 1; it <= cfg_.iterations; ++it) {
      throw_if_interrupted();
      phase_ = Phase::kOther;
      const std::array<uint64_t, 4> before = parts_.train->position();
      std::vector<Episode> batch;
      batch.reserve(hi - lo);
      for (int64_t k = 0; k < b; ++k) {
        Episode e = parts_.train->next();
        if (k >= lo && k < hi) batch.push_back(e.to(parts_.device));
      }
      const double step_start = now_seconds();
      StepResult r;
      try {
        // Regularisers that draw (DropBlock) draw from the stream's
        // position: a resumed run draws what an uninterrupted one would.
        TrainingMode mode(derive_seed({kTrainingModeStream, before[0], before[1], before[2],
                                       before[3], static_cast<uint64_t>(parts_.rank)}),
                          static_cast<double>(it) / static_cast<double>(cfg_.iterations));
        r = parts_.algorithm->meta_train_step(batch);
      } catch (const EnvironmentError&) {
        if (parts_.world_size > 1 && interrupt_signal() != 0) {
          // A peer stopped for the same signal during the all-reduce, which
          // precedes every update: this iteration did not happen.
          parts_.train->seek(before);
          phase_ = Phase::kBetweenIterations;
          throw Interrupted();
        }
        throw;
      }
      train_seconds_ += now_seconds() - step_start;
      if (!std::isfinite(r.loss)) {
        throw Diverged(
            format("diverged at iteration %lld: the training loss is %s (the last "
                   "finite one, at iteration %lld, was %.6g)",
                   static_cast<long long>(it), std::to_string(r.loss).c_str(),
                   static_cast<long long>(it - 1), last_finite_loss_));
      }
      last_finite_loss_ = r.loss;
      window_.loss += r.loss;
      window_.accuracy += r.accuracy;
      ++window_size_;
      done_ = it;
      if (primary()) report_phase_progress("train", it, cfg_.iterations);
      if (it % cfg_.log_interval == 0 || it == cfg_.iterations) {
        const StepResult mean{window_.loss / window_size_, window_.accuracy / window_size_};
        curve_.push_back(
            {it, "train", mean.loss, mean.accuracy, elapsed_before_ + (now_seconds() - start_)});
        progress.update(it, status_text(mean, parts_.kind));
        window_ = StepResult{};
        window_size_ = 0;
      }
      phase_ = Phase::kBetweenIterations;
      const bool validating =
          (cfg_.val_interval > 0 && it % cfg_.val_interval == 0) || it == cfg_.iterations;
      if (validating && primary()) validate(it);
      if (cfg_.snapshot_minutes > 0 &&
          now_seconds() - last_snapshot_ >= 60.0 * cfg_.snapshot_minutes) {
        write_snapshot();
      }
    }
    // The test phase loads the best state: snapshot the trained one first,
    // so an interrupted test resumes to the test alone.
    write_snapshot();
  } catch (const Interrupted&) {
    if (interrupt_signal() != 0 && phase_ != Phase::kOther) write_snapshot();
    throw;
  }
  progress.finish();
  summary.train_seconds = train_seconds_;
  summary.val_seconds = val_seconds_;
  summary.best_val_step = best_step_;
  summary.best_val_accuracy = best_.accuracy;
  summary.best_val_loss = best_.loss;
  summary.seconds_per_iteration = train_seconds_ / cfg_.iterations;
}

}  // namespace metabench
