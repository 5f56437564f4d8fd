// Test accuracies reported by the original papers, with their sources, so
// reports can show how far a metabench result is from the paper.  Only
// entries for the same algorithm, dataset (omniglot or mini-imagenet) and
// N-way K-shot setting are compared; omniglot-small and the synthetic
// datasets have no published numbers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace metabench {

struct PublishedResult {
  std::string algorithm;  // registry name
  std::string dataset;    // registry name
  int64_t ways = 0, shots = 0;
  double accuracy = 0;  // percent
  double ci95 = 0;      // percent; 0 when the paper gives none
  std::string source;   // paper, table
};

const std::vector<PublishedResult>& published_results();

std::optional<PublishedResult> find_published(const std::string& algorithm,
                                              const std::string& dataset, int64_t ways,
                                              int64_t shots);

}  // namespace metabench
