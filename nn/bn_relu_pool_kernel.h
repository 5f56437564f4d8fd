// The kernels of a Conv4 block's tail fused: batch norm with batch
// statistics, ReLU and (optionally) a 2x2 max-pool of stride 2, on a
// channels-last map held as rows [N * H * W, C] (nn/bn_relu_pool.h puts the
// autograd function around them).
//
// Unfused, the tail writes and reads four full-size maps (the normalised
// map, its ReLU, the pool's int64 indices, and in the backward the pool's
// scattered gradient and ReLU's masked one) around batch norm's own passes.
// Here the forward reads x twice (the statistics, then the output) and
// writes the pooled output and one byte a pooled value: which of the four
// window positions won, or that ReLU zeroed it.  The backward reads the
// winners once for the two per-channel sums batch norm's gradient needs,
// then x once to write the input gradient.
//
// Sums run in double over fixed chunks of rows, added in chunk order, so
// the results do not depend on the number of threads.  The max-pool keeps
// the first of equal values, as LibTorch's does; a NaN output stays NaN.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <tuple>

namespace metabench {

// A window position that ReLU zeroed: no gradient flows to it.
constexpr uint8_t kBnReluPoolInactive = 255;

struct BnReluPoolForward {
  at::Tensor out;     // [N, C, Ho, Wo], channels-last; Ho = H / 2 with pool, else H
  at::Tensor mean;    // [C], x's dtype
  at::Tensor invstd;  // [C]: 1 / sqrt(biased variance + eps)
  at::Tensor codes;   // [N * Ho * Wo, C] uint8 (undefined unless asked for)
};

// x [N, C, H, W] float or double, contiguous in channels-last layout, on CPU;
// weight and bias [C] of its dtype; with `pool`, H and W at least 2 (an odd
// last row or column takes part in the statistics, not in the pool).
BnReluPoolForward bn_relu_pool_forward(const at::Tensor& x, const at::Tensor& weight,
                                       const at::Tensor& bias, bool pool, double eps,
                                       bool keep_codes);

// The gradients with respect to x ([N, C, H, W], channels-last), weight and
// bias, given g, the gradient of the output ([N, C, Ho, Wo], any layout),
// and what the forward kept.
std::tuple<at::Tensor, at::Tensor, at::Tensor> bn_relu_pool_backward(
    const at::Tensor& g, const at::Tensor& x, const at::Tensor& weight, const at::Tensor& mean,
    const at::Tensor& invstd, const at::Tensor& codes, bool pool);

}  // namespace metabench
