#include "harness/run/experiment_runner.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

#include "core/blas_core.h"
#include "core/device_info.h"
#include "core/files.h"
#include "core/interrupt.h"
#include "core/strings.h"
#include "core/system_info.h"
#include "datasets/episode_sampler.h"
#include "harness/run/claim_keeper.h"
#include "harness/run/memory_estimate.h"
#include "harness/run/progress.h"
#include "harness/run/run_steps.h"
#include "harness/run/snapshot.h"
#include "harness/run/training_loop.h"
#include "metabench/algorithm.h"
#include "metabench/errors.h"
#include "nn/checkpoint.h"

namespace metabench {
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

namespace {

// The snapshot run `resumable` left, if it can be resumed by this config;
// otherwise says why not on stderr and returns nothing (the run starts over).
std::optional<TrainingSnapshot> usable_snapshot(const ResultsStore::ResumableRun& resumable,
                                                const ExperimentConfig& cfg) {
  std::error_code ec;
  if (!std::filesystem::exists(resumable.snapshot_path, ec)) {
    std::fprintf(stderr,
                 "metabench: run %lld (%s) left no snapshot at '%s'; starting the run over\n",
                 static_cast<long long>(resumable.run_id), resumable.status.c_str(),
                 resumable.snapshot_path.c_str());
    return std::nullopt;
  }
  TrainingSnapshot snapshot = load_snapshot(resumable.snapshot_path);
  if (snapshot.config_hash != cfg.hash) {
    throw UserError("snapshot '" + resumable.snapshot_path + "' is of config " +
                    snapshot.config_hash.substr(0, 12) + ", expected this run's " +
                    cfg.hash.substr(0, 12));
  }
  return snapshot;
}

}  // namespace

RunOutcome run_experiment(const ExperimentConfig& cfg, ResultsStore& store,
                          const RunOptions& options) {
  set_compute_threads(cfg.threads);
  const at::Device device = resolve_device(cfg.device);
  reset_peak_device_memory(device);  // peak_device_mb is this run's own
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
  TrainingStream train(*dataset, cfg.train_shape, static_cast<uint64_t>(cfg.seed), cfg.augment);
  const Model model = build_model(cfg, *dataset, device, options.group);
  Algorithm* algorithm = model.algorithm.get();
  summary.data_seconds = now_seconds() - t0;
  std::unique_ptr<ClaimKeeper> keeper;
  RunRecord record = make_run_record(cfg, *dataset, test, device, options.sweep);
  record.world_size = options.group ? options.group->size() : 1;
  if (options.group && options.group->rank() != 0) {
    throw InternalError("run_experiment is for rank 0; other ranks call run_other_rank");
  }
  record.run_uuid = options.run_uuid;
  if (record.run_uuid.empty()) {
    keeper = ClaimKeeper::take(store, cfg.hash, record.code_id);
    record.run_uuid = keeper->run_uuid();
  }
  // A resume continues the latest interrupted run of this cell by this code
  // in its own row; everything else starts a new row.
  std::optional<ResultsStore::ResumableRun> resumable;
  std::optional<TrainingSnapshot> snapshot;
  if (options.resume) {
    resumable = store.resumable_run(cfg.hash, record.code_id);
    if (resumable) snapshot = usable_snapshot(*resumable, cfg);
  }
  int64_t run_id = 0;
  std::string checkpoint, snapshot_file;
  if (options.group) options.group->publish("snapshot", snapshot ? resumable->snapshot_path : "");
  if (snapshot) {
    run_id = resumable->run_id;
    store.resume_run(run_id, record, snapshot->iteration, snapshot->validation_pending);
    checkpoint = resumable->checkpoint_path;
    snapshot_file = resumable->snapshot_path;
    std::fprintf(stderr, "metabench: resuming run %lld at iteration %lld of %lld\n",
                 static_cast<long long>(run_id), static_cast<long long>(snapshot->iteration),
                 static_cast<long long>(cfg.iterations));
  } else {
    run_id = store.begin_run(record, utc_timestamp());
  }

  record_outcome(store, run_id, [&] {
    if (!snapshot) {
      checkpoint = checkpoint_path(cfg, store.path(), record.run_uuid);
      snapshot_file = snapshot_path_for(checkpoint);
      store.set_checkpoint_path(run_id, checkpoint);
      store.set_snapshot_path(run_id, snapshot_file);
    }
    TrainingLoopParts parts;
    parts.cfg = &cfg;
    parts.algorithm = algorithm;
    parts.train = &train;
    parts.val = &val;
    parts.device = device;
    parts.kind = dataset->kind();
    parts.store = &store;
    parts.run_id = run_id;
    parts.checkpoint = checkpoint;
    parts.snapshot = snapshot_file;
    if (options.group) {
      parts.rank = options.group->rank();
      parts.world_size = options.group->size();
    }
    // Leftovers of a process killed while it wrote one (the claim makes
    // this process the only writer now).
    remove_stale_temporaries(checkpoint);
    remove_stale_temporaries(snapshot_file);
    TrainingLoop loop(parts);
    if (snapshot) loop.restore(*snapshot);
    loop.run(summary);

    // Model selection used validation only; test once with the selected model.
    algorithm->load_state(load_checkpoint(checkpoint).tensors);
    const std::vector<EpisodeResult> episodes =
        run_test_episodes(*algorithm, test, device, cfg.eval_batch, summary);
    store.complete_run(run_id, episodes, summary, utc_timestamp());
    if (!cfg.keep_snapshots) {
      std::error_code ec;
      std::filesystem::remove(snapshot_file, ec);
      remove_stale_temporaries(snapshot_file);
    }
  });
  return RunOutcome{run_id, summary};
}

void run_other_rank(const ExperimentConfig& cfg, DistributedGroup& group) {
  set_compute_threads(cfg.threads);
  const at::Device device = resolve_device(cfg.device);
  const std::unique_ptr<Dataset> dataset = create_dataset(cfg);
  TrainingStream train(*dataset, cfg.train_shape, static_cast<uint64_t>(cfg.seed), cfg.augment);
  const Model model = build_model(cfg, *dataset, device, &group);
  TrainingLoopParts parts;
  parts.cfg = &cfg;
  parts.algorithm = model.algorithm.get();
  parts.train = &train;
  parts.device = device;
  parts.kind = dataset->kind();
  parts.rank = group.rank();
  parts.world_size = group.size();
  TrainingLoop loop(parts);
  const std::string snapshot = group.fetch("snapshot");
  if (!snapshot.empty()) loop.restore(load_snapshot(snapshot));
  RunSummary summary;
  loop.run(summary);
}

}  // namespace metabench
