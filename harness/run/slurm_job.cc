#include "harness/run/slurm_job.h"

#include <cctype>
#include <cstdio>
#include <filesystem>

#include "core/files.h"
#include "core/strings.h"
#include "metabench/errors.h"

namespace metabench {
namespace {

// A file-name-safe form of the sweep's name.
std::string safe_name(const std::string& name) {
  std::string out;
  for (char c : name) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-') ? c : '_';
  return out.empty() ? "sweep" : out;
}

void check_word(const std::string& value, const std::string& what, const char* allowed) {
  if (value.find_first_not_of(allowed) != std::string::npos) {
    throw ConfigError(what + " '" + value + "' has characters Slurm does not accept there");
  }
}

}  // namespace

std::string SlurmJob::shard_database(int index) const {
  return db_dir + "/" + safe_name(sweep_name) + "-shard-" + std::to_string(index) + "-of-" +
         std::to_string(shards) + ".sqlite";
}

std::string SlurmJob::shard_glob() const {
  return db_dir + "/" + safe_name(sweep_name) + "-shard-*-of-" + std::to_string(shards) + ".sqlite";
}

std::string SlurmJob::merged_database() const {
  return db_dir + "/" + safe_name(sweep_name) + ".sqlite";
}

std::string SlurmJob::script_path() const {
  return db_dir + "/" + safe_name(sweep_name) + ".sbatch";
}

std::string SlurmJob::log_dir() const { return db_dir + "/logs"; }

std::string slurm_script(const SlurmJob& job) {
  for (const std::string& text : {job.executable, job.sweep_path, job.db_dir}) {
    if (text.find('\n') != std::string::npos || text.find('\r') != std::string::npos) {
      throw ConfigError("the path '" + text + "' has a line break; Slurm scripts cannot hold it");
    }
  }
  if (job.db_dir.find_first_of(" \t") != std::string::npos) {
    throw ConfigError("--db-dir '" + job.db_dir +
                      "' has white space, which #SBATCH lines cannot quote; choose another folder");
  }
  check_word(job.partition, "--partition",
             "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.,");
  check_word(job.time_limit, "--time", "0123456789:-");
  std::string s = "#!/bin/bash\n";
  s += "# Written by `metabench slurm`: sweep " + job.sweep_name + " as " +
       std::to_string(job.shards) + " array task(s), one shard database each.\n";
  s += "#SBATCH --job-name=metabench-" + safe_name(job.sweep_name) + "\n";
  s += "#SBATCH --array=0-" + std::to_string(job.shards - 1) +
       (job.max_parallel > 0 ? "%" + std::to_string(job.max_parallel) : "") + "\n";
  s += "#SBATCH --cpus-per-task=" + std::to_string(job.cpus_per_task) + "\n";
  if (job.gpus_per_task > 0)
    s += "#SBATCH --gpus-per-task=" + std::to_string(job.gpus_per_task) + "\n";
  if (!job.partition.empty()) s += "#SBATCH --partition=" + job.partition + "\n";
  if (!job.time_limit.empty()) s += "#SBATCH --time=" + job.time_limit + "\n";
  // #SBATCH lines are not shell: db_dir has no white space (checked above).
  s += "#SBATCH --output=" + job.log_dir() + "/%x-%A_%a.out\n";
  s += "#SBATCH --open-mode=append\n";
  s += "#SBATCH --requeue\n";
  s += "set -eu\n";
  // exec: the sweep is the task's process, so Slurm's SIGTERM reaches it.
  s += "exec " + shell_quote(job.executable) + " sweep " + shell_quote(job.sweep_path) +
       " --shard \"${SLURM_ARRAY_TASK_ID}/" + std::to_string(job.shards) + "\" --db " +
       shell_quote(job.db_dir + "/" + safe_name(job.sweep_name) + "-shard-") +
       "\"${SLURM_ARRAY_TASK_ID}\"" + shell_quote("-of-" + std::to_string(job.shards) + ".sqlite");
  for (const std::string& arg : job.sweep_args) s += " " + shell_quote(arg);
  s += "\n";
  return s;
}

std::string submit_slurm_job(const SlurmJob& job, const std::string& script) {
  make_directories(job.log_dir());
  write_file_atomically(job.script_path(), script);
  const std::string log = make_temp_file(job.db_dir, ".sbatch-output", ".txt", "");
  int status = 0;
  try {
    status = run_program({"sbatch", "--parsable", job.script_path()}, log);
  } catch (const UserError& e) {
    std::remove(log.c_str());
    throw EnvironmentError(std::string(e.what()) +
                           " (is Slurm installed? `sbatch` must be on PATH)");
  }
  const std::string output = trim(read_file(log));
  std::remove(log.c_str());
  if (status != 0) {
    throw EnvironmentError("sbatch refused " + job.script_path() + " (exit " +
                           std::to_string(status) + "): " + output);
  }
  // --parsable prints "JOBID" or "JOBID;CLUSTER".
  const std::string id = output.substr(0, output.find(';'));
  if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos) {
    throw EnvironmentError("sbatch printed '" + output + "', expected a job id");
  }
  return id;
}

}  // namespace metabench
