// Runs one experiment in this process and records it in a ResultsStore.
//
// Sequence: set the thread count; build the dataset, the fixed validation and
// test episodes and the training stream (bad input fails here, before
// anything is recorded); record the run as 'running' with its provenance (or,
// resuming, take over the interrupted run's row and restore its snapshot);
// meta-train (harness/run/training_loop.h), validating every
// eval.val_interval iterations, writing the best-on-validation checkpoint
// and training snapshots atomically; reload that checkpoint; evaluate on the
// fixed test episodes; record episodes and summary as 'completed'; remove
// the snapshot unless runtime.keep_snapshots.
// This is one of the two places that catch exceptions: a failure or an
// interruption during the run is recorded on the run's row, then rethrown.
#pragma once

#include <cstdint>
#include <string>

#include "harness/config/experiment_config.h"
#include "harness/run/distributed.h"
#include "results/store.h"

namespace metabench {

struct RunOptions {
  std::string sweep;  // sweep name recorded with the run; empty for `metabench run`
  // The claim (results/claims.h) the run records under, held by a
  // ClaimKeeper in this process; empty: run_experiment claims the config
  // itself, completed or not, and refuses one another process is running.
  std::string run_uuid;
  // Continue the latest interrupted (or failed) run of this config by this
  // code from its snapshot, in its row, when there is one.
  bool resume = false;
  // The processes this run's meta-batches are split over (c10d), as rank
  // 0; null for one process.  The other ranks call run_other_rank().
  DistributedGroup* group = nullptr;
};

struct RunOutcome {
  int64_t run_id = 0;
  RunSummary summary;
};

RunOutcome run_experiment(const ExperimentConfig& cfg, ResultsStore& store,
                          const RunOptions& options);

// Rank 1 or above of a run split over `group`: trains its share of every
// meta-batch in step with rank 0 (which validates and records everything;
// this process opens no database), from the snapshot rank 0 resumes from.
void run_other_rank(const ExperimentConfig& cfg, DistributedGroup& group);

// "maml synthetic-glyphs 5-way 1-shot seed 2", for progress and log lines.
std::string describe_experiment(const ExperimentConfig& cfg);

// Where the run's best checkpoint goes, as an absolute path (recorded in the
// database, so it must not depend on the current folder):
// runtime.checkpoint_dir, or a folder named after the database beside it
// (results/smoke.sqlite -> results/smoke.checkpoints/), with the run's UUID
// in the name, so runs of two databases never share a checkpoint file, even
// in one runtime.checkpoint_dir or after a merge.
std::string checkpoint_path(const ExperimentConfig& cfg, const std::string& db_path,
                            const std::string& run_uuid);

}  // namespace metabench
