#include "results/report.h"

#include <cmath>
#include <map>
#include <set>
#include <tuple>
#include <vector>

#include "harness/config/raw_config.h"
#include "harness/core/errors.h"
#include "harness/core/sha256.h"
#include "harness/core/stats.h"
#include "harness/core/strings.h"
#include "results/store.h"

namespace metabench {
namespace {

struct Row {
  std::string algorithm, dataset, backbone, checksum, family;
  int64_t ways, shots, seed, episodes;
  double accuracy, ci95, loss, loss_ci95, train_seconds, seconds_per_iteration, adapt_ms, rss;
};

// Identifies a configuration up to its seed: runs of one family differ only
// in the seed (and in keys that do not affect results), so they may be
// aggregated; runs of different families must not be.
std::string config_family(const std::string& config_yaml) {
  const RawConfig raw = RawConfig::from_node(YAML::Load(config_yaml), "config");
  Sha256 h;
  for (const auto& [path, entry] : raw.entries()) {
    // Keys that only say where things are (data.root, data.dir, data.cache_dir).
    if (path == "seed" || path == "name" || path == "data.root" || path == "data.dir" ||
        path == "data.cache_dir" || starts_with(path, "runtime.")) {
      continue;
    }
    h.update(path + "=" + YAML::Dump(entry.node) + "\n");
  }
  return h.hex_digest().substr(0, 8);
}

std::string fixed(double v, int digits) {
  return std::isnan(v) ? "n/a" : format("%.*f", digits, v);
}

double mean_of(const std::vector<Row>& rows, double Row::*field) {
  double sum = 0;
  for (const auto& r : rows) sum += r.*field;
  return rows.empty() ? std::nan("") : sum / rows.size();
}

}  // namespace

std::string markdown_report(ResultsStore& store, const ReportOptions& options) {
  // The latest completed run of each config.
  Statement query = store.database().prepare(
      "SELECT s.algorithm, s.dataset, s.backbone, s.ways, s.shots, s.seed, s.test_accuracy, "
      "s.test_ci95, s.test_episodes, s.test_loss, s.test_loss_ci95, s.train_seconds, "
      "s.seconds_per_iteration, s.adapt_ms, s.peak_rss_mb, s.test_episodes_checksum, "
      "r.config_yaml, (SELECT t.dataset FROM runs AS t WHERE t.run_id = r.source_run_id), "
      "r.kind FROM run_summary AS s JOIN runs AS r USING (run_id) "
      "WHERE run_id IN (SELECT max(run_id) FROM run_summary WHERE status = 'completed' "
      "AND (?1 = '' OR sweep = ?1) GROUP BY config_hash) "
      "ORDER BY s.dataset, s.ways, s.shots, s.algorithm, s.seed");
  query.bind(1, options.sweep);
  std::map<std::tuple<std::string, int64_t, int64_t>, std::map<std::string, std::vector<Row>>>
      groups;
  while (query.step()) {
    Row r{query.column_text(0),    query.column_text(1),    query.column_text(2),
          query.column_text(15),   config_family(query.column_text(16)),
          query.column_int(3),     query.column_int(4),     query.column_int(5),
          query.column_int(8),     query.column_double(6),  query.column_double(7),
          query.column_double(9),  query.column_double(10), query.column_double(11),
          query.column_double(12), query.column_double(13), query.column_double(14)};
    // Evaluations of checkpoints from another dataset get rows of their own.
    if (query.column_text(18) == "eval") {
      const std::string source = query.column_text(17);
      r.algorithm += " (trained on " + (source.empty() ? "another database's run" : source) + ")";
      r.train_seconds = r.seconds_per_iteration = std::nan("");
    }
    groups[{r.dataset, r.ways, r.shots}][r.algorithm + "\t" + r.family].push_back(r);
  }
  Statement other = store.database().prepare(
      "SELECT status, count(*) FROM run_summary WHERE status != 'completed' "
      "AND (?1 = '' OR sweep = ?1) GROUP BY status ORDER BY status");
  other.bind(1, options.sweep);
  std::vector<std::string> unfinished;
  while (other.step()) {
    unfinished.push_back(std::to_string(other.column_int(1)) + " " + other.column_text(0));
  }
  if (groups.empty()) {
    throw NoResults("no completed runs in '" + store.path() + "'" +
                    (options.sweep.empty() ? "" : " for sweep '" + options.sweep + "'") +
                    (unfinished.empty() ? "" : " (" + join(unfinished, ", ") + ")"));
  }

  std::string out = "# metabench report\n\nDatabase: `" + store.path() + "`" +
                    (options.sweep.empty() ? "" : ", sweep `" + options.sweep + "`") + "\n";
  for (const auto& [key, algorithms] : groups) {
    const auto& [dataset, ways, shots] = key;
    const bool regression = std::isnan(algorithms.begin()->second.front().accuracy);
    out += "\n## " + dataset + ", " +
           (regression ? std::to_string(shots) + "-shot regression"
                       : std::to_string(ways) + "-way " + std::to_string(shots) + "-shot") +
           "\n\n";
    const std::string metric = regression ? "Test MSE" : "Test accuracy (%)";
    out += "| Algorithm | " + metric +
           " | 95% CI over seeds | Mean 95% CI over episodes | Seeds | Episodes per run | "
           "Train time (s) | s/iteration | Adapt (ms/task) | Peak RSS (MB) |\n";
    out += "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    std::set<std::string> checksums;
    std::map<std::string, int> families;  // configurations per algorithm
    for (const auto& item : algorithms) ++families[item.second.front().algorithm];
    for (const auto& [key, rows] : algorithms) {
      // An algorithm run with several configurations gets one row per
      // configuration, labelled with the configuration's short hash.
      const Row& first = rows.front();
      const std::string label = families[first.algorithm] > 1
                                    ? first.algorithm + " [config " + first.family + "]"
                                    : first.algorithm;
      std::vector<double> per_seed;
      for (const auto& r : rows) {
        per_seed.push_back(regression ? r.loss : r.accuracy);
        checksums.insert(r.checksum);
      }
      const MeanCi over_seeds = mean_ci95(per_seed);
      const double episode_ci = mean_of(rows, regression ? &Row::loss_ci95 : &Row::ci95);
      const int digits = regression ? 3 : 2;
      out += "| " + label + " | " + fixed(over_seeds.mean, digits) + " | " +
             (rows.size() > 1 ? "± " + fixed(over_seeds.ci95, digits) : "n/a (1 seed)") + " | ± " +
             fixed(episode_ci, digits) + " | " + std::to_string(rows.size()) + " | " +
             std::to_string(rows.front().episodes) + " | " +
             fixed(mean_of(rows, &Row::train_seconds), 1) + " | " +
             fixed(mean_of(rows, &Row::seconds_per_iteration), 4) + " | " +
             fixed(mean_of(rows, &Row::adapt_ms), 2) + " | " + fixed(mean_of(rows, &Row::rss), 0) +
             " |\n";
    }
    if (checksums.size() == 1) {
      out += "\nEvery run above was tested on the same fixed episodes (checksum `" +
             checksums.begin()->substr(0, 16) + "`).\n";
    } else {
      out +=
          "\nWarning: these runs were tested on " + std::to_string(checksums.size()) +
          " different episode sets (different eval seeds or episode counts); compare with care.\n";
    }
  }
  if (!unfinished.empty()) {
    out +=
        "\nNot included: " + join(unfinished, ", ") + " run(s); query `run_summary` for details.\n";
  }
  return out;
}

}  // namespace metabench
