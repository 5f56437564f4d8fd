// Runs a sweep: every distinct cell of the matrix in its own child process
// (`metabench run`), so each run's peak memory is its own and a crash stays
// confined to its run.
//
// A cell runs only under a claim (results/claims.h), taken in the database
// at the moment it starts: never twice, whether sweeps run one after the
// other, at once on one database, or after any of them was killed.
// - A cell with a completed run recorded by the same code
//   (core/code_identity.h) is skipped, so running the same sweep again
//   resumes it.  A cell completed only by other code is reported and, by
//   default, skipped as well; with `rerun_changed` it runs again as a new
//   run, and the old one stays.
// - A cell under another process's live claim is skipped until the rest is
//   done, then waited for (it completes there, or its claim goes stale and
//   this sweep takes it over); without `wait`, it is reported instead.
// - A child whose sweep died keeps its claim alive and records its run; a
//   child killed after its run was recorded counts as completed; one killed
//   before has its run marked failed and its claim released.
// On SIGINT or SIGTERM the children are told to stop (they record
// themselves as interrupted), finished runs stay, and run_sweep throws
// Interrupted.
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
  // This process runs the cells k with k % shard_count == shard_index, in
  // the matrix's order of distinct cells: a deterministic, balanced part.
  int shard_index = 0, shard_count = 1;
  double lease_seconds = 0;  // of this sweep's claims; 0: default_lease_seconds()
  bool wait = true;          // for cells that other processes hold
  // Processes each cell's run is split over (`metabench run --nproc`);
  // each job's CPUs are shared among them.
  int nproc = 1;
};

struct SweepResult {
  int cells = 0;       // distinct cells (of this shard)
  int duplicates = 0;  // matrix cells equal to another, collapsed
  int skipped = 0;     // completed before this sweep reached them
  int completed = 0;   // run by this sweep
  int elsewhere = 0;   // completed by another process while this sweep waited
  int held = 0;        // still held by other processes (wait == false)
  int failed = 0;
  int diverged = 0;  // run by this sweep, and their loss became NaN or infinite
  // Cells completed only by other code; skipped unless rerun_changed (then
  // they are run, and counted in `completed` or `failed` too).
  int changed = 0;
};

SweepResult run_sweep(const SweepOptions& options);

}  // namespace metabench
