// First-order MAML (Finn et al. 2017, sec. 5.2): MAML's code path with the
// inner-loop gradients treated as constants, so no second derivatives are
// computed.  See algorithms/maml/maml.h.
#include "algorithms/maml/maml.h"
#include "harness/algorithm/algorithm.h"
#include "harness/algorithm/checks.h"

namespace metabench {
namespace {

METABENCH_REGISTER_ALGORITHM(AlgorithmInfo{
    "fomaml", "first-order MAML (Finn et al. 2017): MAML without second derivatives",
    /*supports_classification=*/true, /*supports_regression=*/true, maml_style_schema(),
    require_equal_train_and_test_ways, [](const AlgorithmContext& ctx) {
      return make_maml_style(ctx, Adapter{maml_adapt, maml_adapt_tasks}, /*first_order=*/true);
    }});

}  // namespace
}  // namespace metabench
