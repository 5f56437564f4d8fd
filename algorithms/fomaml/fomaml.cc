// First-order MAML (Finn et al. 2017, sec. 5.2): MAML's code path with the
// inner-loop gradients treated as constants, so no second derivatives are
// computed.  See algorithms/maml_style/maml_style.h.
#include "algorithms/maml_style/maml_style.h"
#include "metabench/algorithm.h"

namespace metabench {
namespace {

METABENCH_REGISTER_ALGORITHM(maml_style_algorithm(
    "fomaml", "first-order MAML (Finn et al. 2017): MAML without second derivatives",
    Adapter{maml_adapt, maml_adapt_tasks}, /*first_order=*/true));

}  // namespace
}  // namespace metabench
