// Batch normalisation with batch statistics (no running statistics), as
// every metabench backbone uses it, whose double backward is fast in
// channels-last layout.
//
// LibTorch 1.13 differentiates a 4-D batch norm's backward with a formula
// that reduces over (N, H, W) one dimension at a time (sum_exclude_dim1):
// on a channels-last tensor each pass strides across the channels, and in a
// profile of second-order MAML through Conv4 (quick tier, 5-way 5-shot)
// those sums and the products around them were the largest cost left after
// nn/conv2d.h.  A channels-last [N, C, H, W] tensor is in memory the matrix
// [N * H * W, C], so batch_norm_train() normalises that matrix instead: the
// same per-channel statistics, and every reduction is a single pass over
// its rows.  Its double backward is fused (nn/batch_norm_kernel.h): two
// passes over the rows.  Quick MAML 5-way 5-shot at 1 thread: 0.33 s an
// iteration with the 4-D batch norm, 0.215 on the matrix, 0.19 fused
// (docs/performance.md).
//
// Values and first derivatives are bit-identical to at::batch_norm's on the
// 4-D tensor (LibTorch's own kernels compute them), so first-order
// algorithms record exactly what they did; second derivatives agree to
// float rounding (tests/batch_norm_test.cc, in float64).  ResNet-12 uses
// it; Conv4 fuses batch norm with its ReLU and max-pool (nn/bn_relu_pool.h),
// whose differentiable backward calls batch_norm_backward_rows below.
#pragma once

#include <ATen/core/Tensor.h>

#include <vector>

namespace metabench {

// at::batch_norm(x, weight, bias, {}, {}, /*training=*/true, 0, eps) for x
// [N, C, H, W] and weight, bias [C] (either may be undefined).  A tensor
// not contiguous in channels-last layout goes to at::batch_norm as it is.
at::Tensor batch_norm_train(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                            double eps = 1e-5);

// Batch norm's backward on the [M, C] matrix of a channels-last map, as a
// differentiable function of gy, x and weight (its double backward is
// nn/batch_norm_kernel.h's): LibTorch's kernel given the statistics the
// forward saved (mean and invstd [C], as at::native_batch_norm returns
// them).  Returns {gx [M, C], gweight [C], gbias [C]}.
std::vector<at::Tensor> batch_norm_backward_rows(const at::Tensor& gy, const at::Tensor& x,
                                                 const at::Tensor& weight, const at::Tensor& mean,
                                                 const at::Tensor& invstd, double eps);

}  // namespace metabench
