#include "results/report_data.h"

#include <variant>

#include <cmath>
#include <map>
#include <tuple>

#include "core/strings.h"
#include "metabench/errors.h"
#include "results/store.h"
#include "results/where_clause.h"

namespace metabench {
namespace {

double mean_of(const std::vector<ReportRun>& runs, double ReportRun::*field) {
  double sum = 0;
  for (const auto& r : runs) sum += r.*field;
  return runs.empty() ? std::nan("") : sum / runs.size();
}

// The runs a report covers: completed, of the sweep if one is given (?1),
// and matching --where, parsed into bound parameters ?2... (never spliced).
WhereClause scope_condition(ResultsStore& store, const ReportOptions& options) {
  WhereClause scope;
  scope.sql = "status = 'completed' AND (?1 = '' OR sweep = ?1)";
  if (!options.where.empty()) {
    std::vector<std::string> columns;
    Statement info = store.database().prepare("PRAGMA table_info(run_summary)");
    while (info.step()) columns.push_back(info.column_text(1));
    WhereClause where = parse_where(options.where, columns, 2);
    scope.sql += " AND (" + where.sql + ")";
    scope.values = std::move(where.values);
  }
  return scope;
}

// Per-episode scores of `run_id`, by episode index.
std::vector<double> episode_scores(ResultsStore& store, int64_t run_id, bool regression) {
  Statement s = store.database().prepare(
      "SELECT accuracy, loss FROM test_episode_scores WHERE run_id = ? ORDER BY episode_index");
  s.bind(1, run_id);
  std::vector<double> scores;
  while (s.step()) scores.push_back(s.column_double(regression ? 1 : 0));
  return scores;
}

// The runs' scores, one per seed: accuracy (%), or MSE for regression.
std::vector<double> per_seed_scores(const std::vector<ReportRun>& runs, bool regression) {
  std::vector<double> scores;
  for (const auto& r : runs) scores.push_back(regression ? r.loss : r.accuracy);
  return scores;
}

// Welch's t-test on per-seed means for the pairs whose cells both have
// enough seeds; Holm over those tests.
void add_seed_tests(ReportTable& table, double alpha) {
  std::vector<double> p_values;
  std::vector<PairwiseTest*> tested;
  for (PairwiseTest& t : table.pairs) {
    const ReportCell &a = table.cells[t.a], &b = table.cells[t.b];
    if (a.runs.size() < kSeedTestMinSeeds || b.runs.size() < kSeedTestMinSeeds) continue;
    t.has_seed_test = true;
    t.seed_test = welch_t_test(per_seed_scores(a.runs, table.regression),
                               per_seed_scores(b.runs, table.regression));
    p_values.push_back(t.seed_test.p_value);
    tested.push_back(&t);
  }
  const auto adjusted = holm_adjust(p_values);
  for (size_t i = 0; i < tested.size(); ++i) {
    tested[i]->seed_p_adjusted = adjusted[i];
    tested[i]->seed_significant = adjusted[i] < alpha;
  }
}

void add_significance(ResultsStore& store, ReportTable& table, double alpha) {
  if (table.checksums.size() != 1 || table.cells.size() < 2) return;
  for (auto& cell : table.cells) {
    for (const auto& run : cell.runs) {
      const auto scores = episode_scores(store, run.run_id, table.regression);
      if (cell.episode_scores.empty()) cell.episode_scores.assign(scores.size(), 0.0);
      if (scores.size() != cell.episode_scores.size()) return;  // not comparable
      for (size_t i = 0; i < scores.size(); ++i) {
        cell.episode_scores[i] += scores[i] / cell.runs.size();
      }
    }
  }
  std::vector<double> p_values;
  for (size_t a = 0; a < table.cells.size(); ++a) {
    for (size_t b = a + 1; b < table.cells.size(); ++b) {
      const auto& x = table.cells[a].episode_scores;
      const auto& y = table.cells[b].episode_scores;
      if (x.size() != y.size() || x.empty()) return;
      std::vector<double> d(x.size());
      double sum = 0;
      for (size_t i = 0; i < x.size(); ++i) sum += (d[i] = x[i] - y[i]);
      PairwiseTest t;
      t.a = a;
      t.b = b;
      t.mean_difference = sum / static_cast<double>(d.size());
      t.test = wilcoxon_signed_rank(d);
      table.pairs.push_back(t);
      p_values.push_back(t.test.p_value);
    }
  }
  const auto adjusted = holm_adjust(p_values);
  for (size_t i = 0; i < table.pairs.size(); ++i) {
    table.pairs[i].p_adjusted = adjusted[i];
    table.pairs[i].significant = adjusted[i] < alpha;
  }
  add_seed_tests(table, alpha);
}

}  // namespace

std::string fixed(double value, int digits) {
  return std::isnan(value) ? "n/a" : format("%.*f", digits, value);
}

std::string ReportTable::title() const {
  return dataset + ", " +
         (regression ? std::to_string(shots) + "-shot regression"
                     : std::to_string(ways) + "-way " + std::to_string(shots) + "-shot");
}

std::string ReportTable::metric() const { return regression ? "Test MSE" : "Test accuracy (%)"; }

ReportData collect_report(ResultsStore& store, const ReportOptions& options) {
  const WhereClause scope = scope_condition(store, options);
  const std::string& condition = scope.sql;
  // The latest completed run of each config and code identity.
  const std::string sql =
      "SELECT s.*, (SELECT t.dataset FROM runs AS t WHERE t.run_id = s.source_run_id) "
      "AS source_dataset "
      "FROM run_summary AS s "
      "WHERE run_id IN (SELECT max(run_id) FROM run_summary WHERE " +
      condition +
      " GROUP BY config_hash, code_id) ORDER BY s.dataset, s.ways, s.shots, s.algorithm, s.seed";
  std::optional<Statement> query;
  try {
    query.emplace(store.database().prepare(sql));
  } catch (const StoreError& e) {
    throw ConfigError("--where '" + printable(options.where) +
                      "' is not a valid condition on the columns of run_summary "
                      "(docs/results-schema.md): " +
                      e.what());
  }
  query->bind(1, options.sweep);
  int parameter = 2;
  for (const auto& v : scope.values) {
    if (const double* number = std::get_if<double>(&v)) {
      query->bind(parameter++, *number);
    } else {
      query->bind(parameter++, std::get<std::string>(v));
    }
  }
  std::map<std::tuple<std::string, int64_t, int64_t>, std::map<std::string, std::vector<ReportRun>>>
      groups;
  while (query->step()) {
    Statement& q = *query;
    ReportRun r;
    r.run_id = q.column_int("run_id");
    r.algorithm = q.column_text("algorithm");
    r.dataset = q.column_text("dataset");
    r.backbone = q.column_text("backbone");
    r.ways = q.column_int("ways");
    r.shots = q.column_int("shots");
    r.seed = q.column_int("seed");
    r.accuracy = q.column_double("test_accuracy");
    r.ci95 = q.column_double("test_ci95");
    r.episodes = q.column_int("test_episodes");
    r.loss = q.column_double("test_loss");
    r.loss_ci95 = q.column_double("test_loss_ci95");
    r.train_seconds = q.column_double("train_seconds");
    r.seconds_per_iteration = q.column_double("seconds_per_iteration");
    r.adapt_ms = q.column_double("adapt_ms");
    r.rss = q.column_double("peak_rss_mb");
    r.checksum = q.column_text("test_episodes_checksum");
    r.family = q.column_text("config_family");
    r.sweep = q.column_text("sweep");
    r.inner_steps = q.column_int("inner_steps");
    r.code_id = q.column_text("code_id");
    r.command = q.column_text("command");
    // Evaluations of checkpoints from another dataset get rows of their own.
    if (q.column_text("kind") == "eval") {
      const std::string source = q.column_text("source_dataset");
      r.algorithm += " (trained on " + (source.empty() ? "another database's run" : source) + ")";
      r.train_seconds = r.seconds_per_iteration = std::nan("");
    }
    groups[{r.dataset, r.ways, r.shots}][r.algorithm + "\t" + r.family + "\t" + r.code_id]
        .push_back(r);
  }

  ReportData data;
  data.database = store.path();
  if (!options.sweep.empty()) data.scope = "sweep `" + options.sweep + "`";
  if (!options.where.empty()) {
    data.scope +=
        std::string(data.scope.empty() ? "" : ", ") + "runs where `" + printable(options.where) + "`";
  }
  Statement other = store.database().prepare(
      "SELECT status, count(*) FROM run_summary WHERE status != 'completed' "
      "AND (?1 = '' OR sweep = ?1) GROUP BY status ORDER BY status");
  other.bind(1, options.sweep);
  while (other.step()) {
    data.unfinished.push_back(std::to_string(other.column_int(1)) + " " + other.column_text(0));
  }
  if (groups.empty()) {
    throw NoResults("no completed runs in '" + store.path() + "'" +
                    (data.scope.empty() ? "" : " for " + data.scope) +
                    (data.unfinished.empty() ? "" : " (" + join(data.unfinished, ", ") + ")"));
  }
  for (auto& [key, cells] : groups) {
    ReportTable table;
    std::tie(table.dataset, table.ways, table.shots) = key;
    table.regression = std::isnan(cells.begin()->second.front().accuracy);
    // Configurations per algorithm, and code identities in the table: a
    // label names what tells its cell apart.
    std::map<std::string, std::set<std::string>> families, codes;
    for (const auto& item : cells) {
      const ReportRun& r = item.second.front();
      families[r.algorithm].insert(r.family);
      codes[r.algorithm + "\t" + r.family].insert(r.code_id);
      table.code_ids.insert(r.code_id);
    }
    for (auto& [name, runs] : cells) {
      ReportCell cell;
      cell.algorithm = runs.front().algorithm;
      cell.family = runs.front().family;
      cell.code_id = runs.front().code_id;
      cell.inner_steps = runs.front().inner_steps;
      cell.label = cell.algorithm;
      if (families[cell.algorithm].size() > 1) cell.label += " [config " + cell.family + "]";
      const bool several_codes = codes[cell.algorithm + "\t" + cell.family].size() > 1;
      if (several_codes) cell.label += " [code " + cell.code_id + "]";
      for (const auto& r : runs) table.checksums.insert(r.checksum);
      cell.score = mean_ci95(per_seed_scores(runs, table.regression));
      cell.episode_ci = mean_of(runs, table.regression ? &ReportRun::loss_ci95 : &ReportRun::ci95);
      cell.train_seconds = mean_of(runs, &ReportRun::train_seconds);
      cell.seconds_per_iteration = mean_of(runs, &ReportRun::seconds_per_iteration);
      cell.adapt_ms = mean_of(runs, &ReportRun::adapt_ms);
      cell.rss = mean_of(runs, &ReportRun::rss);
      if (!table.regression) {
        // Like for like only: the paper's required settings must hold for
        // the cell's configuration (its runs differ only in the seed).
        const PublishedMatch match =
            find_published(cell.algorithm, table.dataset, table.ways, table.shots,
                           store.config_values(runs.front().run_id));
        cell.published = match.result;
        cell.published_differs = match.differs;
      }
      cell.runs = std::move(runs);
      table.cells.push_back(std::move(cell));
    }
    add_significance(store, table, options.alpha);
    data.tables.push_back(std::move(table));
  }
  return data;
}

}  // namespace metabench
