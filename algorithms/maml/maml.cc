// MAML (Finn et al. 2017), second order: the MAML-style learner of
// algorithms/maml_style/ adapting every parameter, differentiating through
// the inner updates.
#include "algorithms/maml_style/maml_style.h"
#include "metabench/algorithm.h"

namespace metabench {
namespace {

METABENCH_REGISTER_ALGORITHM(maml_style_algorithm(
    "maml", "MAML (Finn et al. 2017): second-order meta-gradient through K inner SGD steps",
    Adapter{maml_adapt, maml_adapt_tasks}, /*first_order=*/false));

}  // namespace
}  // namespace metabench
