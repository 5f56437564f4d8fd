// Test accuracies reported by the original papers, with their settings and
// sources, so reports can show how far a metabench result is from the paper
// when, and only when, the two are like for like.
//
// The table is data, not code: results/data/published.csv (versioned; its
// header explains the columns), embedded in the binary when it is built.
// An entry applies to a run only when the algorithm, dataset, ways and
// shots are equal and every setting the entry `requires` (config key =
// value, e.g. episode.train_ways=60 for ProtoNets' Omniglot numbers) holds
// for the run.  Otherwise the report says which setting differs.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace metabench {

struct PublishedResult {
  std::string algorithm;  // registry name
  std::string dataset;    // registry name
  int64_t ways = 0, shots = 0;
  std::vector<std::pair<std::string, std::string>> required;  // "requires": config key, value
  double accuracy = 0;                                        // percent
  double spread = 0;          // percent; 0 when the paper gives none
  std::string spread_kind;    // ci95_episodes, ci95, std_seeds or none
  int64_t test_episodes = 0;  // the paper's count; 0 when not given
  std::string source;         // paper, version, table, row
  std::string note;

  std::string required_text() const;  // "backbone=conv4 episode.train_ways=60"
  // "98.80", "49.42 ± 0.78 (95% CI over episodes)", "46.70 ± 0.40 (SD over seeds)"
  std::string value_text() const;
};

// The embedded table, parsed once.  A malformed table is a build defect:
// InternalError naming the line.
const std::vector<PublishedResult>& published_results();

// Parses a table in published.csv's format; `origin` names it in errors
// (UserError "origin:line: ...").
std::vector<PublishedResult> parse_published_csv(const std::string& text,
                                                 const std::string& origin);

struct PublishedMatch {
  std::optional<PublishedResult> result;  // the like-for-like entry, if any
  // When entries exist for the algorithm, dataset, ways and shots but none
  // is like for like: how the closest one differs, e.g.
  // "Snell et al. 2017 (NeurIPS), Table 1 requires episode.train_ways=60; this run has 5".
  std::string differs;
};

// `settings`: the run's effective config values by key (run_config); a key
// the run does not have never matches.
PublishedMatch find_published(const std::string& algorithm, const std::string& dataset,
                              int64_t ways, int64_t shots,
                              const std::map<std::string, std::string>& settings);

}  // namespace metabench
