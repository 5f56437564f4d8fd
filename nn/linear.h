// Task-batched linear layers, for the batched inner loops of MAML-style
// learners and the MLP backbone's forward_tasks().
#pragma once

#include <ATen/core/Tensor.h>

namespace metabench {

// A linear layer per task: x [tasks, n, in], weight [tasks, out, in], bias
// [tasks, out]; returns [tasks, n, out].  One input or one output (the
// sinusoid MLP's first layer and head) runs as broadcast element-wise
// products, other layers as small_bmm (see there: LibTorch's CPU batched
// matrix product costs about 1.2 us per task, which dominates tiny tasks).
at::Tensor linear_tasks(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias);

}  // namespace metabench
