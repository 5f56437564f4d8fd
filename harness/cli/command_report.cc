#include <cstdio>
#include <filesystem>

#include "core/files.h"
#include "harness/cli/commands.h"
#include "metabench/errors.h"
#include "results/report.h"
#include "results/store.h"

namespace po = boost::program_options;

namespace metabench {

int command_report(const Args& args) {
  std::string db_path, format, out;
  ReportOptions report;
  po::options_description options("options");
  options.add_options()("db", po::value(&db_path)->default_value(kDefaultDatabase),
                        "results database (SQLite)")(
      "format", po::value(&format)->default_value("md"),
      "md (Markdown), csv (tidy, one row per run and per cell), latex (booktabs) or html "
      "(self-contained page with plots)")("out", po::value(&out),
                                          "write the report to this file instead of stdout")(
      "sweep", po::value(&report.sweep), "only runs recorded by this sweep")(
      "where", po::value(&report.where),
      "only runs matching this condition on run_summary columns, e.g. \"dataset = 'omniglot' AND shots = 1\" (comparisons, IN, IS NULL, AND, OR, NOT; docs/reports.md)")(
      "plots", po::value(&report.plots_dir),
      "write PNG and SVG plots (gnuplot) into this folder; Markdown links them")(
      "alpha", po::value(&report.alpha)->default_value(0.05),
      "significance level of the Holm-adjusted pairwise tests");
  po::variables_map values;
  if (!parse_command_line("report",
                          "[--db PATH] [--sweep NAME | --where CONDITION] [--format md|csv|latex|html] "
                          "[--out PATH] [--plots DIR]",
                          options, po::positional_options_description(), args, values)) {
    return 0;
  }
  find_report_format(format);  // an unknown format is refused before the database is opened
  if (!(report.alpha > 0 && report.alpha < 1)) {
    throw ConfigError("--alpha must be in (0, 1), got " + std::to_string(report.alpha));
  }
  ResultsStore store(db_path, ResultsStore::Access::kReadOnly);
  const std::string document_dir =
      out.empty() ? "." : std::filesystem::absolute(out).parent_path().string();
  const std::string text = make_report(store, report, format, document_dir);
  if (out.empty()) {
    std::fputs(text.c_str(), stdout);
  } else {
    make_directories(document_dir);
    write_file_atomically(out, text);
  }
  return 0;
}

}  // namespace metabench
