// The Markdown report: one table per dataset and setting, the published
// numbers and deltas where the paper reports the setting, and the pairwise
// significance of the differences.
#include <cmath>
#include <filesystem>

#include "core/strings.h"
#include "results/report.h"
#include "results/report_data.h"
#include "results/report_plots.h"

namespace metabench {
namespace {

std::string p_text(double p) { return p < 0.001 ? "< 0.001" : format("%.3f", p); }

std::string published_text(const ReportCell& cell) {
  if (!cell.published) return "";
  return cell.published->value_text();
}

std::string delta_text(const ReportCell& cell) {
  if (!cell.published) return "";
  return format("%+.2f", cell.score.mean - cell.published->accuracy);
}

std::string render_markdown(const ReportData& data, const std::vector<std::string>& plots) {
  std::string out = "# metabench report\n\nDatabase: `" + data.database + "`" +
                    (data.scope.empty() ? "" : ", " + data.scope) + "\n";
  for (const ReportTable& table : data.tables) {
    const bool papers = [&] {
      for (const auto& c : table.cells) {
        if (c.published) return true;
      }
      return false;
    }();
    out += "\n## " + table.title() + "\n\n";
    out += "| Algorithm | " + table.metric() +
           " | 95% CI over seeds (t) | Mean 95% CI over episodes | Seeds | Episodes per run | "
           "Train time (s) | s/iteration | Adapt (ms/task) | Peak RSS (MB) |" +
           (papers ? " Paper | Δ paper |" : "") + "\n";
    out += std::string("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|") +
           (papers ? "---:|---:|" : "") + "\n";
    const int digits = table.regression ? 3 : 2;
    for (const ReportCell& c : table.cells) {
      out += "| " + c.label + " | " + fixed(c.score.mean, digits) + " | " +
             (c.runs.size() > 1 ? "± " + fixed(c.score.ci95, digits) : "n/a (1 seed)") + " | ± " +
             fixed(c.episode_ci, digits) + " | " + std::to_string(c.runs.size()) + " | " +
             std::to_string(c.runs.front().episodes) + " | " + fixed(c.train_seconds, 1) + " | " +
             fixed(c.seconds_per_iteration, 4) + " | " + fixed(c.adapt_ms, 2) + " | " +
             fixed(c.rss, 0) + " |" +
             (papers ? " " + published_text(c) + " | " + delta_text(c) + " |" : "") + "\n";
    }
    if (table.checksums.size() == 1) {
      out += "\nEvery run above was tested on the same fixed episodes (checksum `" +
             table.checksums.begin()->substr(0, 16) + "`).\n";
    } else {
      out += "\nWarning: these runs were tested on " + std::to_string(table.checksums.size()) +
             " different episode sets (different eval seeds or episode counts); compare with "
             "care. No significance tests.\n";
    }
    if (table.code_ids.size() > 1) {
      out += "\nThese runs were recorded by " + std::to_string(table.code_ids.size()) +
             " different code identities (`" +
             join({table.code_ids.begin(), table.code_ids.end()}, "`, `") +
             "`); a configuration recorded by several is shown once per code.\n";
    }
    out +=
        "\nIntervals: over seeds, mean ± t(0.975, n − 1) · s / √n with n the Seeds column "
        "(Student's t: 4.30 for 3 seeds); over episodes, the mean of the runs' own 95% CIs, "
        "each over its Episodes per run.\n";
    if (papers) {
      out +=
          "\nPaper: the original paper's number where its setting is the same as ours (sources "
          "and settings: `metabench list published`); Δ paper = our mean minus the paper's.\n";
    }
    for (const ReportCell& c : table.cells) {
      if (!c.published && !c.published_differs.empty()) {
        out += "\nNo paper comparison for " + c.label + ": " + c.published_differs + ".\n";
      }
    }
    if (!table.pairs.empty()) {
      out += "\nPairwise differences (Wilcoxon signed-rank test pairing the " +
             std::to_string(table.cells.front().episode_scores.size()) +
             " shared test episodes, "
             "on per-episode " +
             std::string(table.regression ? "MSE" : "accuracy") +
             " averaged over seeds, so seed-to-seed variance is not part of these p-values; "
             "exact null distribution up to 50 non-zero differences without ties, else the "
             "normal approximation; Holm-adjusted over the " +
             std::to_string(table.pairs.size()) + " pairs):\n\n";
      out +=
          "| A | B | mean A − B | method | p (Holm) | significant at 0.05 |\n"
          "|---|---|---:|---|---:|---|\n";
      for (const PairwiseTest& t : table.pairs) {
        out += "| " + table.cells[t.a].label + " | " + table.cells[t.b].label + " | " +
               format("%+.*f", digits, t.mean_difference) + " | " + t.test.method() + " | " +
               p_text(t.p_adjusted) + " | " + (t.significant ? "yes" : "no") + " |\n";
      }
      size_t seed_tests = 0;
      for (const PairwiseTest& t : table.pairs) seed_tests += t.has_seed_test;
      if (seed_tests > 0) {
        out += "\nOver seeds (Welch's t-test on the per-seed means, cells with at least " +
               std::to_string(kSeedTestMinSeeds) + " seeds; Holm-adjusted over the " +
               std::to_string(seed_tests) + " tests):\n\n";
        out +=
            "| A | B | seeds A, B | t | df | p (Holm) | significant at 0.05 |\n"
            "|---|---|---:|---:|---:|---:|---|\n";
        for (const PairwiseTest& t : table.pairs) {
          if (!t.has_seed_test) continue;
          out += "| " + table.cells[t.a].label + " | " + table.cells[t.b].label + " | " +
                 std::to_string(table.cells[t.a].runs.size()) + ", " +
                 std::to_string(table.cells[t.b].runs.size()) + " | " +
                 format("%.2f", t.seed_test.t) + " | " + format("%.1f", t.seed_test.df) + " | " +
                 p_text(t.seed_p_adjusted) + " | " + (t.seed_significant ? "yes" : "no") + " |\n";
        }
      }
    }
  }
  if (!plots.empty()) {
    out += "\n## Plots\n\n";
    for (const auto& path : plots) out += "![" + path + "](" + path + ")\n\n";
  }
  if (!data.unfinished.empty()) {
    out += "\nNot included: " + join(data.unfinished, ", ") +
           " run(s); query `run_summary` for details.\n";
  }
  return out;
}

// Plots only when asked for (--plots), linked relative to the document.
std::string markdown_document(const ReportInput& in) {
  namespace fs = std::filesystem;
  std::vector<std::string> links;
  if (!in.options.plots_dir.empty()) {
    for (const auto& png : write_plots(in.store, in.data, in.options.plots_dir).png) {
      links.push_back(fs::relative(fs::absolute(png), fs::absolute(in.document_dir)).string());
    }
  }
  return render_markdown(in.data, links);
}

METABENCH_REGISTER_REPORT_FORMAT(ReportFormatInfo{
    "md",
    {"markdown"},
    "Markdown tables (the default), plots linked with --plots",
    markdown_document});

}  // namespace
}  // namespace metabench
