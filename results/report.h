// Comparison reports from a results database: `metabench report`.
//
// Reads only the documented views (run_summary, test_episode_scores) and
// learning_curve, so anything a report shows can be queried with sqlite3.
// Per dataset and episode setting, one row per algorithm configuration: the
// mean test accuracy over seeds, its 95% CI over seeds, the mean per-run CI
// over test episodes, the numbers of seeds and episodes, cost figures, the
// published number and the delta to it where the paper reports the setting,
// and paired significance tests between the rows (see report_data.h).  When
// a config was run more than once, its latest completed run counts.
//
// Formats are registered like algorithms, one file each (report_csv.cc,
// ...): METABENCH_REGISTER_REPORT_FORMAT(ReportFormatInfo{name, aliases,
// description, render}).  Adding a format touches only its own file.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "metabench/registry.h"
#include "results/report_data.h"

namespace metabench {

// What a format renders from.
struct ReportInput {
  ResultsStore& store;  // for the plots' curves
  const ReportData& data;
  const ReportOptions& options;
  std::string document_dir;  // where the document will be saved (relative links)
};

struct ReportFormatInfo {
  static constexpr const char* kKind = "report format";
  std::string name;  // the --format value
  std::vector<std::string> aliases;
  std::string description;  // one line
  // The whole document.  Throws UserError when plots cannot be drawn.
  std::function<std::string(const ReportInput&)> render;
};

using ReportFormatRegistry = Registry<ReportFormatInfo>;

// The format registered as `name` or an alias; ConfigError naming the value,
// the nearest name and all of them otherwise.
const ReportFormatInfo& find_report_format(const std::string& name);

// Renders the report in `format`.  Markdown links the plots written to
// options.plots_dir (relative to `document_dir`, where the report will be
// saved) when it is set; HTML always has its plots, inlined, drawn into
// options.plots_dir or a temporary folder.  Throws NoResults when there is
// nothing completed to report, ConfigError for an unknown format.
std::string make_report(ResultsStore& store, const ReportOptions& options,
                        const std::string& format, const std::string& document_dir = ".");

inline std::string markdown_report(ResultsStore& store, const ReportOptions& options) {
  return make_report(store, options, "md");
}

}  // namespace metabench

#define METABENCH_REGISTER_REPORT_FORMAT(...) \
  METABENCH_REGISTER_ENTRY(::metabench::ReportFormatInfo, __VA_ARGS__)
