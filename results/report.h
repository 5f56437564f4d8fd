// Comparison reports from a results database.  Reads only the documented
// run_summary view, so anything a user can query with sqlite3 is what the
// report shows.  Per dataset and episode setting, one row per algorithm:
// the mean test accuracy over seeds, its 95% CI over seeds, the mean
// per-run CI over test episodes, the numbers of seeds and episodes, and the
// cost figures.  When a config was run more than once, its latest completed
// run counts.
#pragma once

#include <string>

namespace metabench {

class ResultsStore;

struct ReportOptions {
  std::string sweep;  // only runs of this sweep; empty = all runs
};

// Throws NoResults when there is nothing completed to report.
std::string markdown_report(ResultsStore& store, const ReportOptions& options);

}  // namespace metabench
