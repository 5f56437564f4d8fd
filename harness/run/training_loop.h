// The meta-training loop of one run: meta-iterations, the training curve,
// validation and model selection, best checkpoints and training snapshots.
//
// run() trains from iteration 1, or from a snapshot after restore().  Every
// runtime.snapshot_minutes, at the end of training, and when SIGINT or
// SIGTERM arrives, it writes a snapshot (harness/run/snapshot.h), after
// flushing the curve points it holds, so the database never has points the
// snapshot has not seen as recorded.  An interruption at any other moment
// (a stop after a lost claim, an error) writes none: the last snapshot
// stands.
//
// With a MetaBatchGroup of several processes, each process calls run() with
// its rank: every process draws the whole meta-batch from the same training
// stream and trains on its share; only rank 0 validates, writes checkpoints
// and snapshots and records anything.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <cstdint>
#include <string>
#include <vector>

#include "datasets/episode_sampler.h"
#include "harness/config/experiment_config.h"
#include "harness/run/snapshot.h"
#include "metabench/algorithm.h"
#include "results/store.h"

namespace metabench {

struct TrainingLoopParts {
  const ExperimentConfig* cfg = nullptr;
  Algorithm* algorithm = nullptr;
  TrainingStream* train = nullptr;
  const FixedEpisodes* val = nullptr;
  at::Device device = at::kCPU;
  TaskKind kind = TaskKind::kClassification;
  // Rank 0 (or the only process): where it records; null on other ranks.
  ResultsStore* store = nullptr;
  int64_t run_id = 0;
  std::string checkpoint, snapshot;  // files of rank 0
  int rank = 0, world_size = 1;
};

class TrainingLoop {
 public:
  explicit TrainingLoop(TrainingLoopParts parts);

  // Continues from `snapshot`: the algorithm's state and training state,
  // the stream's position, the generator, the sums; rewrites the best
  // checkpoint from the snapshot's best state (rank 0).  Throws UserError
  // when the snapshot belongs to another config or model.
  void restore(const TrainingSnapshot& snapshot);

  // Meta-trains to iteration cfg.iterations; fills the training fields of
  // `summary` (seconds, best validation step and score).  Throws Diverged,
  // Interrupted (after a snapshot when a signal stopped it), ClaimLost.
  void run(RunSummary& summary);

 private:
  enum class Phase { kOther, kBetweenIterations, kValidating };
  void validate(int64_t it);
  void flush_curve();
  void write_snapshot();
  bool primary() const { return parts_.rank == 0; }

  TrainingLoopParts parts_;
  const ExperimentConfig& cfg_;
  Phase phase_ = Phase::kOther;
  int64_t done_ = 0;  // meta-iterations completed
  std::vector<CurvePoint> curve_;
  StepResult window_;
  int64_t window_size_ = 0;
  double last_finite_loss_ = NAN;
  StepResult best_;
  int64_t best_step_ = 0;
  NamedTensors best_state_;
  double train_seconds_ = 0, val_seconds_ = 0;
  double elapsed_before_ = 0;  // training time before this process resumed
  double start_ = 0, last_snapshot_ = 0;
};

}  // namespace metabench
