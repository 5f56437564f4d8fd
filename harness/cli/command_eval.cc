// `metabench eval --checkpoint PATH --dataset NAME`: cross-dataset evaluation.
#include <cmath>
#include <cstdio>

#include "core/interrupt.h"
#include "core/strings.h"
#include "harness/cli/commands.h"
#include "harness/run/eval_runner.h"
#include "metabench/errors.h"
#include "results/store.h"

namespace po = boost::program_options;

namespace metabench {

int command_eval(const Args& args) {
  EvalRequest request;
  std::string db_path, data_root;
  int64_t run_id = 0;
  po::options_description options("options");
  options.add_options()("checkpoint", po::value(&request.checkpoint),
                        "a checkpoint written by `metabench run` (runs' checkpoint_path)")(
      "run", po::value(&run_id), "instead of --checkpoint: the checkpoint of this run of --db")(
      "dataset", po::value(&request.dataset)->required(), "dataset whose test episodes to use")(
      "set", po::value(&request.overrides)->composing(),
      "override a key of the training config: --set KEY=VALUE")(
      "data-root", po::value(&data_root), "data root (default: $METABENCH_DATA, else ./data)")(
      "db", po::value(&db_path)->default_value(kDefaultDatabase), "results database (SQLite)");
  po::positional_options_description positional;
  po::variables_map values;
  if (!parse_command_line("eval",
                          "--checkpoint PATH|--run ID --dataset NAME [--set KEY=VALUE]... [--db PATH]",
                          options, positional, args, values)) {
    return 0;
  }
  if (!data_root.empty()) {
    request.overrides.insert(request.overrides.begin(), data_root_assignment(data_root));
  }
  if (request.checkpoint.empty() == (run_id == 0)) {
    throw ConfigError("give either --checkpoint PATH or --run ID (a run of --db with a checkpoint)");
  }
  ResultsStore store(db_path, ResultsStore::Access::kReadWrite);
  if (run_id != 0) {
    Statement s = store.database().prepare(
        "SELECT coalesce(checkpoint_path, '') FROM runs WHERE run_id = ? AND kind = 'train'");
    s.bind(1, run_id);
    if (!s.step() || s.column_text(0).empty()) {
      throw ConfigError("--run " + std::to_string(run_id) + ": '" + db_path +
                        "' has no training run with that id and a checkpoint");
    }
    request.checkpoint = s.column_text(0);
  }
  install_interrupt_handlers();
  const RunOutcome outcome = run_evaluation(request, store);
  const RunSummary& s = outcome.summary;
  const std::string score =
      std::isnan(s.test_accuracy)
          ? format("test MSE %.3f ± %.3f", s.test_loss, s.test_loss_ci95)
          : format("%.2f%% ± %.2f", 100 * s.test_accuracy, 100 * s.test_accuracy_ci95);
  std::printf("run %lld completed: evaluation of '%s' on %s: %s (%lld test episodes)\n",
              static_cast<long long>(outcome.run_id), request.checkpoint.c_str(),
              request.dataset.c_str(), score.c_str(), static_cast<long long>(s.test_episodes));
  return 0;
}

}  // namespace metabench
