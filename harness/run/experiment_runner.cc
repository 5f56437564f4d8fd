#include "harness/run/experiment_runner.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <cmath>
#include <filesystem>
#include <memory>

#include "core/files.h"
#include "core/interrupt.h"
#include "core/strings.h"
#include "core/system_info.h"
#include "datasets/episode_sampler.h"
#include "harness/run/claim_keeper.h"
#include "harness/run/memory_estimate.h"
#include "harness/run/progress.h"
#include "harness/run/run_steps.h"
#include "metabench/algorithm.h"
#include "metabench/errors.h"
#include "nn/checkpoint.h"

namespace metabench {
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
                        const at::Device& device) {
  StepResult mean;
  for (int64_t i = 0; i < episodes.size(); ++i) {
    throw_if_interrupted();
    const StepResult r = algorithm.evaluate(episodes.get(i).to(device));
    mean.loss += r.loss / episodes.size();
    mean.accuracy += r.accuracy / episodes.size();
  }
  return mean;
}

std::string status_text(const StepResult& r, TaskKind kind) {
  if (kind == TaskKind::kClassification) {
    return format("loss %.3f acc %.1f%%", r.loss, 100 * r.accuracy);
  }
  return format("mse %.3f", r.loss);
}

}  // namespace

std::string describe_experiment(const ExperimentConfig& cfg) {
  return cfg.algorithm + " " + cfg.dataset + " " + cfg.test_shape.label() + " seed " +
         std::to_string(cfg.seed);
}

std::string checkpoint_path(const ExperimentConfig& cfg, const std::string& db_path,
                            const std::string& run_uuid) {
  namespace fs = std::filesystem;
  fs::path dir = cfg.checkpoint_dir;
  if (dir.empty()) {
    const fs::path db = fs::absolute(db_path);
    dir = db.parent_path() / (db.stem().string() + ".checkpoints");
  }
  dir = fs::absolute(dir).lexically_normal();
  make_directories(dir.string());
  return (dir / ("run-" + run_uuid + "-best.ckpt")).string();
}

RunOutcome run_experiment(const ExperimentConfig& cfg, ResultsStore& store,
                          const RunOptions& options) {
  at::set_num_threads(cfg.threads);
  const at::Device device = resolve_device(cfg.device);
  RunSummary summary;
  summary.iterations = cfg.iterations;

  // Everything that can reject bad input happens before the run is recorded.
  double t0 = now_seconds();
  const std::unique_ptr<Dataset> dataset = create_dataset(cfg);
  check_memory(cfg, dataset->input_shape());  // before the model and episodes are allocated
  const FixedEpisodes val(*dataset, Split::kValidation, cfg.test_shape, cfg.eval_seed,
                          cfg.val_episodes);
  const FixedEpisodes test(*dataset, Split::kTest, cfg.test_shape, cfg.eval_seed,
                           cfg.test_episodes);
  TrainingStream train(*dataset, cfg.train_shape, static_cast<uint64_t>(cfg.seed));
  const Model model = build_model(cfg, *dataset, device);
  Algorithm* algorithm = model.algorithm.get();
  summary.data_seconds = now_seconds() - t0;
  std::unique_ptr<ClaimKeeper> keeper;
  RunRecord record = make_run_record(cfg, *dataset, test, device, options.sweep);
  record.run_uuid = options.run_uuid;
  if (record.run_uuid.empty()) {
    keeper = ClaimKeeper::take(store, cfg.hash, record.code_id);
    record.run_uuid = keeper->run_uuid();
  }
  const int64_t run_id = store.begin_run(record, utc_timestamp());

  record_outcome(store, run_id, [&] {
    const std::string checkpoint = checkpoint_path(cfg, store.path(), record.run_uuid);
    store.set_checkpoint_path(run_id, checkpoint);
    const TaskKind kind = dataset->kind();
    ProgressBar progress(describe_experiment(cfg), cfg.iterations, cfg.progress);
    std::vector<CurvePoint> curve;
    StepResult window, best{-1.0, -1.0};
    best.loss = INFINITY;
    int64_t window_size = 0;
    double last_finite_loss = NAN;
    const double start = now_seconds();
    for (int64_t it = 1; it <= cfg.iterations; ++it) {
      throw_if_interrupted();
      std::vector<Episode> batch;
      batch.reserve(cfg.meta_batch);
      for (int64_t b = 0; b < cfg.meta_batch; ++b) batch.push_back(train.next().to(device));
      const double step_start = now_seconds();
      const StepResult r = algorithm->meta_train_step(batch);
      summary.train_seconds += now_seconds() - step_start;
      if (!std::isfinite(r.loss)) {
        throw Diverged(format("diverged at iteration %lld: the training loss is %s (the last "
                              "finite one, at iteration %lld, was %.6g)",
                              static_cast<long long>(it), std::to_string(r.loss).c_str(),
                              static_cast<long long>(it - 1), last_finite_loss));
      }
      last_finite_loss = r.loss;
      window.loss += r.loss;
      window.accuracy += r.accuracy;
      ++window_size;
      if (it % cfg.log_interval == 0 || it == cfg.iterations) {
        curve.push_back({it, "train", window.loss / window_size, window.accuracy / window_size,
                         now_seconds() - start});
        progress.update(
            it, status_text({window.loss / window_size, window.accuracy / window_size}, kind));
        window = StepResult{};
        window_size = 0;
      }
      const bool validate =
          (cfg.val_interval > 0 && it % cfg.val_interval == 0) || it == cfg.iterations;
      if (validate) {
        const double val_start = now_seconds();
        const StepResult v = evaluate_set(*algorithm, val, device);
        summary.val_seconds += now_seconds() - val_start;
        if (!std::isfinite(v.loss)) {
          throw Diverged(format("diverged at iteration %lld: the validation loss is %s (the "
                                "last finite training loss was %.6g)",
                                static_cast<long long>(it), std::to_string(v.loss).c_str(),
                                last_finite_loss));
        }
        curve.push_back({it, "val", v.loss, v.accuracy, now_seconds() - start});
        if (better(v, best, kind)) {
          best = v;
          summary.best_val_step = it;
          save_checkpoint(checkpoint, Checkpoint{cfg.hash, cfg.yaml, it, algorithm->state()});
        }
        store.add_curve_points(run_id, curve);
        curve.clear();
      }
    }
    progress.finish();
    summary.best_val_accuracy = best.accuracy;
    summary.best_val_loss = best.loss;
    summary.seconds_per_iteration = summary.train_seconds / cfg.iterations;

    // Model selection used validation only; test once with the selected model.
    algorithm->load_state(load_checkpoint(checkpoint).tensors);
    const std::vector<EpisodeResult> episodes =
        run_test_episodes(*algorithm, test, device, summary);
    store.complete_run(run_id, episodes, summary, utc_timestamp());
  });
  return RunOutcome{run_id, summary};
}

}  // namespace metabench
