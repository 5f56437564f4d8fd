#include "results/published_results.h"

namespace metabench {

const std::vector<PublishedResult>& published_results() {
  static const std::string kMaml = "Finn et al. 2017, Tables 1 and 2";
  static const std::string kReptile = "Nichol et al. 2018, Tables 1 and 2 (transductive)";
  static const std::string kProto = "Snell et al. 2017, Tables 1 and 2";
  static const std::string kMatching =
      "Vinyals et al. 2016, Tables 1 and 2 (miniImageNet: FCE, own split)";
  static const std::string kAnil = "Raghu et al. 2020, Table 2";
  static const std::vector<PublishedResult> results = {
      {"maml", "omniglot", 5, 1, 98.7, 0.4, kMaml},
      {"maml", "omniglot", 5, 5, 99.9, 0.1, kMaml},
      {"maml", "omniglot", 20, 1, 95.8, 0.3, kMaml},
      {"maml", "omniglot", 20, 5, 98.9, 0.2, kMaml},
      {"maml", "mini-imagenet", 5, 1, 48.70, 1.84, kMaml},
      {"maml", "mini-imagenet", 5, 5, 63.11, 0.92, kMaml},
      {"fomaml", "omniglot", 5, 1, 98.3, 0.5, kMaml + " (first order approx.)"},
      {"fomaml", "omniglot", 5, 5, 99.2, 0.2, kMaml + " (first order approx.)"},
      {"fomaml", "omniglot", 20, 1, 89.4, 0.5, kMaml + " (first order approx.)"},
      {"fomaml", "omniglot", 20, 5, 97.9, 0.1, kMaml + " (first order approx.)"},
      {"fomaml", "mini-imagenet", 5, 1, 48.07, 1.75, kMaml + " (first order approx.)"},
      {"fomaml", "mini-imagenet", 5, 5, 63.15, 0.91, kMaml + " (first order approx.)"},
      {"reptile", "omniglot", 5, 1, 97.68, 0.04, kReptile},
      {"reptile", "omniglot", 5, 5, 99.48, 0.06, kReptile},
      {"reptile", "omniglot", 20, 1, 89.43, 0.14, kReptile},
      {"reptile", "omniglot", 20, 5, 97.12, 0.32, kReptile},
      {"reptile", "mini-imagenet", 5, 1, 49.97, 0.32, kReptile},
      {"reptile", "mini-imagenet", 5, 5, 65.99, 0.58, kReptile},
      {"protonet", "omniglot", 5, 1, 98.8, 0, kProto},
      {"protonet", "omniglot", 5, 5, 99.7, 0, kProto},
      {"protonet", "omniglot", 20, 1, 96.0, 0, kProto},
      {"protonet", "omniglot", 20, 5, 98.9, 0, kProto},
      {"protonet", "mini-imagenet", 5, 1, 49.42, 0.78, kProto},
      {"protonet", "mini-imagenet", 5, 5, 68.20, 0.66, kProto},
      {"matchingnet", "omniglot", 5, 1, 98.1, 0, kMatching},
      {"matchingnet", "omniglot", 5, 5, 98.9, 0, kMatching},
      {"matchingnet", "omniglot", 20, 1, 93.8, 0, kMatching},
      {"matchingnet", "omniglot", 20, 5, 98.5, 0, kMatching},
      {"matchingnet", "mini-imagenet", 5, 1, 46.6, 0, kMatching},
      {"matchingnet", "mini-imagenet", 5, 5, 60.0, 0, kMatching},
      {"anil", "omniglot", 20, 1, 96.2, 0.5, kAnil},
      {"anil", "omniglot", 20, 5, 98.0, 0.3, kAnil},
      {"anil", "mini-imagenet", 5, 1, 46.7, 0.4, kAnil},
      {"anil", "mini-imagenet", 5, 5, 61.5, 0.5, kAnil},
  };
  return results;
}

std::optional<PublishedResult> find_published(const std::string& algorithm,
                                              const std::string& dataset, int64_t ways,
                                              int64_t shots) {
  for (const auto& r : published_results()) {
    if (r.algorithm == algorithm && r.dataset == dataset && r.ways == ways && r.shots == shots) {
      return r;
    }
  }
  return std::nullopt;
}

}  // namespace metabench
