// Runs a sweep: every cell of the matrix in its own child process
// (`metabench run`), so each run's peak memory is its own and a crash stays
// confined to its run.
//
// Idempotent: a cell whose config hash already has a completed run in the
// database, recorded by the same code (core/code_identity.h), is skipped, so
// running the same sweep again resumes it.  A cell completed only by other
// code (another build of metabench, another plugin file) is reported and,
// by default, skipped as well; with `rerun_changed` it runs again as a new
// run, and the old one stays.  Runs left
// 'running' by a killed process are marked interrupted first.  On SIGINT or
// SIGTERM the children are told to stop (they record themselves as
// interrupted), finished runs stay, and run_sweep throws Interrupted.
#pragma once

#include <string>
#include <vector>

namespace metabench {

struct SweepOptions {
  std::string sweep_path;
  std::vector<std::string> overrides;  // --set KEY=VALUE
  std::string db_path;
  int jobs = 1;
  std::string executable;  // the metabench binary that runs each cell
  bool rerun_changed = false;
};

struct SweepResult {
  int cells = 0, skipped = 0, completed = 0, failed = 0;
  // Cells completed only by other code; skipped unless rerun_changed (then
  // they are run, and counted in `completed` or `failed` too).
  int changed = 0;
};

SweepResult run_sweep(const SweepOptions& options);

}  // namespace metabench
