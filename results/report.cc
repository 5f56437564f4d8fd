#include "results/report.h"

#include "core/strings.h"
#include "metabench/errors.h"

namespace metabench {

const ReportFormatInfo& find_report_format(const std::string& name) {
  const ReportFormatRegistry& formats = ReportFormatRegistry::instance();
  if (const ReportFormatInfo* info = formats.find(name)) return *info;
  const std::vector<std::string> names = formats.names();
  throw ConfigError("--format '" + name + "' is not supported" + did_you_mean(name, names) +
                    "; expected one of " + join(names, ", "));
}

std::string make_report(ResultsStore& store, const ReportOptions& options,
                        const std::string& format, const std::string& document_dir) {
  const ReportFormatInfo& info = find_report_format(format);
  const ReportData data = collect_report(store, options);
  return info.render(ReportInput{store, data, options, document_dir});
}

}  // namespace metabench
