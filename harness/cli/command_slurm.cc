// `metabench slurm SWEEP.yaml`: writes an sbatch job-array script for the
// sweep (harness/run/slurm_job.h), submits it, and says how to follow and
// merge it; --dry-run prints the script instead.
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <filesystem>

#include "core/files.h"
#include "harness/cli/commands.h"
#include "harness/config/plugins.h"
#include "harness/config/sweep_config.h"
#include "harness/run/slurm_job.h"
#include "metabench/errors.h"

namespace po = boost::program_options;

namespace metabench {

int command_slurm(const Args& args) {
  SlurmJob job;
  std::vector<std::string> overrides, plugins;
  std::string data_root, db_dir = "results/slurm";
  bool dry_run = false;
  po::options_description options("options");
  options.add_options()("sweep", po::value(&job.sweep_path)->required(), "sweep file (YAML)")(
      "set", po::value(&overrides)->composing(), "override a config key in every cell")(
      "plugin", po::value(&plugins)->composing(), "load a plugin in every task (code: trust it)")(
      "data-root", po::value(&data_root), "data root for every cell, as the compute nodes see it")(
      "db-dir", po::value(&db_dir)->default_value(db_dir),
      "folder for the shard databases, logs and script (on a filesystem the nodes share)")(
      "shards", po::value(&job.shards), "array tasks (default: one per distinct cell)")(
      "partition", po::value(&job.partition), "Slurm partition")(
      "time", po::value(&job.time_limit), "time limit per task (Slurm's format, e.g. 4:00:00)")(
      "cpus-per-task", po::value(&job.cpus_per_task)->default_value(2),
      "CPUs per task; the task's runs use this many threads")(
      "gpus-per-task", po::value(&job.gpus_per_task)->default_value(0), "GPUs per task")(
      "max-parallel", po::value(&job.max_parallel)->default_value(0),
      "array tasks running at once (0: as many as Slurm allows)")(
      "dry-run", po::bool_switch(&dry_run), "print the script; write and submit nothing");
  po::positional_options_description positional;
  positional.add("sweep", 1);
  po::variables_map values;
  if (!parse_command_line("slurm",
                          "SWEEP.yaml [--db-dir DIR] [--shards N] [--partition P] [--time T] "
                          "[--cpus-per-task C] [--gpus-per-task G] [--max-parallel K] [--dry-run]",
                          options, positional, args, values)) {
    return 0;
  }
  if (job.cpus_per_task < 1 || job.gpus_per_task < 0 || job.max_parallel < 0) {
    throw ConfigError("--cpus-per-task must be >= 1, --gpus-per-task and --max-parallel >= 0");
  }
  for (const auto& p : plugins) load_plugin(p);
  std::vector<std::string> cell_overrides = overrides;
  if (!data_root.empty()) cell_overrides.push_back(data_root_assignment(data_root));
  // Validate every cell here, before anything is queued.
  const Sweep sweep = load_sweep(job.sweep_path, cell_overrides);
  const int cells = static_cast<int>(sweep.cells.size());
  if (!values.count("shards")) job.shards = cells;
  if (job.shards < 1 || job.shards > cells) {
    throw ConfigError("--shards must be between 1 and the sweep's " + std::to_string(cells) +
                      " distinct cells, got " + std::to_string(job.shards));
  }
  char self[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) throw InternalError("cannot locate the metabench executable (/proc/self/exe)");
  job.executable = std::string(self, static_cast<size_t>(n));
  job.sweep_path = std::filesystem::absolute(job.sweep_path).lexically_normal().string();
  job.sweep_name = sweep.name;
  job.db_dir = std::filesystem::absolute(db_dir).lexically_normal().string();
  while (job.db_dir.size() > 1 && job.db_dir.back() == '/') job.db_dir.pop_back();
  for (const auto& o : cell_overrides) job.sweep_args.insert(job.sweep_args.end(), {"--set", o});
  for (const auto& p : loaded_plugins())
    job.sweep_args.insert(job.sweep_args.end(), {"--plugin", p});
  const std::string script = slurm_script(job);
  if (dry_run) {
    std::fputs(script.c_str(), stdout);
    return 0;
  }
  make_directories(job.db_dir);
  const std::string id = submit_slurm_job(job, script);
  std::printf(
      "submitted job %s: sweep %s, %d cells in %d array task(s); script %s\n"
      "follow: squeue -j %s   (logs in %s/)\n"
      "merge:  metabench db merge %s %s\n"
      "report: metabench report --db %s\n",
      id.c_str(), sweep.name.c_str(), cells, job.shards, job.script_path().c_str(), id.c_str(),
      job.log_dir().c_str(), job.merged_database().c_str(), job.shard_glob().c_str(),
      job.merged_database().c_str());
  return 0;
}

}  // namespace metabench
