// `metabench data episode CONFIG --index I [--split test|val] --out FILE`:
// one fixed evaluation episode, as every run of that setting sees it, in a
// file torch.load() opens, so a model can be checked outside metabench
// (docs/checkpoints.md).
#include <cstdio>

#include "datasets/episode_sampler.h"
#include "harness/cli/commands.h"
#include "harness/config/experiment_config.h"
#include "harness/config/plugins.h"
#include "metabench/errors.h"
#include "nn/torch_file.h"
#include "core/files.h"

namespace po = boost::program_options;

namespace metabench {

int data_episode(const Args& args) {
  std::string config_path, split_name = "test", out, data_root;
  std::vector<std::string> overrides;
  int64_t index = 0;
  po::options_description options("options");
  options.add_options()("config", po::value(&config_path)->required(), "experiment config (YAML)")(
      "set", po::value(&overrides)->composing(), "override a config key: --set KEY=VALUE")(
      "split", po::value(&split_name), "test (default) or val")(
      "index", po::value(&index)->required(), "the episode's index in the fixed set")(
      "out", po::value(&out)->required(), "file to write (torch.save format)")(
      "data-root", po::value(&data_root), "data root (default: data.root, else $METABENCH_DATA)");
  po::positional_options_description positional;
  positional.add("config", 1);
  po::variables_map values;
  if (!parse_command_line("data episode",
                          "CONFIG.yaml --index I [--split test|val] --out FILE [--set KEY=VALUE]...",
                          options, positional, args, values)) {
    return 0;
  }
  if (split_name != "test" && split_name != "val") {
    throw ConfigError("--split '" + split_name + "': expected test or val");
  }
  RawConfig raw = RawConfig::from_file(config_path);
  for (const auto& o : overrides) raw.apply_set(o);
  if (!data_root.empty()) raw.apply_set(data_root_assignment(data_root));
  load_plugins_from(raw);
  const ExperimentConfig cfg = resolve_experiment(raw);
  const std::unique_ptr<Dataset> dataset = create_dataset(cfg);
  const bool test = split_name == "test";
  const FixedEpisodes set(*dataset, test ? Split::kTest : Split::kValidation, cfg.test_shape,
                          cfg.eval_seed, test ? cfg.test_episodes : cfg.val_episodes);
  if (index < 0 || index >= set.size()) {
    throw ConfigError("--index " + std::to_string(index) + ": expected 0 to " +
                      std::to_string(set.size() - 1) + " (the " + split_name + " set has " +
                      std::to_string(set.size()) + " episodes)");
  }
  const Episode e = set.get(index);
  TorchRecord record;
  record.strings["format"] = "metabench-episode";
  record.strings["split"] = split_name;
  record.strings["episodes_checksum"] = set.checksum();
  record.integers["index"] = index;
  record.integers["ways"] = e.ways;
  record.tensors["episode"] = {{"support_x", e.support_x},
                               {"support_y", e.support_y},
                               {"query_x", e.query_x},
                               {"query_y", e.query_y}};
  write_file_atomically(out, encode_torch_record(record));
  std::printf("wrote %s episode %lld of %s (%lld support, %lld query examples) to %s\n",
              split_name.c_str(), static_cast<long long>(index), cfg.dataset.c_str(),
              static_cast<long long>(e.support_x.size(0)),
              static_cast<long long>(e.query_x.size(0)), out.c_str());
  return 0;
}

}  // namespace metabench
