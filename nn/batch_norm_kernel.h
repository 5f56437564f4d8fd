// The double backward of batch normalisation with batch statistics, on the
// matrix [M, C] of a channels-last map (nn/batch_norm.h): rows are the
// examples' positions, columns the channels.
//
// With x^ = (x - mean) * invstd per channel and the first backward
//   gx = w * invstd * (gy - mean(gy) - x^ * mean(gy * x^)),
//   gw = sum(gy * x^),  gb = sum(gy),
// incoming ggx, ggw and ggb (any may be undefined: zero) give
//   d/dgy = ggb + ggw * x^ + w * invstd * (ggx - mean(ggx) - x^ * mean(ggx * x^)),
//   d/dw  = invstd * sum(ggx * (gy - mean(gy) - x^ * mean(gy * x^))),
//   d/dx  = the derivative of <ggw, gw> + <ggx, gx> through x^ and invstd
//           (batch_norm_kernel.cc derives it).
// On CPU, for float and double, without a graph to record, the kernel makes
// two passes over the rows (the per-channel sums, then the outputs) where
// LibTorch's formula makes about twenty tensor operations.  Otherwise
// (recording a graph, as for a third derivative; another device) it
// computes the same formulas with differentiable tensor operations, the
// statistics taken again from x.  Tested to give the same second
// derivatives; third derivatives are not tested (no algorithm takes one).
#pragma once

#include <ATen/core/Tensor.h>

namespace metabench {

struct BatchNormGradients {
  at::Tensor gy, x, weight;  // d/dgy [M, C], d/dx [M, C], d/dweight [C]
};

// gy, x [M, C]; weight, mean, invstd [C] (mean and invstd as
// at::native_batch_norm saved them); ggx [M, C], ggw, ggb [C] or undefined.
BatchNormGradients batch_norm_double_backward(const at::Tensor& gy, const at::Tensor& x,
                                              const at::Tensor& weight, const at::Tensor& mean,
                                              const at::Tensor& invstd, double eps,
                                              const at::Tensor& ggx, const at::Tensor& ggw,
                                              const at::Tensor& ggb);

}  // namespace metabench
