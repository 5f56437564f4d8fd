// What a comparison report shows, gathered from a results database once and
// rendered by the format writers (report_markdown.cc, report_csv.cc,
// report_latex.cc, report_html.cc) and the plots (report_plots.h).
//
// Per dataset and episode setting, one cell per algorithm configuration
// (runs that differ only in their seed) and code identity (runs of one
// config recorded by different code are never averaged together): the mean over seeds with its 95%
// CI, the mean per-run CI over test episodes, cost figures, the published number where the paper
// reports this setting, and, when every run of the setting was tested on the same episodes, paired
// Wilcoxon signed-rank tests between all cells with Holm-adjusted p-values.  Only the documented
// views run_summary and test_episode_scores and the learning_curve table are read, by their stored
// columns (the config family and inner steps were recorded when each run started): no stored YAML
// is parsed and no registry is consulted, so a report does not depend on which plugins are loaded.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/stats.h"
#include "results/published_results.h"
#include "results/significance.h"

namespace metabench {

class ResultsStore;

struct ReportOptions {
  std::string sweep;      // only runs of this sweep; empty = all runs
  std::string where;      // extra SQL condition on run_summary columns; empty = none
  std::string plots_dir;  // where plots are written (md, html); empty = no plots
  double alpha = 0.05;    // significance level after Holm's adjustment
};

struct ReportRun {
  int64_t run_id = 0, ways = 0, shots = 0, seed = 0, episodes = 0;
  std::string algorithm, dataset, backbone, family, checksum, sweep;
  std::string code_id;  // what produced the run (core/code_identity.h)
  std::string command;  // the command line that started it
  int64_t inner_steps = 0;
  double accuracy = 0, ci95 = 0;  // percent; NaN for regression
  double loss = 0, loss_ci95 = 0;
  double train_seconds = 0, seconds_per_iteration = 0, adapt_ms = 0, rss = 0;
};

struct ReportCell {
  // The algorithm, with "[config abcd1234]" when it has several
  // configurations in the table and "[code ...]" when that configuration
  // was recorded by several code identities.
  std::string label;
  std::string algorithm, family, code_id;
  int64_t inner_steps = 0;  // optim.inner_steps of the configuration
  std::vector<ReportRun> runs;
  MeanCi score;           // over seeds (Student's t, n - 1 df): accuracy (%) or MSE
  double episode_ci = 0;  // mean of the runs' CIs over episodes
  double train_seconds = 0, seconds_per_iteration = 0, adapt_ms = 0, rss = 0;
  std::optional<PublishedResult> published;  // like for like only
  std::string published_differs;             // the paper's setting differs: how (else empty)
  std::vector<double> episode_scores;  // per test episode, mean over seeds (shared episodes only)
};

struct PairwiseTest {
  size_t a = 0, b = 0;         // cell indices
  double mean_difference = 0;  // score(a) - score(b), per episode, averaged
  SignedRankResult test;       // on per-episode scores averaged over seeds
  double p_adjusted = 1;       // Holm, within the table
  bool significant = false;
  // With at least kSeedTestMinSeeds seeds in both cells: Welch's t-test on
  // the per-seed mean scores, Holm-adjusted over the table's seed tests.
  bool has_seed_test = false;
  WelchResult seed_test;
  double seed_p_adjusted = 1;
  bool seed_significant = false;
};

constexpr size_t kSeedTestMinSeeds = 5;

struct ReportTable {
  std::string dataset;
  int64_t ways = 0, shots = 0;
  bool regression = false;
  std::vector<ReportCell> cells;
  std::set<std::string> checksums;
  std::set<std::string> code_ids;   // of its runs; more than one is noted under the table
  std::vector<PairwiseTest> pairs;  // empty unless all runs share one episode set
  std::string title() const;        // "omniglot, 5-way 1-shot"
  std::string metric() const;       // "Test accuracy (%)" or "Test MSE"
};

struct ReportData {
  std::string database;
  std::string scope;  // "sweep `x`", "runs where ...", or ""
  std::vector<ReportTable> tables;
  std::vector<std::string> unfinished;  // "2 failed", ...
};

// Throws NoResults when nothing completed matches, ConfigError for a filter
// that is not valid SQL over run_summary.
ReportData collect_report(ResultsStore& store, const ReportOptions& options);

// "12.34" with `digits` decimals, or "n/a" for NaN.
std::string fixed(double value, int digits);

}  // namespace metabench
