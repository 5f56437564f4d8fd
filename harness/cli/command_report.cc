#include <cstdio>

#include "harness/cli/commands.h"
#include "harness/core/errors.h"
#include "harness/core/files.h"
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
      "format", po::value(&format)->default_value("md"), "output format: md (Markdown)")(
      "out", po::value(&out), "write the report to this file instead of stdout")(
      "sweep", po::value(&report.sweep), "only runs recorded by this sweep");
  po::variables_map values;
  if (!parse_command_line("report", "[--db PATH] [--format md] [--out PATH] [--sweep NAME]",
                          options, po::positional_options_description(), args, values)) {
    return 0;
  }
  if (format != "md") {
    throw ConfigError("--format '" + format + "' is not supported; expected md");
  }
  ResultsStore store(db_path, ResultsStore::Access::kReadOnly);
  const std::string text = markdown_report(store, report);
  if (out.empty()) {
    std::fputs(text.c_str(), stdout);
  } else {
    write_file_atomically(out, text);
  }
  return 0;
}

}  // namespace metabench
