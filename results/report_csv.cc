// The tidy CSV report: one row per run and one per aggregated cell, with the
// same columns, for pandas or R (`row_type` tells them apart).
#include <cmath>

#include "core/strings.h"
#include "results/report.h"
#include "results/report_data.h"

namespace metabench {
namespace {

std::string number(double v) { return std::isnan(v) ? "" : format("%.6g", v); }

std::string quoted(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string render_csv(const ReportData& data) {
  std::string out =
      "row_type,dataset,ways,shots,algorithm,config_family,run_id,seed,seeds,episodes,metric,"
      "value,ci95_seeds,ci95_episodes,train_seconds,seconds_per_iteration,adapt_ms,peak_rss_mb,"
      "published,delta_published,test_episodes_checksum,code_id\n";
  for (const ReportTable& t : data.tables) {
    const std::string metric = t.regression ? "mse" : "accuracy_percent";
    const std::string prefix =
        quoted(t.dataset) + "," + std::to_string(t.ways) + "," + std::to_string(t.shots) + ",";
    for (const ReportCell& c : t.cells) {
      for (const ReportRun& r : c.runs) {
        out += "run," + prefix + quoted(c.label) + "," + c.family + "," + std::to_string(r.run_id) +
               "," + std::to_string(r.seed) + ",1," + std::to_string(r.episodes) + "," + metric +
               "," + number(t.regression ? r.loss : r.accuracy) + ",," +
               number(t.regression ? r.loss_ci95 : r.ci95) + "," + number(r.train_seconds) + "," +
               number(r.seconds_per_iteration) + "," + number(r.adapt_ms) + "," + number(r.rss) +
               ",,," + r.checksum + "," + quoted(r.code_id) + "\n";
      }
      const std::string checksum = t.checksums.size() == 1 ? *t.checksums.begin() : "";
      out += "cell," + prefix + quoted(c.label) + "," + c.family + ",,," +
             std::to_string(c.runs.size()) + "," + std::to_string(c.runs.front().episodes) + "," +
             metric + "," + number(c.score.mean) + "," +
             (c.runs.size() > 1 ? number(c.score.ci95) : "") + "," + number(c.episode_ci) + "," +
             number(c.train_seconds) + "," + number(c.seconds_per_iteration) + "," +
             number(c.adapt_ms) + "," + number(c.rss) + "," +
             (c.published ? number(c.published->accuracy) + "," +
                                number(c.score.mean - c.published->accuracy)
                          : ",") +
             "," + checksum + "," + quoted(c.code_id) + "\n";
    }
  }
  return out;
}

METABENCH_REGISTER_REPORT_FORMAT(ReportFormatInfo{
    "csv", {}, "tidy CSV: one row per run and one per configuration", [](const ReportInput& in) {
      return render_csv(in.data);
    }});

}  // namespace
}  // namespace metabench
