#include "algorithms/anil/anil.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>

#include "harness/algorithm/algorithm.h"
#include "harness/algorithm/checks.h"
#include "harness/algorithm/losses.h"
#include "harness/model/params.h"

namespace metabench {

std::vector<at::Tensor> anil_adapt(const MamlNetwork& net, const std::vector<at::Tensor>& params,
                                   const Episode& episode, TaskKind kind, int64_t steps,
                                   double inner_lr, bool create_graph) {
  const size_t h = net.head_index();
  // The body does not change in the inner loop, so its features are computed
  // once.  Without create_graph nothing differentiates through them, so the
  // body's graph is dropped.
  at::Tensor features = net.features(episode.support_x, params);
  if (!create_graph) features = features.detach();
  std::vector<at::Tensor> head = {params[h], params[h + 1]};
  for (int64_t step = 0; step < steps; ++step) {
    const at::Tensor loss = task_loss(net.head(features, head), episode.support_y, kind);
    const std::vector<at::Tensor> grads =
        torch::autograd::grad({loss}, head, /*grad_outputs=*/{}, /*retain_graph=*/true,
                              /*create_graph=*/create_graph);
    for (size_t i = 0; i < head.size(); ++i) head[i] = at::sub(head[i], grads[i], inner_lr);
  }
  std::vector<at::Tensor> adapted = params;
  adapted[h] = head[0];
  adapted[h + 1] = head[1];
  return adapted;
}

std::vector<at::Tensor> anil_adapt_tasks(const MamlNetwork& net,
                                         const std::vector<at::Tensor>& params,
                                         const at::Tensor& support_x, const at::Tensor& support_y,
                                         TaskKind kind, int64_t steps, double inner_lr,
                                         bool create_graph) {
  std::vector<at::Tensor> adapted = expand_over_tasks(params, support_x.size(0));
  const size_t h = net.head_index();
  at::Tensor features = net.features_tasks(support_x, adapted);
  if (!create_graph) features = features.detach();
  std::vector<at::Tensor> head = {adapted[h], adapted[h + 1]};
  for (int64_t step = 0; step < steps; ++step) {
    const at::Tensor loss = per_task_loss(net.head_tasks(features, head), support_y, kind).sum();
    const std::vector<at::Tensor> grads =
        torch::autograd::grad({loss}, head, /*grad_outputs=*/{}, /*retain_graph=*/true,
                              /*create_graph=*/create_graph);
    for (size_t i = 0; i < head.size(); ++i) head[i] = at::sub(head[i], grads[i], inner_lr);
  }
  adapted[h] = head[0];
  adapted[h + 1] = head[1];
  return adapted;
}

namespace {

METABENCH_REGISTER_ALGORITHM(AlgorithmInfo{
    "anil", "ANIL (Raghu et al. 2019): MAML adapting only the final linear head",
    /*supports_classification=*/true, /*supports_regression=*/true, maml_style_schema(),
    require_equal_train_and_test_ways, [](const AlgorithmContext& ctx) {
      return make_maml_style(ctx, Adapter{anil_adapt, anil_adapt_tasks}, /*first_order=*/false);
    }});

}  // namespace
}  // namespace metabench
