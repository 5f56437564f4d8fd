#include "harness/run/experiment_runner.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/csrc/api/include/torch/version.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <memory>

#include "datasets/episode_sampler.h"
#include "harness/algorithm/algorithm.h"
#include "harness/core/errors.h"
#include "harness/core/files.h"
#include "harness/core/interrupt.h"
#include "harness/core/stats.h"
#include "harness/core/strings.h"
#include "harness/core/system_info.h"
#include "harness/model/checkpoint.h"
#include "harness/run/progress.h"

namespace metabench {
namespace {

constexpr uint64_t kInitSeedTag = 0x696e6974ull;  // "init"

at::Device resolve_device(const std::string& device) {
  if (device == "cuda") {
    if (!at::hasCUDA()) {
      throw ConfigError(
          "runtime.device is 'cuda' but this LibTorch build sees no CUDA device; "
          "use runtime.device: cpu");
    }
    return at::Device(at::kCUDA);
  }
  return at::Device(at::kCPU);
}

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
                            int64_t run_id) {
  std::string dir = cfg.checkpoint_dir;
  if (dir.empty()) {
    const auto parent = std::filesystem::path(db_path).parent_path();
    dir = (parent.empty() ? std::filesystem::path("checkpoints") : parent / "checkpoints").string();
  }
  make_directories(dir);
  return dir + "/run-" + std::to_string(run_id) + "-best.ckpt";
}

RunOutcome run_experiment(const ExperimentConfig& cfg, ResultsStore& store,
                          const RunOptions& options) {
  at::set_num_threads(cfg.threads);
  const at::Device device = resolve_device(cfg.device);
  RunSummary summary;
  summary.iterations = cfg.iterations;

  // Everything that can reject bad input happens before the run is recorded.
  double t0 = now_seconds();
  const DatasetInfo& data_info = DatasetRegistry::instance().get(cfg.dataset, "dataset");
  const std::unique_ptr<Dataset> dataset = data_info.create(cfg);
  const FixedEpisodes val(*dataset, Split::kValidation, cfg.test_shape, cfg.eval_seed,
                          cfg.val_episodes);
  const FixedEpisodes test(*dataset, Split::kTest, cfg.test_shape, cfg.eval_seed,
                           cfg.test_episodes);
  TrainingStream train(*dataset, cfg.train_shape, static_cast<uint64_t>(cfg.seed));
  const std::unique_ptr<Backbone> backbone = BackboneRegistry::instance()
                                                 .get(cfg.backbone, "backbone")
                                                 .create(cfg, dataset->input_shape());
  AlgorithmContext context;
  context.config = &cfg;
  context.dataset = dataset.get();
  context.backbone = backbone.get();
  context.kind = dataset->kind();
  context.device = device;
  context.init_seed = derive_seed({static_cast<uint64_t>(cfg.seed), kInitSeedTag});
  const std::unique_ptr<Algorithm> algorithm =
      AlgorithmRegistry::instance().get(cfg.algorithm, "algorithm").create(context);
  summary.data_seconds = now_seconds() - t0;

  const SystemInfo system = collect_system_info();
  RunRecord record;
  record.sweep = options.sweep;
  record.name = cfg.name;
  record.config_hash = cfg.hash;
  record.config_yaml = cfg.yaml;
  record.algorithm = cfg.algorithm;
  record.dataset = cfg.dataset;
  record.backbone = cfg.backbone;
  record.ways = cfg.test_shape.ways;
  record.shots = cfg.test_shape.shots;
  record.queries = cfg.test_shape.queries;
  record.train_ways = cfg.train_shape.ways;
  record.train_shots = cfg.train_shape.shots;
  record.seed = cfg.seed;
  record.eval_seed = static_cast<int64_t>(cfg.eval_seed);
  record.git_commit = system.git_commit;
  record.metabench_version = system.metabench_version;
  record.torch_version = TORCH_VERSION;
  record.threads = at::get_num_threads();
  record.device = device.str();
  record.host = system.host;
  record.cpu_model = system.cpu_model;
  record.pid = getpid();
  record.dataset_checksum = dataset->checksum();
  record.test_episodes_checksum = test.checksum();
  const int64_t run_id = store.begin_run(record, utc_timestamp());

  try {
    const std::string checkpoint = checkpoint_path(cfg, store.path(), run_id);
    store.set_checkpoint_path(run_id, checkpoint);
    const TaskKind kind = dataset->kind();
    ProgressBar progress(describe_experiment(cfg), cfg.iterations, cfg.progress);
    std::vector<CurvePoint> curve;
    StepResult window, best{-1.0, -1.0};
    best.loss = INFINITY;
    int64_t window_size = 0;
    const double start = now_seconds();
    for (int64_t it = 1; it <= cfg.iterations; ++it) {
      throw_if_interrupted();
      std::vector<Episode> batch;
      batch.reserve(cfg.meta_batch);
      for (int64_t b = 0; b < cfg.meta_batch; ++b) batch.push_back(train.next().to(device));
      const double step_start = now_seconds();
      const StepResult r = algorithm->meta_train_step(batch);
      summary.train_seconds += now_seconds() - step_start;
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
    std::vector<EpisodeResult> episodes;
    std::vector<double> accuracies, losses;
    double adapt_seconds = 0;
    const double test_start = now_seconds();
    for (int64_t i = 0; i < test.size(); ++i) {
      throw_if_interrupted();
      const Episode episode = test.get(i).to(device);
      const double s = now_seconds();
      const StepResult r = algorithm->evaluate(episode);
      adapt_seconds += now_seconds() - s;
      episodes.push_back({i, r.accuracy, r.loss});
      accuracies.push_back(r.accuracy);
      losses.push_back(r.loss);
    }
    summary.test_seconds = now_seconds() - test_start;
    summary.test_episodes = test.size();
    const MeanCi accuracy = mean_ci95(accuracies), loss = mean_ci95(losses);
    summary.test_accuracy = accuracy.mean;
    summary.test_accuracy_ci95 = accuracy.ci95;
    summary.test_loss = loss.mean;
    summary.test_loss_ci95 = loss.ci95;
    summary.adapt_ms = 1000.0 * adapt_seconds / test.size();
    summary.peak_rss_mb = peak_rss_mb();
    summary.peak_device_mb = 0;  // CPU runs; device memory tracking comes with CUDA support
    store.complete_run(run_id, episodes, summary, utc_timestamp());
  } catch (const Interrupted& e) {
    store.end_run(run_id, "interrupted", e.what(), utc_timestamp());
    throw;
  } catch (const std::exception& e) {
    store.end_run(run_id, "failed", e.what(), utc_timestamp());
    throw;
  }
  return RunOutcome{run_id, summary};
}

}  // namespace metabench
