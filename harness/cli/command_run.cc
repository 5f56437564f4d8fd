#include <cmath>
#include <cstdio>
#include <memory>

#include "core/interrupt.h"
#include "core/strings.h"
#include "harness/cli/commands.h"
#include "harness/config/experiment_config.h"
#include "harness/config/plugins.h"
#include "harness/run/claim_keeper.h"
#include "harness/run/experiment_runner.h"
#include "results/store.h"

namespace po = boost::program_options;

namespace metabench {

int command_run(const Args& args) {
  std::string config_path, db_path, sweep, data_root, claim;
  std::vector<std::string> overrides, plugins;
  bool resume = false;
  po::options_description options("options");
  options.add_options()("config", po::value(&config_path)->required(), "experiment config (YAML)")(
      "set", po::value(&overrides)->composing(), "override a config key: --set KEY=VALUE")(
      "db", po::value(&db_path)->default_value(kDefaultDatabase), "results database (SQLite)")(
      "sweep", po::value(&sweep), "sweep name to record with the run (set by `metabench sweep`)")(
      "resume", po::bool_switch(&resume),
      "continue this config's latest interrupted run from its training snapshot, in its row "
      "(a fresh run when there is none)")(
      "claim", po::value(&claim),
      "run under this claim on the cell, made by `metabench sweep` (internal)")(
      "plugin", po::value(&plugins)->composing(),
      "load a plugin: a shared library whose code runs with your permissions")(
      "data-root", po::value(&data_root),
      "data root (default: data.root, else $METABENCH_DATA, else ./data)");
  po::positional_options_description positional;
  positional.add("config", 1);
  po::variables_map values;
  if (!parse_command_line("run", "CONFIG.yaml [--set KEY=VALUE]... [--data-root DIR] [--db PATH] [--resume]",
                          options, positional, args, values)) {
    return 0;
  }
  install_interrupt_handlers();
  // A sweep's child adopts its claim first, so that the claim stays live
  // (renewed by this process) even if the sweep dies now.
  std::unique_ptr<ResultsStore> claimed_store;
  std::unique_ptr<ClaimKeeper> keeper;
  if (!claim.empty()) {
    claimed_store = std::make_unique<ResultsStore>(db_path, ResultsStore::Access::kReadWrite);
    keeper = ClaimKeeper::adopt(*claimed_store, claim);
  }
  // Otherwise the config is fully validated before the database is opened.
  for (const auto& p : plugins) load_plugin(p);
  RawConfig raw = RawConfig::from_file(config_path);
  for (const auto& o : overrides) raw.apply_set(o);
  if (!data_root.empty()) {
    raw.apply_set(data_root_assignment(data_root));
  }
  load_plugins_from(raw);
  const ExperimentConfig cfg = resolve_experiment(raw);
  if (!claimed_store) {
    claimed_store = std::make_unique<ResultsStore>(db_path, ResultsStore::Access::kReadWrite);
  }
  RunOptions run_options;
  run_options.sweep = sweep;
  run_options.run_uuid = keeper ? keeper->run_uuid() : "";
  run_options.resume = resume;
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
