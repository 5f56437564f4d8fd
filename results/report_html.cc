// The HTML report: one self-contained page (inline CSS, inline SVG plots, no
// external resources, so it opens offline and makes no network requests)
// with the tables, the significance tests and the plots.  A short inline
// script records how many plots were laid out with a visible size in the
// body's data-plots-visible attribute, which the browser test reads.
#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "core/files.h"
#include "core/strings.h"
#include "results/report.h"
#include "results/report_data.h"
#include "results/report_plots.h"

namespace metabench {
namespace {

std::string html_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Strips the XML prolog and DOCTYPE so the SVG can be inlined in HTML.
std::string inline_svg(const std::string& svg) {
  const auto start = svg.find("<svg");
  return start == std::string::npos ? "" : svg.substr(start);
}

constexpr const char* kStyle = R"css(
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { padding: 0.3em 0.7em; border-bottom: 1px solid #ddd; text-align: right; }
th:first-child, td:first-child { text-align: left; }
thead th { border-bottom: 2px solid #444; }
.best { font-weight: bold; }
.note { color: #555; font-size: 0.9em; }
figure.plot { margin: 1em 0; }
figure.plot svg { width: 100%; height: auto; border: 1px solid #eee; }
)css";

constexpr const char* kScript = R"js(
document.addEventListener('DOMContentLoaded', function () {
  var plots = document.querySelectorAll('figure.plot svg');
  var visible = 0;
  plots.forEach(function (svg) {
    var box = svg.getBoundingClientRect();
    if (box.width > 50 && box.height > 50) visible += 1;
  });
  document.body.setAttribute('data-plots', String(plots.length));
  document.body.setAttribute('data-plots-visible', String(visible));
});
)js";

std::string render_html(const ReportData& data, const std::vector<std::string>& svg_plots) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<title>metabench report</title>\n<style>" +
      std::string(kStyle) + "</style>\n<script>" + kScript +
      "</script>\n</head>\n<body>\n<h1>metabench report</h1>\n<p class=\"note\">"
      "Database <code>" +
      html_escape(data.database) + "</code>" +
      (data.scope.empty() ? "" : ", " + html_escape(data.scope)) + "</p>\n";
  for (const ReportTable& t : data.tables) {
    const int digits = t.regression ? 3 : 2;
    size_t best = 0;
    for (size_t i = 1; i < t.cells.size(); ++i) {
      const bool better = t.regression ? t.cells[i].score.mean < t.cells[best].score.mean
                                       : t.cells[i].score.mean > t.cells[best].score.mean;
      if (better) best = i;
    }
    out += "<h2>" + html_escape(t.title()) + "</h2>\n<table>\n<thead><tr><th>Algorithm</th><th>" +
           html_escape(t.metric()) +
           "</th><th>95% CI (seeds, t)</th><th>95% CI (episodes)</th>"
           "<th>Seeds</th><th>Episodes</th><th>Train (s)</th><th>s/iteration</th>"
           "<th>Adapt (ms)</th><th>Peak RSS (MB)</th><th>Paper</th><th>&Delta; paper</th>"
           "</tr></thead>\n<tbody>\n";
    for (size_t i = 0; i < t.cells.size(); ++i) {
      const ReportCell& c = t.cells[i];
      out += "<tr><td>" + html_escape(c.label) + "</td><td" + (i == best ? " class=\"best\"" : "") +
             ">" + fixed(c.score.mean, digits) + "</td><td>" +
             (c.runs.size() > 1 ? "&plusmn; " + fixed(c.score.ci95, digits) : "n/a") +
             "</td><td>&plusmn; " + fixed(c.episode_ci, digits) + "</td><td>" +
             std::to_string(c.runs.size()) + "</td><td>" + std::to_string(c.runs.front().episodes) +
             "</td><td>" + fixed(c.train_seconds, 1) + "</td><td>" +
             fixed(c.seconds_per_iteration, 4) + "</td><td>" + fixed(c.adapt_ms, 2) + "</td><td>" +
             fixed(c.rss, 0) + "</td><td>" +
             (c.published ? html_escape(c.published->value_text()) : "") + "</td><td>" +
             (c.published ? format("%+.2f", c.score.mean - c.published->accuracy) : "") +
             "</td></tr>\n";
    }
    out += "</tbody>\n</table>\n";
    out +=
        "<p class=\"note\">Intervals over seeds: Student's t with seeds &minus; 1 degrees "
        "of freedom. Paper numbers only where the paper's setting is ours.</p>\n";
    for (const ReportCell& c : t.cells) {
      if (!c.published && !c.published_differs.empty()) {
        out += "<p class=\"note\">No paper comparison for " + html_escape(c.label) + ": " +
               html_escape(c.published_differs) + ".</p>\n";
      }
    }
    if (t.code_ids.size() > 1) {
      out += "<p class=\"note\">These runs were recorded by " + std::to_string(t.code_ids.size()) +
             " different code identities (" +
             html_escape(join({t.code_ids.begin(), t.code_ids.end()}, ", ")) +
             "); a configuration recorded by several is shown once per code.</p>\n";
    }
    if (!t.pairs.empty()) {
      out +=
          "<table>\n<thead><tr><th>A</th><th>B</th><th>mean A &minus; B</th>"
          "<th>p (Wilcoxon, Holm)</th><th>significant at 0.05</th></tr></thead>\n<tbody>\n";
      for (const PairwiseTest& p : t.pairs) {
        out += "<tr><td>" + html_escape(t.cells[p.a].label) + "</td><td>" +
               html_escape(t.cells[p.b].label) + "</td><td>" +
               format("%+.*f", digits, p.mean_difference) + "</td><td>" +
               (p.p_adjusted < 0.001 ? "&lt; 0.001" : format("%.3f", p.p_adjusted)) + "</td><td>" +
               (p.significant ? "yes" : "no") + "</td></tr>\n";
      }
      out += "</tbody>\n</table>\n";
    }
  }
  if (!svg_plots.empty()) out += "<h2>Plots</h2>\n";
  for (const std::string& svg : svg_plots) {
    out += "<figure class=\"plot\">\n" + inline_svg(svg) + "\n</figure>\n";
  }
  if (!data.unfinished.empty()) {
    out += "<p class=\"note\">Not included: " + html_escape(join(data.unfinished, ", ")) +
           " run(s).</p>\n";
  }
  out += "</body>\n</html>\n";
  return out;
}

// The plots are always there, inlined as SVG; they are drawn into --plots or
// a temporary folder that is removed afterwards.
std::string html_document(const ReportInput& in) {
  namespace fs = std::filesystem;
  std::string dir = in.options.plots_dir;
  const bool temporary = dir.empty();
  if (temporary) {
    // Beside the document, private and unpredictable (mkdtemp).
    dir = make_temp_directory(in.document_dir.empty() ? "." : in.document_dir, ".metabench-plots");
  }
  std::vector<std::string> svgs;
  try {
    for (const auto& svg : write_plots(in.store, in.data, dir).svg) svgs.push_back(read_file(svg));
  } catch (...) {
    if (temporary) fs::remove_all(dir);
    throw;
  }
  if (temporary) fs::remove_all(dir);
  return render_html(in.data, svgs);
}

METABENCH_REGISTER_REPORT_FORMAT(ReportFormatInfo{
    "html", {}, "one self-contained HTML page with inline SVG plots", html_document});

}  // namespace
}  // namespace metabench
