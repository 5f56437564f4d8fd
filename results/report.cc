#include "results/report.h"

#include <unistd.h>

#include <filesystem>

#include "harness/core/errors.h"
#include "harness/core/files.h"
#include "harness/core/strings.h"
#include "results/report_plots.h"
#include "results/store.h"

namespace fs = std::filesystem;

namespace metabench {

ReportFormat parse_report_format(const std::string& name) {
  if (name == "md" || name == "markdown") return ReportFormat::kMarkdown;
  if (name == "csv") return ReportFormat::kCsv;
  if (name == "latex" || name == "tex") return ReportFormat::kLatex;
  if (name == "html") return ReportFormat::kHtml;
  const std::vector<std::string> names = {"md", "csv", "latex", "html"};
  throw ConfigError("--format '" + name + "' is not supported" + did_you_mean(name, names) +
                    "; expected one of " + join(names, ", "));
}

std::string make_report(ResultsStore& store, const ReportOptions& options, ReportFormat format,
                        const std::string& document_dir) {
  const ReportData data = collect_report(store, options);
  switch (format) {
    case ReportFormat::kCsv:
      return render_csv(data);
    case ReportFormat::kLatex:
      return render_latex(data);
    case ReportFormat::kMarkdown: {
      std::vector<std::string> links;
      if (!options.plots_dir.empty()) {
        for (const auto& png : write_plots(store, data, options.plots_dir).png) {
          links.push_back(fs::relative(fs::absolute(png), fs::absolute(document_dir)).string());
        }
      }
      return render_markdown(data, links);
    }
    case ReportFormat::kHtml: {
      std::string dir = options.plots_dir;
      const bool temporary = dir.empty();
      if (temporary) {
        dir =
            (fs::temp_directory_path() / ("metabench-plots-" + std::to_string(getpid()))).string();
      }
      std::vector<std::string> svgs;
      try {
        for (const auto& svg : write_plots(store, data, dir).svg) svgs.push_back(read_file(svg));
      } catch (...) {
        if (temporary) fs::remove_all(dir);
        throw;
      }
      if (temporary) fs::remove_all(dir);
      return render_html(data, svgs);
    }
  }
  throw InternalError("unhandled report format");
}

}  // namespace metabench
