#include "harness/run/eval_runner.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <map>

#include "core/blas_core.h"
#include "core/process.h"
#include "core/strings.h"
#include "core/system_info.h"
#include "harness/run/claim_keeper.h"
#include "harness/run/run_steps.h"
#include "metabench/errors.h"
#include "metabench/sha256.h"
#include "nn/checkpoint.h"

namespace metabench {
namespace {

std::string shape_text(const at::Tensor& t) {
  std::vector<std::string> dims;
  for (int64_t d : t.sizes()) dims.push_back(std::to_string(d));
  return "[" + join(dims, ", ") + "]";
}

// Throws ConfigError unless `saved` has exactly the names and shapes the
// freshly built model expects.
void check_compatible(const NamedTensors& expected, const NamedTensors& saved,
                      const std::string& checkpoint, const ExperimentConfig& cfg) {
  std::map<std::string, at::Tensor> by_name(saved.begin(), saved.end());
  for (const auto& [name, tensor] : expected) {
    auto it = by_name.find(name);
    if (it == by_name.end()) {
      throw ConfigError("checkpoint '" + checkpoint + "' has no tensor '" + name + "' that " +
                        cfg.algorithm + " needs; it was written by another algorithm or version");
    }
    if (!it->second.sizes().equals(tensor.sizes())) {
      throw ConfigError("checkpoint '" + checkpoint + "' does not fit dataset '" + cfg.dataset +
                        "' (" + cfg.test_shape.label() + "): parameter '" + name + "' is " +
                        shape_text(it->second) + " in the checkpoint but " + shape_text(tensor) +
                        " for this dataset's inputs and ways; evaluate on a dataset with the "
                        "training input shape, and for a classifier head the same ways");
    }
  }
}

}  // namespace

ExperimentConfig resolve_eval_config(const EvalRequest& request, const Checkpoint& checkpoint,
                                     ResultsStore& store) {
  std::string yaml = checkpoint.config_yaml;
  if (yaml.empty()) {
    // Checkpoints from before configs were embedded: find their run.
    const std::optional<std::string> recorded = store.config_yaml(checkpoint.config_hash);
    if (!recorded) {
      throw UserError("checkpoint '" + request.checkpoint +
                      "' does not carry its config and no run with its config hash " +
                      checkpoint.config_hash.substr(0, 12) + " is in '" + store.path() +
                      "'; pass the database it was trained with (--db)");
    }
    yaml = *recorded;
  }
  YAML::Node node;
  try {
    node = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    throw UserError("the config stored in checkpoint '" + request.checkpoint +
                    "' is not valid YAML (" + e.what() + "); the file is damaged");
  }
  RawConfig raw = RawConfig::from_node(node, "config of checkpoint '" + request.checkpoint + "'");
  std::vector<std::string> stale;
  for (const auto& [path, entry] : raw.entries()) {
    if (starts_with(path, "data.") && path != "data.root") stale.push_back(path);
  }
  for (const auto& path : stale) raw.erase(path);
  raw.set("dataset", YAML::Node(request.dataset), "--dataset");
  raw.set("name", YAML::Node(""), "metabench eval");
  for (const auto& o : request.overrides) raw.apply_set(o);
  return resolve_experiment(raw);
}

RunOutcome run_evaluation(const EvalRequest& request, ResultsStore& store) {
  const Checkpoint checkpoint = load_checkpoint(request.checkpoint);
  const ExperimentConfig cfg = resolve_eval_config(request, checkpoint, store);
  apply_blas_coretype(cfg.blas_coretype);  // may restart: nothing is recorded yet
  set_compute_threads(cfg.threads);
  const at::Device device = resolve_device(cfg.device);
  RunSummary summary;

  const double t0 = now_seconds();
  const std::unique_ptr<Dataset> dataset = create_dataset(cfg);
  const FixedEpisodes test(*dataset, Split::kTest, cfg.test_shape, cfg.eval_seed,
                           cfg.test_episodes);
  const Model model = build_model(cfg, *dataset, device);
  check_compatible(model.algorithm->state(), checkpoint.tensors, request.checkpoint, cfg);
  model.algorithm->load_state(checkpoint.tensors);
  summary.data_seconds = now_seconds() - t0;

  RunRecord record = make_run_record(cfg, *dataset, test, device, "");
  record.kind = "eval";
  record.config_hash = sha256_hex("eval\n" + checkpoint.config_hash + "\n" + cfg.hash);
  record.source_checkpoint = request.checkpoint;
  record.source_run_id = store.training_run(checkpoint.config_hash, request.checkpoint).value_or(0);
  // An evaluation's cell is its own: nothing else runs it, but its claim
  // keeps it alive for sweeps that look for orphaned runs.
  const std::unique_ptr<ClaimKeeper> keeper =
      ClaimKeeper::take(store, "eval:" + random_uuid(), record.code_id);
  record.run_uuid = keeper->run_uuid();
  const int64_t run_id = store.begin_run(record, utc_timestamp());
  record_outcome(store, run_id, [&] {
    const std::vector<EpisodeResult> episodes =
        run_test_episodes(*model.algorithm, test, device, cfg.eval_batch, summary);
    store.complete_run(run_id, episodes, summary, utc_timestamp());
  });
  return RunOutcome{run_id, summary};
}

}  // namespace metabench
