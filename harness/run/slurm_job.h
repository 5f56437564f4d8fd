// A sweep as a Slurm job array (`metabench slurm`): one array task per
// shard, each running `metabench sweep --shard I/N` into its own database
// file, so no SQLite file is shared over a network filesystem (where WAL
// mode is unsafe across hosts).  `metabench db merge` joins the shards.
//
// Each task is requeueable: preempted or requeued, Slurm sends SIGTERM, the
// sweep records its runs as interrupted, and when the task runs again its
// sweep resumes the shard (completed cells are skipped).  Every path and
// argument in the script is quoted for the shell; nothing is expanded but
// $SLURM_ARRAY_TASK_ID.
#pragma once

#include <string>
#include <vector>

namespace metabench {

struct SlurmJob {
  std::string executable;  // the metabench binary the tasks run (absolute)
  std::string sweep_path;  // absolute
  std::string sweep_name;
  std::vector<std::string> sweep_args;  // --set, --plugin, --data-root, ... for every task
  std::string db_dir;                   // absolute; shard databases and logs go here
  int shards = 1;
  int max_parallel = 0;  // 0: no limit
  int cpus_per_task = 1;
  int gpus_per_task = 0;
  std::string partition, time_limit;

  // "<db_dir>/<name>-shard-<I>-of-<N>.sqlite" for shard I.
  std::string shard_database(int index) const;
  // The same with I as a shell glob, for the merge command.
  std::string shard_glob() const;
  std::string merged_database() const;  // "<db_dir>/<name>.sqlite"
  std::string script_path() const;      // "<db_dir>/<name>.sbatch"
  std::string log_dir() const;          // "<db_dir>/logs"
};

// The sbatch script.  ConfigError for a value Slurm cannot take (a newline
// in a path, a partition or time with characters Slurm does not use).
std::string slurm_script(const SlurmJob& job);

// Writes the script and submits it with `sbatch --parsable` (started with
// an argument vector); returns the job id.  EnvironmentError when sbatch is
// missing or refuses, with its output.
std::string submit_slurm_job(const SlurmJob& job, const std::string& script);

}  // namespace metabench
