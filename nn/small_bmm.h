// Batched matrix products of many small matrices, for task-batched inner
// loops (the sinusoid MLP: 25 tasks of 10x40 by 40x40).
//
// LibTorch 1.13's CPU at::bmm splits its batch into one GEMM call per
// matrix, each through the dispatcher (select, as_strided, addmm_): about
// 1.2 us per matrix, 31 us for the sinusoid layer, which made batched
// matrix products most of a sinusoid meta-iteration.  small_bmm computes
// the whole batch in one loop instead and is differentiable to any order
// (its backward is made of small_bmm again), so second-order MAML can use
// it.  Results equal at::bmm up to float rounding (summation order).
#pragma once

#include <ATen/core/Tensor.h>

namespace metabench {

// a [batch, m, k] times b [batch, k, n] -> [batch, m, n], any strides.
// Runs its own kernel for CPU float32/float64 tensors when there are several
// products, each small (m * k * n <= kSmallBmmMaxMacs) with at least
// kSmallBmmMinColumns output columns (narrower rows do not fill a vector and
// run faster as GEMM calls, like a 5-way head); otherwise, and on other
// devices or types, it is at::bmm.
at::Tensor small_bmm(const at::Tensor& a, const at::Tensor& b);

// Multiply-adds per matrix product up to which small_bmm uses its kernel:
// above it, one GEMM call per matrix costs little next to the arithmetic.
constexpr int64_t kSmallBmmMaxMacs = 65536;
constexpr int64_t kSmallBmmMinColumns = 8;

}  // namespace metabench
