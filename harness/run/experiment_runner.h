// Runs one experiment in this process and records it in a ResultsStore.
//
// Sequence: set the thread count; build the dataset, the fixed validation and
// test episodes and the training stream (bad input fails here, before
// anything is recorded); record the run as 'running' with its provenance;
// meta-train, validating every eval.val_interval iterations and writing the
// best-on-validation checkpoint atomically; reload that checkpoint; evaluate
// on the fixed test episodes; record episodes and summary as 'completed'.
// This is one of the two places that catch exceptions: a failure or an
// interruption during the run is recorded on the run's row, then rethrown.
#pragma once

#include <cstdint>
#include <string>

#include "harness/config/experiment_config.h"
#include "results/store.h"

namespace metabench {

struct RunOptions {
  std::string sweep;  // sweep name recorded with the run; empty for `metabench run`
};

struct RunOutcome {
  int64_t run_id = 0;
  RunSummary summary;
};

RunOutcome run_experiment(const ExperimentConfig& cfg, ResultsStore& store,
                          const RunOptions& options);

// "maml synthetic-glyphs 5-way 1-shot seed 2", for progress and log lines.
std::string describe_experiment(const ExperimentConfig& cfg);

// Where the run's best checkpoint goes, as an absolute path (recorded in the
// database, so it must not depend on the current folder):
// runtime.checkpoint_dir, or a folder named after the database beside it
// (results/smoke.sqlite -> results/smoke.checkpoints/), so two databases in
// one folder never share checkpoint files.
std::string checkpoint_path(const ExperimentConfig& cfg, const std::string& db_path,
                            int64_t run_id);

}  // namespace metabench
