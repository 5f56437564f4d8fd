// Baseline++ (Chen et al. 2019): Baseline with cosine classifiers, in
// training and at test (algorithms/baseline_style/baseline_style.h).
#include "algorithms/baseline_style/baseline_style.h"

namespace metabench {
namespace {

METABENCH_REGISTER_ALGORITHM(
    AlgorithmInfo("baselinepp",
                  "Baseline++ (Chen et al. 2019): cosine classifier on all training classes, new "
                  "cosine head fine-tuned per task")
        .tasks(/*classification=*/true, /*regression=*/false)
        .factory(baseline_options(true), [](const AlgorithmContext& ctx, const BaselineOptions& o) {
          return make_baseline(ctx, o, /*cosine=*/true);
        }));

}  // namespace
}  // namespace metabench
