// Comparison reports from a results database: `metabench report`.
//
// Reads only the documented run_summary view, test_episodes and
// learning_curve, so anything a report shows can be queried with sqlite3.
// Per dataset and episode setting, one row per algorithm configuration: the
// mean test accuracy over seeds, its 95% CI over seeds, the mean per-run CI
// over test episodes, the numbers of seeds and episodes, cost figures, the
// published number and the delta to it where the paper reports the setting,
// and paired significance tests between the rows (see report_data.h).  When
// a config was run more than once, its latest completed run counts.
#pragma once

#include <string>

#include "results/report_data.h"

namespace metabench {

enum class ReportFormat { kMarkdown, kCsv, kLatex, kHtml };

// "md", "csv", "latex" or "html"; ConfigError naming the value otherwise.
ReportFormat parse_report_format(const std::string& name);

// Renders the report.  Markdown links the plots written to
// options.plots_dir (relative to `document_dir`, where the report will be
// saved) when it is set; HTML always has its plots, inlined, drawn into
// options.plots_dir or a temporary folder.  Throws NoResults when there is
// nothing completed to report.
std::string make_report(ResultsStore& store, const ReportOptions& options, ReportFormat format,
                        const std::string& document_dir = ".");

inline std::string markdown_report(ResultsStore& store, const ReportOptions& options) {
  return make_report(store, options, ReportFormat::kMarkdown);
}

}  // namespace metabench
