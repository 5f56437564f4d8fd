#include <algorithm>
#include <array>
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

// Left-aligned columns as wide as their widest cell (counted in UTF-8 code
// points, so "±" takes one), the last one unpadded.
template <size_t N>
void print_columns(const std::vector<std::array<std::string, N>>& rows) {
  auto width = [](const std::string& text) {
    size_t n = 0;
    for (unsigned char c : text) n += (c & 0xC0) != 0x80;
    return n;
  };
  std::array<size_t, N> widths{};
  for (const auto& row : rows) {
    for (size_t i = 0; i + 1 < N; ++i) widths[i] = std::max(widths[i], width(row[i]));
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < N; ++i) {
      line += row[i];
      if (i + 1 < N) line += std::string(widths[i] - width(row[i]) + 2, ' ');
    }
    std::printf("%s\n", line.c_str());
  }
}

}  // namespace

int command_list(const Args& args) {
  std::string what, algorithm, dataset, backbone;
  std::vector<std::string> plugins;
  po::options_description options("options");
  options.add_options()(
      "what", po::value(&what)->required(),
      "algorithms, datasets, backbones, formats (of reports), options or published (papers' "
      "numbers)")("algorithm", po::value(&algorithm)->default_value("protonet"),
                  "with `options`: include this algorithm's algo.* keys")(
      "dataset", po::value(&dataset)->default_value("synthetic-glyphs"),
      "with `options`: include this dataset's data.* keys")(
      "backbone", po::value(&backbone)->default_value("conv4"),
      "with `options`: include this backbone's model.* keys")(
      "plugin", po::value(&plugins)->composing(),
      "load a plugin: a shared library whose code runs with your permissions");
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
    // The embedded table (results/data/published.csv) with the settings a
    // run must share for a report to compare it with the paper.
    std::vector<std::array<std::string, 7>> rows = {
        {"algorithm", "dataset", "setting", "requires", "accuracy (%)", "test episodes", "source"}};
    for (const auto& r : published_results()) {
      rows.push_back({r.algorithm, r.dataset,
                      std::to_string(r.ways) + "-way " + std::to_string(r.shots) + "-shot",
                      r.required_text(), r.value_text(),
                      r.test_episodes > 0 ? std::to_string(r.test_episodes) : "n/a", r.source});
    }
    print_columns(rows);
  } else if (what == "options") {
    // The effective defaults for this algorithm, dataset and backbone (an
    // algorithm may change shared defaults such as optim.inner_steps).
    const Schema schema = experiment_schema(algorithm, dataset, backbone);
    std::vector<std::array<std::string, 4>> rows = {{"key", "type", "default", "meaning"}};
    for (const auto& f : schema.fields()) {
      rows.push_back({f.path, field_type_name(f.type), value_to_string(f.default_value), f.doc});
    }
    print_columns(rows);
  } else {
    const std::vector<std::string> kinds = {"algorithms", "datasets", "backbones",
                                            "formats",    "options",  "published"};
    throw ConfigError("metabench list: unknown list '" + what + "'" + did_you_mean(what, kinds) +
                      "; expected one of " + join(kinds, ", "));
  }
  return 0;
}

}  // namespace metabench
