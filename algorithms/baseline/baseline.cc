// Baseline (Chen et al. 2019): a classifier on all training classes, then a
// new linear head fine-tuned on each test episode's support features
// (algorithms/baseline_style/baseline_style.h).
#include "algorithms/baseline_style/baseline_style.h"

namespace metabench {
namespace {

METABENCH_REGISTER_ALGORITHM(
    AlgorithmInfo("baseline",
                  "Baseline (Chen et al. 2019): classifier on all training classes, new linear "
                  "head fine-tuned per task")
        .tasks(/*classification=*/true, /*regression=*/false)
        .factory(baseline_options(false),
                 [](const AlgorithmContext& ctx, const BaselineOptions& o) {
                   return make_baseline(ctx, o, /*cosine=*/false);
                 }));

}  // namespace
}  // namespace metabench
