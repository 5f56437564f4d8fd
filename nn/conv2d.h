// A 2-D convolution whose second derivative runs as fast as its first, for
// second-order MAML through convolutional backbones.
//
// LibTorch 1.13 differentiates a convolution's backward with a transposed
// convolution for the input's term (the derivative of the weight gradient
// with respect to the input), and on CPU oneDNN does not take transposed
// convolutions: they run slow_conv_transpose2d, an im2col loop.  In a
// profile of the quick tier's second-order MAML 5-way 5-shot iteration
// (Conv4 at width 32, 28x28) that one kernel was 44% of the time.  conv2d()
// computes the same values as at::conv2d, and its backward is itself an
// autograd function whose own backward is made of forward convolutions and
// convolution_backward calls (oneDNN's backward-data and backward-weights
// kernels), which need no transposed convolution:
//
//   with gx, gw = d<gy, conv(x, w)>/dx, /dw, for incoming ggx and ggw,
//   d/dgy = conv(ggx, w) + conv(x, ggw) (+ ggb per channel),
//   d/dx  = the input gradient of conv(x, ggw) at gy,
//   d/dw  = the weight gradient of conv(ggx, w) at gy.
//
// The first derivative is the one at::conv2d's backward computes (the same
// convolution_backward call), so first-order algorithms get bit-identical
// gradients; second derivatives agree to float rounding (tests in float64
// against autograd through at::conv2d, tests/conv2d_test.cc).
#pragma once

#include <ATen/core/Tensor.h>

namespace metabench {

// The value of at::conv2d(x, weight, bias, stride, padding, /*dilation=*/1,
// groups), for x [N, groups * C, H, W], weight [groups * O, C, kH, kW] and
// bias [groups * O] or undefined.  Differentiable twice; a third
// derivative, should anything take one, uses LibTorch's own formulas.
at::Tensor conv2d_second_order(const at::Tensor& x, const at::Tensor& weight,
                               const at::Tensor& bias, int64_t stride = 1, int64_t padding = 0,
                               int64_t groups = 1);

}  // namespace metabench
