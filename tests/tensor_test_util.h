// Helpers for tests that compare a metabench kernel with LibTorch's
// operators: fresh leaves for each side of a comparison, and the largest
// difference between two results.
#pragma once

#include <ATen/ATen.h>

#include <vector>

namespace metabench::testing {

// Detached copies of the defined tensors of `tensors`, each in its own
// layout, that require grad: one side's leaves, sharing no graph with the
// other side's.
inline std::vector<at::Tensor> fresh_leaves(const std::vector<at::Tensor>& tensors) {
  std::vector<at::Tensor> leaves;
  for (const at::Tensor& t : tensors) {
    if (t.defined()) {
      leaves.push_back(t.detach().clone(at::MemoryFormat::Preserve).requires_grad_(true));
    }
  }
  return leaves;
}

// max |a - b| over all entries.
inline double max_difference(const at::Tensor& a, const at::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

}  // namespace metabench::testing
