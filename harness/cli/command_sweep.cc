#include <unistd.h>

#include <climits>
#include <cstdio>
#include <stdexcept>

#include "core/interrupt.h"
#include "core/process.h"
#include "harness/cli/commands.h"
#include "harness/config/plugins.h"
#include "harness/run/sweep_runner.h"
#include "metabench/errors.h"

namespace po = boost::program_options;

namespace metabench {
// "I/N" with 0 <= I < N.
void parse_shard(const std::string& text, SweepOptions& sweep) {
  const size_t slash = text.find('/');
  int index = -1, count = 0;
  try {
    size_t used = 0;
    if (slash == std::string::npos) throw std::invalid_argument("no slash");
    index = std::stoi(text.substr(0, slash), &used);
    if (used != slash) throw std::invalid_argument("index");
    count = std::stoi(text.substr(slash + 1), &used);
    if (used != text.size() - slash - 1) throw std::invalid_argument("count");
  } catch (const std::exception&) {
    index = -1;
  }
  if (index < 0 || count < 1 || index >= count) {
    throw ConfigError(
        "--shard must be I/N with 0 <= I < N (e.g. 0/4 for the first of four "
        "parts, as Slurm's $SLURM_ARRAY_TASK_ID counts), got '" +
        text + "'");
  }
  sweep.shard_index = index;
  sweep.shard_count = count;
}

int command_sweep(const Args& args) {
  SweepOptions sweep;
  std::vector<std::string> plugins;
  std::string data_root, shard;
  bool no_wait = false;
  po::options_description options("options");
  options.add_options()("sweep", po::value(&sweep.sweep_path)->required(), "sweep file (YAML)")(
      "set", po::value(&sweep.overrides)->composing(),
      "override a config key in every cell: --set KEY=VALUE")(
      "db", po::value(&sweep.db_path)->default_value(kDefaultDatabase),
      "results database (SQLite)")(
      "plugin", po::value(&plugins)->composing(),
      "load a plugin: a shared library whose code runs with your permissions")(
      "rerun-changed", po::bool_switch(&sweep.rerun_changed),
      "run cells completed by other code (another build or plugin file) again, as new runs")(
      "jobs,j", po::value(&sweep.jobs)->default_value(1),
      "runs at once; the CPUs this process may use are shared out unless runtime.threads is set")(
      "nproc", po::value(&sweep.nproc)->default_value(1),
      "split each run's meta-batches over N processes (metabench run --nproc)")(
      "shard", po::value(&shard),
      "run only part I of N of the matrix's distinct cells (0 <= I < N), e.g. one Slurm array "
      "task's")(
      "lease", po::value(&sweep.lease_seconds),
      "seconds a claim on a cell lasts without renewal before another process may take the "
      "cell over (default $METABENCH_LEASE_SECONDS, else 60)")(
      "no-wait", po::bool_switch(&no_wait),
      "do not wait for cells that other processes are running; report them")(
      "data-root", po::value(&data_root),
      "data root for every cell (default: data.root, else $METABENCH_DATA, else ./data)");
  po::positional_options_description positional;
  positional.add("sweep", 1);
  po::variables_map values;
  if (!parse_command_line(
          "sweep",
          "SWEEP.yaml [--set KEY=VALUE]... [--data-root DIR] [--db PATH] [--jobs N] "
          "[--shard I/N] [--lease SECONDS] [--no-wait] [--rerun-changed]",
          options, positional, args, values)) {
    return 0;
  }
  if (sweep.nproc < 1 || sweep.nproc > 1024) {
    throw ConfigError("--nproc " + std::to_string(sweep.nproc) + ": expected 1 to 1024 processes");
  }
  if (sweep.jobs < 1)
    throw ConfigError("--jobs must be at least 1, got " + std::to_string(sweep.jobs));
  if (!shard.empty()) parse_shard(shard, sweep);
  if (values.count("lease") && !(sweep.lease_seconds >= 1)) {
    throw ConfigError("--lease must be at least 1 second, got " +
                      std::to_string(sweep.lease_seconds));
  }
  sweep.wait = !no_wait;
  if (!data_root.empty()) {
    sweep.overrides.push_back(data_root_assignment(data_root));
  }
  for (const auto& p : plugins) load_plugin(p);
  sweep.executable = self_executable();
  install_interrupt_handlers();
  const SweepResult result = run_sweep(sweep);
  if (result.failed > 0) {
    std::fprintf(stderr,
                 "metabench: %d run(s) failed; their errors are printed above, and runs that "
                 "had started are recorded with status 'failed' in %s\n",
                 result.failed, sweep.db_path.c_str());
    return 1;
  }
  return 0;
}

}  // namespace metabench
