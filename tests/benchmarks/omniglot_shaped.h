// The Omniglot-shaped configuration shared by the micro-benchmarks and the
// comparison driver: synthetic glyphs (1x28x28, as Omniglot), Conv4-64,
// 5-way 1-shot test episodes with 15 queries per class.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace metabench {

// Assignments for `algorithm` trained on `train_ways`-way episodes,
// `meta_batch` of them per meta-iteration; each algorithm's own defaults
// for everything else.
inline std::vector<std::string> omniglot_shaped(const std::string& algorithm, int64_t train_ways,
                                                int64_t meta_batch) {
  return {"algorithm=" + algorithm,
          "dataset=synthetic-glyphs",
          "model.width=64",
          "episode.ways=5",
          "episode.shots=1",
          "episode.queries=15",
          "episode.train_ways=" + std::to_string(train_ways),
          "optim.meta_batch=" + std::to_string(meta_batch)};
}

}  // namespace metabench
