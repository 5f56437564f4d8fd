#include <cstdio>

#include "core/strings.h"
#include "harness/cli/commands.h"
#include "harness/config/experiment_config.h"
#include "harness/config/plugins.h"
#include "metabench/algorithm.h"
#include "metabench/backbone.h"
#include "metabench/dataset.h"
#include "metabench/errors.h"
#include "results/published_results.h"
#include "results/report.h"

namespace po = boost::program_options;

namespace metabench {
namespace {

template <typename Entry>
void print_entries(const Registry<Entry>& registry) {
  for (const Entry* e : registry.entries()) {
    std::printf("%-20s %s\n", e->name.c_str(), e->description.c_str());
  }
}

}  // namespace

int command_list(const Args& args) {
  std::string what, algorithm, dataset;
  std::vector<std::string> plugins;
  po::options_description options("options");
  options.add_options()(
      "what", po::value(&what)->required(),
      "algorithms, datasets, backbones, formats (of reports), options or published (papers' "
      "numbers)")("algorithm", po::value(&algorithm)->default_value("protonet"),
                  "with `options`: include this algorithm's algo.* keys")(
      "dataset", po::value(&dataset)->default_value("synthetic-glyphs"),
      "with `options`: include this dataset's data.* keys")(
      "plugin", po::value(&plugins)->composing(), "load an algorithm plugin (shared library)");
  po::positional_options_description positional;
  positional.add("what", 1);
  po::variables_map values;
  if (!parse_command_line("list", "algorithms|datasets|backbones|formats|options|published",
                          options, positional, args, values)) {
    return 0;
  }
  for (const auto& p : plugins) load_plugin(p);
  if (what == "algorithms") {
    print_entries(AlgorithmRegistry::instance());
  } else if (what == "datasets") {
    print_entries(DatasetRegistry::instance());
  } else if (what == "backbones") {
    print_entries(BackboneRegistry::instance());
  } else if (what == "formats") {
    print_entries(ReportFormatRegistry::instance());
  } else if (what == "published") {
    std::printf("%-12s %-14s %-14s %-16s %s\n", "algorithm", "dataset", "setting", "accuracy (%)",
                "source");
    for (const auto& r : published_results()) {
      const std::string setting =
          std::to_string(r.ways) + "-way " + std::to_string(r.shots) + "-shot";
      const std::string accuracy =
          r.ci95 > 0 ? format("%.2f ± %.2f", r.accuracy, r.ci95) : format("%.2f", r.accuracy);
      std::printf("%-12s %-14s %-14s %-16s %s\n", r.algorithm.c_str(), r.dataset.c_str(),
                  setting.c_str(), accuracy.c_str(), r.source.c_str());
    }
  } else if (what == "options") {
    const Schema schema = experiment_schema(algorithm, dataset);
    for (const auto& f : schema.fields()) {
      std::printf("%-26s %-8s %-14s %s\n", f.path.c_str(), field_type_name(f.type),
                  value_to_string(f.default_value).c_str(), f.doc.c_str());
    }
  } else {
    const std::vector<std::string> kinds = {"algorithms", "datasets", "backbones",
                                            "formats",    "options",  "published"};
    throw ConfigError("metabench list: unknown list '" + what + "'" + did_you_mean(what, kinds) +
                      "; expected one of " + join(kinds, ", "));
  }
  return 0;
}

}  // namespace metabench
