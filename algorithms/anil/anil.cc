#include "algorithms/anil/anil.h"

#include <ATen/ATen.h>

#include "metabench/algorithm.h"
#include "metabench/losses.h"
#include "metabench/param_set.h"

namespace metabench {

namespace {

// `params` with the head adapted by SGD on `head_loss(features, head)`; the
// body's entries are returned as they are.  The body does not change in the
// inner loop, so its features are computed once by the caller; without
// create_graph nothing differentiates through them and their graph is
// dropped.
template <typename HeadLoss>
std::vector<at::Tensor> adapt_head(const MamlNetwork& net, std::vector<at::Tensor> params,
                                   at::Tensor features, const HeadLoss& head_loss, int64_t steps,
                                   double inner_lr, bool create_graph) {
  if (!create_graph) features = features.detach();
  const size_t h = net.head_index();
  const std::vector<at::Tensor> head = sgd_steps(
      {params[h], params[h + 1]},
      [&](const std::vector<at::Tensor>& w) { return head_loss(features, w); }, steps, inner_lr,
      create_graph);
  params[h] = head[0];
  params[h + 1] = head[1];
  return params;
}

}  // namespace

std::vector<at::Tensor> anil_adapt(const MamlNetwork& net, const std::vector<at::Tensor>& params,
                                   const Episode& episode, TaskKind kind, int64_t steps,
                                   double inner_lr, bool create_graph) {
  return adapt_head(
      net, params, net.features(episode.support_x, params),
      [&](const at::Tensor& features, const std::vector<at::Tensor>& head) {
        return task_loss(net.head(features, head), episode.support_y, kind);
      },
      steps, inner_lr, create_graph);
}

std::vector<at::Tensor> anil_adapt_tasks(const MamlNetwork& net,
                                         const std::vector<at::Tensor>& params,
                                         const at::Tensor& support_x, const at::Tensor& support_y,
                                         TaskKind kind, int64_t steps, double inner_lr,
                                         bool create_graph) {
  const std::vector<at::Tensor> stacked = expand_over_tasks(params, support_x.size(0));
  return adapt_head(
      net, stacked, net.features_tasks(support_x, stacked),
      [&](const at::Tensor& features, const std::vector<at::Tensor>& head) {
        return per_task_loss(net.head_tasks(features, head), support_y, kind).sum();
      },
      steps, inner_lr, create_graph);
}

namespace {

METABENCH_REGISTER_ALGORITHM(maml_style_algorithm(
    "anil", "ANIL (Raghu et al. 2019): MAML adapting only the final linear head",
    Adapter{anil_adapt, anil_adapt_tasks}, /*first_order=*/false));

}  // namespace
}  // namespace metabench
