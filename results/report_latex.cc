// The LaTeX report: one booktabs table per dataset and setting, ready to
// paste into a paper (\usepackage{booktabs}); the best value of each column
// is in bold: the highest accuracy (or lowest MSE), the lowest costs.
#include <cmath>
#include <functional>

#include "core/strings.h"
#include "results/report.h"
#include "results/report_data.h"

namespace metabench {
namespace {

std::string latex_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '_':
      case '&':
      case '%':
      case '#':
      case '$':
      case '{':
      case '}':
        out += '\\';
        out += c;
        break;
      case '~':
        out += "\\textasciitilde{}";
        break;
      case '^':
        out += "\\textasciicircum{}";
        break;
      case '\\':
        out += "\\textbackslash{}";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Index of the best cell by `value` (lowest unless `highest`); -1 if none.
int best(const std::vector<ReportCell>& cells,
         const std::function<double(const ReportCell&)>& value, bool highest) {
  int index = -1;
  for (size_t i = 0; i < cells.size(); ++i) {
    const double v = value(cells[i]);
    if (std::isnan(v)) continue;
    if (index < 0 || (highest ? v > value(cells[index]) : v < value(cells[index]))) {
      index = static_cast<int>(i);
    }
  }
  return index;
}

std::string bold_if(bool bold, const std::string& text) {
  return bold ? "\\textbf{" + text + "}" : text;
}

std::string render_latex(const ReportData& data) {
  std::string out = "% metabench report: " + data.database +
                    (data.scope.empty() ? "" : " (" + data.scope + ")") +
                    "\n% Needs \\usepackage{booktabs}.  Means over seeds with 95% CIs over seeds "
                    "(Student's t, seeds - 1 degrees of freedom).\n";
  for (const ReportTable& t : data.tables) {
    const int digits = t.regression ? 3 : 2;
    using Getter = std::function<double(const ReportCell&)>;
    const std::vector<std::pair<Getter, bool>> columns = {
        {[](const ReportCell& c) { return c.score.mean; }, !t.regression},
        {[](const ReportCell& c) { return c.train_seconds; }, false},
        {[](const ReportCell& c) { return c.seconds_per_iteration; }, false},
        {[](const ReportCell& c) { return c.adapt_ms; }, false},
        {[](const ReportCell& c) { return c.rss; }, false}};
    std::vector<int> winners;
    for (const auto& [getter, highest] : columns) winners.push_back(best(t.cells, getter, highest));
    out += "\n\\begin{table}[t]\n\\centering\n\\caption{" + latex_escape(t.title()) + ": " +
           latex_escape(t.metric()) + ", " + std::to_string(t.cells.front().runs.front().episodes) +
           " test episodes per run; mean over seeds $\\pm$ 95\\% CI over seeds (Student's "
           "$t$, $n-1$ degrees of freedom for $n$ seeds).}\n";
    out += "\\begin{tabular}{lrrrrrr}\n\\toprule\n";
    out += "Algorithm & " + latex_escape(t.metric()) +
           " & Seeds & Train (s) & s/iteration & Adapt (ms) & Peak RSS (MB) \\\\\n\\midrule\n";
    for (size_t i = 0; i < t.cells.size(); ++i) {
      const ReportCell& c = t.cells[i];
      const bool w0 = winners[0] == static_cast<int>(i);
      std::string score = fixed(c.score.mean, digits);
      if (c.runs.size() > 1) score += " $\\pm$ " + fixed(c.score.ci95, digits);
      out += latex_escape(c.label) + " & " + bold_if(w0, score) + " & " +
             std::to_string(c.runs.size()) + " & " +
             bold_if(winners[1] == static_cast<int>(i), fixed(c.train_seconds, 1)) + " & " +
             bold_if(winners[2] == static_cast<int>(i), fixed(c.seconds_per_iteration, 4)) + " & " +
             bold_if(winners[3] == static_cast<int>(i), fixed(c.adapt_ms, 2)) + " & " +
             bold_if(winners[4] == static_cast<int>(i), fixed(c.rss, 0)) + " \\\\\n";
    }
    out += "\\bottomrule\n\\end{tabular}\n\\end{table}\n";
  }
  return out;
}

METABENCH_REGISTER_REPORT_FORMAT(ReportFormatInfo{
    "latex",
    {"tex"},
    "LaTeX tables (booktabs), the best of each column in bold",
    [](const ReportInput& in) { return render_latex(in.data); }});

}  // namespace
}  // namespace metabench
