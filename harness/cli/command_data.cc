// `metabench data list` and `metabench data download NAME`.
#include <cstdio>
#include <cstdlib>

#include "core/interrupt.h"
#include "core/strings.h"
#include "datasets/download/download.h"
#include "harness/cli/commands.h"
#include "harness/config/experiment_config.h"
#include "metabench/dataset.h"
#include "metabench/errors.h"

namespace po = boost::program_options;

namespace metabench {
namespace {

int data_list() {
  std::printf("downloadable (metabench data download NAME):\n");
  for (const auto& spec : download_catalog()) {
    std::printf("  %-16s %s\n", spec.name.c_str(), spec.description.c_str());
  }
  std::printf(
      "not downloadable here:\n"
      "  %-16s place images/ and train.csv, val.csv, test.csv under <data root>/mini-imagenet\n"
      "  %-16s apt-get install dataset-fashion-mnist\n",
      "mini-imagenet", "fashion-mnist");
  return 0;
}

int data_download(const Args& args) {
  std::string name, root = default_data_root(), mirror;
  if (const char* env = std::getenv("METABENCH_MIRROR"); env && *env) mirror = env;
  po::options_description options("options");
  options.add_options()("name", po::value(&name)->required(), "dataset to download")(
      "data-root", po::value(&root), "data root (default: $METABENCH_DATA, else ./data)")(
      "mirror", po::value(&mirror),
      "fetch each file from MIRROR/<file name> instead of its official URL "
      "(default: $METABENCH_MIRROR); checksums are checked all the same");
  po::positional_options_description positional;
  positional.add("name", 1);
  po::variables_map values;
  if (!parse_command_line("data download", "NAME [--data-root DIR] [--mirror URL]", options,
                          positional, args, values)) {
    return 0;
  }
  const DownloadSpec& spec = find_download(name);
  install_interrupt_handlers();
  DownloadOptions download;
  download.data_root = root;
  download.mirror = mirror;
  download.log = [](const std::string& line) {
    std::fprintf(stderr, "metabench: %s\n", line.c_str());
  };
  const int installed = download_dataset(spec, download);
  std::printf("%s: %d file(s) installed, %zu already present, under %s\n", spec.name.c_str(),
              installed, spec.files.size() - static_cast<size_t>(installed), root.c_str());
  return 0;
}

}  // namespace

int data_episode(const Args& args);  // command_data_episode.cc

int command_data(const Args& args) {
  const std::vector<std::string> actions = {"list", "download", "episode"};
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::printf(
        "usage: metabench data list\n"
        "       metabench data download NAME [--data-root DIR] [--mirror URL]\n"
        "       metabench data episode CONFIG.yaml --index I [--split test|val] --out FILE\n");
    return args.empty() ? 2 : 0;
  }
  const Args rest(args.begin() + 1, args.end());
  if (args[0] == "list") return data_list();
  if (args[0] == "download") return data_download(rest);
  if (args[0] == "episode") return data_episode(rest);
  throw ConfigError("unknown action 'data " + args[0] + "'" + did_you_mean(args[0], actions) +
                    "; expected one of " + join(actions, ", "));
}

}  // namespace metabench
