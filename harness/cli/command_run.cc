#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>

#include "core/blas_core.h"
#include "core/interrupt.h"
#include "core/process.h"
#include "core/raw_config.h"
#include "core/strings.h"
#include "harness/cli/commands.h"
#include "harness/config/experiment_config.h"
#include "harness/config/plugins.h"
#include "harness/run/claim_keeper.h"
#include "harness/run/distributed.h"
#include "harness/run/experiment_runner.h"
#include "results/store.h"

namespace po = boost::program_options;

namespace metabench {
namespace {

// `metabench run --nproc N` without a world in the environment: checks the
// config once, then starts N ranks of this command on this host, each with
// its share of the CPUs unless runtime.threads is set (not 0).
int launch_run(const Args& args, int nproc, const std::string& config_path,
               const std::vector<std::string>& overrides, const std::vector<std::string>& plugins) {
  for (const auto& p : plugins) load_plugin(p);
  RawConfig raw = RawConfig::from_file(config_path);
  for (const auto& o : overrides) raw.apply_set(o);
  load_plugins_from(raw);
  const ExperimentConfig cfg = resolve_experiment(raw);  // bad input fails here, once
  std::vector<std::string> argv = {self_executable(), "run"};
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--nproc") {
      ++i;  // and its value
    } else if (args[i].rfind("--nproc=", 0) != 0) {
      argv.push_back(args[i]);
    }
  }
  if (cfg.values.get_int("runtime.threads") == 0) {  // "the CPUs this process may use"
    argv.push_back("--set");
    argv.push_back("runtime.threads=" + std::to_string(std::max(1, usable_cpus() / nproc)));
  }
  return launch_local_workers(nproc, argv);
}

}  // namespace

int command_run(const Args& args) {
  std::string config_path, db_path, sweep, data_root, claim;
  std::vector<std::string> overrides, plugins;
  bool resume = false;
  int nproc = 1;
  po::options_description options("options");
  options.add_options()("config", po::value(&config_path)->required(), "experiment config (YAML)")(
      "set", po::value(&overrides)->composing(), "override a config key: --set KEY=VALUE")(
      "db", po::value(&db_path)->default_value(kDefaultDatabase), "results database (SQLite)")(
      "sweep", po::value(&sweep), "sweep name to record with the run (set by `metabench sweep`)")(
      "resume", po::bool_switch(&resume),
      "continue this config's latest interrupted run from its training snapshot, in its row "
      "(a fresh run when there is none)")(
      "nproc", po::value(&nproc)->default_value(1),
      "split each meta-batch over N processes on this host (c10d, Gloo), recorded as one run "
      "with world size N; with WORLD_SIZE, RANK, MASTER_ADDR and MASTER_PORT set (or Slurm's "
      "SLURM_NTASKS and SLURM_PROCID), the process joins that world instead")(
      "claim", po::value(&claim),
      "run under this claim on the cell, made by `metabench sweep` (internal)")(
      "plugin", po::value(&plugins)->composing(),
      "load a plugin: a shared library whose code runs with your permissions")(
      "data-root", po::value(&data_root),
      "data root (default: data.root, else $METABENCH_DATA, else ./data)");
  po::positional_options_description positional;
  positional.add("config", 1);
  po::variables_map values;
  if (!parse_command_line(
          "run", "CONFIG.yaml [--set KEY=VALUE]... [--data-root DIR] [--db PATH] [--resume]",
          options, positional, args, values)) {
    return 0;
  }
  install_interrupt_handlers();
  if (nproc < 1 || nproc > 1024) {
    throw ConfigError("--nproc " + std::to_string(nproc) + ": expected 1 to 1024 processes");
  }
  const std::optional<Rendezvous> world = rendezvous_from_environment();
  if (nproc > 1 && !world) return launch_run(args, nproc, config_path, overrides, plugins);
  // The config is fully validated before anything else happens.
  for (const auto& p : plugins) load_plugin(p);
  RawConfig raw = RawConfig::from_file(config_path);
  for (const auto& o : overrides) raw.apply_set(o);
  if (!data_root.empty()) {
    raw.apply_set(data_root_assignment(data_root));
  }
  load_plugins_from(raw);
  const ExperimentConfig cfg = resolve_experiment(raw);
  // runtime.blas_coretype may start this program again with other OpenBLAS
  // kernels: before it joins a world, adopts a claim or records anything.
  apply_blas_coretype(cfg.blas_coretype);
  std::unique_ptr<DistributedGroup> group;
  if (world) group = DistributedGroup::join(*world);
  const bool rank0 = !group || group->rank() == 0;
  // A sweep's child adopts its claim before it opens anything, so that the claim stays live
  // (renewed by this process) even if the sweep dies now.
  std::unique_ptr<ResultsStore> claimed_store;
  std::unique_ptr<ClaimKeeper> keeper;
  if (!claim.empty() && rank0) {
    claimed_store = std::make_unique<ResultsStore>(db_path, ResultsStore::Access::kReadWrite);
    keeper = ClaimKeeper::adopt(*claimed_store, claim);
  }
  if (!rank0) {
    run_other_rank(cfg, *group);
    return 0;
  }
  if (!claimed_store) {
    claimed_store = std::make_unique<ResultsStore>(db_path, ResultsStore::Access::kReadWrite);
  }
  RunOptions run_options;
  run_options.sweep = sweep;
  run_options.run_uuid = keeper ? keeper->run_uuid() : "";
  run_options.resume = resume;
  run_options.group = group.get();
  const RunOutcome outcome = run_experiment(cfg, *claimed_store, run_options);
  const RunSummary& s = outcome.summary;
  const std::string score =
      std::isnan(s.test_accuracy)
          ? format("test MSE %.3f ± %.3f", s.test_loss, s.test_loss_ci95)
          : format("%.2f%% ± %.2f", 100 * s.test_accuracy, 100 * s.test_accuracy_ci95);
  std::printf(
      "run %lld completed: %s: %s (%lld test episodes), train %s, %.4f s/iteration, "
      "peak RSS %.0f MB\n",
      static_cast<long long>(outcome.run_id), describe_experiment(cfg).c_str(), score.c_str(),
      static_cast<long long>(s.test_episodes), human_duration(s.train_seconds).c_str(),
      s.seconds_per_iteration, s.peak_rss_mb);
  std::fflush(stdout);
  return 0;
}

}  // namespace metabench
