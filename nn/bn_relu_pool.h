// A Conv4 block's tail, max_pool2d(relu(batch_norm_train(x, weight, bias)),
// 2) (or without the pool), as one operation with fused CPU kernels
// (nn/bn_relu_pool_kernel.h).
//
// After nn/conv2d.h and nn/batch_norm.h, the convolutions are about half of
// a Conv4 meta-iteration and the elementwise work around them most of the
// rest: in FOMAML's comparison setting (docs/performance.md) batch norm,
// ReLU, max-pool and their backwards took 0.42 s of 1.06 s an iteration.
// Fused, the tail makes four passes over the map in all where LibTorch's
// operators make about fourteen, and keeps one byte a pooled value for the
// backward instead of two full maps and int64 indices.
//
// Derivatives.  Without a graph to record (every first-order backward, and
// second-order MAML's query pass), the backward is the fused kernel.  When
// the backward itself is differentiated (a MAML inner step's create_graph),
// it is written as differentiable operations instead: the pooled gradient
// spread to the winning positions by a constant mask, then
// batch_norm_backward_rows, whose double backward is fused.  The winners
// and ReLU's mask are constant almost everywhere, as in the unfused graph.
// Values and both derivatives equal the unfused operators' to float64
// rounding (tests/bn_relu_pool_test.cc); in float32 they differ from
// LibTorch's by rounding (statistics summed in double in another order).
#pragma once

#include <ATen/core/Tensor.h>

namespace metabench {

// x [N, C, H, W]; weight, bias [C].  On CPU, float or double, x contiguous in
// channels-last layout with C > 1, weight and bias defined and (with pool)
// H, W >= 2: the fused operation, whose output is channels-last.
// Otherwise the unfused operators (nn/batch_norm.h, at::relu,
// at::max_pool2d), which compute the same values.
at::Tensor batch_norm_relu_pool(const at::Tensor& x, const at::Tensor& weight,
                                const at::Tensor& bias, bool pool, double eps = 1e-5);

}  // namespace metabench
