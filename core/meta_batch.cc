// mean_over_meta_batch() and mean_gradients_over_meta_batch(), declared in
// metabench/algorithm.h.
#include <ATen/ATen.h>

#include "metabench/algorithm.h"
#include "metabench/errors.h"

namespace metabench {

void mean_over_meta_batch(MetaBatchGroup* group, int64_t local_tasks,
                          const std::vector<at::Tensor>& tensors, StepResult& result) {
  if (group == nullptr || group->size() <= 1) return;
  at::NoGradGuard no_grad;
  // One all-reduce for everything: the tensors and the two scores, each
  // multiplied by this process's task count, then that count, so the sum
  // divided by the summed count is the mean over the whole meta-batch even
  // when the shares are uneven.
  std::vector<at::Tensor> parts;
  parts.reserve(tensors.size() + 1);
  for (const at::Tensor& t : tensors) {
    if (t.scalar_type() != at::kFloat) {
      throw InternalError("mean_over_meta_batch: expected float32 tensors, got " +
                          std::string(c10::toString(t.scalar_type())));
    }
    parts.push_back(t.reshape({-1}) * static_cast<double>(local_tasks));
  }
  const at::Device device = tensors.empty() ? at::Device(at::kCPU) : tensors[0].device();
  parts.push_back(at::tensor({static_cast<float>(result.loss * local_tasks),
                              static_cast<float>(result.accuracy * local_tasks),
                              static_cast<float>(local_tasks)},
                             at::TensorOptions().dtype(at::kFloat))
                      .to(device));
  at::Tensor flat = at::cat(parts);
  group->all_reduce_sum(flat);
  const int64_t n = flat.numel();
  const double total = flat[n - 1].item<double>();
  if (!(total > 0)) throw InternalError("mean_over_meta_batch: the group has no tasks");
  flat.div_(total);
  int64_t offset = 0;
  for (const at::Tensor& t : tensors) {
    const int64_t k = t.numel();
    at::Tensor(t).copy_(flat.slice(0, offset, offset + k).view(t.sizes()));
    offset += k;
  }
  result.loss = flat[n - 3].item<double>();
  result.accuracy = flat[n - 2].item<double>();
}

void mean_gradients_over_meta_batch(MetaBatchGroup* group, int64_t local_tasks,
                                    std::vector<at::Tensor>& params, StepResult& result) {
  if (group == nullptr || group->size() <= 1) return;
  std::vector<at::Tensor> grads;
  grads.reserve(params.size());
  for (at::Tensor& p : params) {
    if (!p.grad().defined()) p.mutable_grad() = at::zeros_like(p);
    grads.push_back(p.grad());
  }
  mean_over_meta_batch(group, local_tasks, grads, result);
}

}  // namespace metabench
