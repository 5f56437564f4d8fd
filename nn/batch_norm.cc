#include "nn/batch_norm.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/custom_function.h>
#include <torch/csrc/autograd/functions/utils.h>

#include "nn/batch_norm_kernel.h"

namespace metabench {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// The backward of batch norm on the [M, C] matrix as an autograd function:
// (gy, x, weight) -> (gx, gw, gb) by LibTorch's own kernel, so first
// derivatives are its; its backward is nn/batch_norm_kernel.h.
struct BatchNormBackwardFunction : public torch::autograd::Function<BatchNormBackwardFunction> {
  static variable_list forward(AutogradContext* ctx, const at::Tensor& gy, const at::Tensor& x,
                               const at::Tensor& weight, const at::Tensor& mean,
                               const at::Tensor& invstd, double eps) {
    ctx->save_for_backward({gy, x, weight, mean, invstd});
    ctx->saved_data["eps"] = eps;
    ctx->set_materialize_grads(false);
    auto [gx, gw, gb] =
        at::native_batch_norm_backward(gy, x, weight, /*running_mean=*/{}, /*running_var=*/{}, mean,
                                       invstd, /*train=*/true, eps, {true, true, true});
    return {gx, gw, gb};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const variable_list s = ctx->get_saved_variables();
    const BatchNormGradients d =
        batch_norm_double_backward(s[0], s[1], s[2], s[3], s[4], ctx->saved_data["eps"].toDouble(),
                                   grads[0], grads[1], grads[2]);
    return {d.gy, d.x, d.weight, {}, {}, {}};
  }
};

struct BatchNormFunction : public torch::autograd::Function<BatchNormFunction> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& weight,
                            const at::Tensor& bias, double eps) {
    auto [y, mean, invstd] = at::native_batch_norm(x, weight, bias, /*running_mean=*/{},
                                                   /*running_var=*/{}, /*training=*/true,
                                                   /*momentum=*/0.0, eps);
    ctx->save_for_backward({x, weight, mean, invstd});
    ctx->saved_data["eps"] = eps;
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const variable_list s = ctx->get_saved_variables();
    const variable_list g = BatchNormBackwardFunction::apply(grads[0], s[0], s[1], s[2], s[3],
                                                             ctx->saved_data["eps"].toDouble());
    return {g[0], g[1], g[2], {}};
  }
};

}  // namespace

std::vector<at::Tensor> batch_norm_backward_rows(const at::Tensor& gy, const at::Tensor& x,
                                                 const at::Tensor& weight, const at::Tensor& mean,
                                                 const at::Tensor& invstd, double eps) {
  return BatchNormBackwardFunction::apply(gy, x, weight, mean, invstd, eps);
}

at::Tensor batch_norm_train(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias,
                            double eps) {
  // A one-channel map is contiguous in both layouts, and LibTorch runs it
  // as NCHW: nothing to gain, so it keeps LibTorch's own path too.
  if (x.dim() != 4 || x.size(1) == 1 || !x.is_contiguous(at::MemoryFormat::ChannelsLast)) {
    return at::batch_norm(x, weight, bias, /*running_mean=*/{}, /*running_var=*/{},
                          /*training=*/true, /*momentum=*/0.0, eps, /*cudnn_enabled=*/true);
  }
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  // [N, H, W, C] is the memory order: both reshapes are views.
  const at::Tensor rows = x.permute({0, 2, 3, 1}).reshape({n * h * w, c});
  const bool recorded = torch::autograd::compute_requires_grad(x, weight, bias);
  const at::Tensor y =
      recorded && weight.defined() && bias.defined()
          ? BatchNormFunction::apply(rows, weight, bias, eps)
          : at::batch_norm(rows, weight, bias, {}, {}, /*training=*/true, /*momentum=*/0.0, eps,
                           /*cudnn_enabled=*/true);
  return y.view({n, h, w, c}).permute({0, 3, 1, 2});
}

}  // namespace metabench
