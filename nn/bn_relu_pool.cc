#include "nn/bn_relu_pool.h"

#include <ATen/ATen.h>
#include <ATen/record_function.h>
#include <torch/csrc/autograd/custom_function.h>
#include <torch/csrc/autograd/functions/utils.h>

#include "nn/batch_norm.h"
#include "nn/bn_relu_pool_kernel.h"

namespace metabench {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// The gradient of the map before the pool and ReLU, [M, C] rows, from g,
// the output's gradient [N, C, Ho, Wo], as differentiable operations: each
// pooled value's gradient goes to its window's winner (codes), nowhere
// where ReLU zeroed it; an odd last row or column gets none.
at::Tensor spread_to_winners(const at::Tensor& g, const at::Tensor& codes, int64_t h, int64_t w,
                             bool pool) {
  const int64_t n = g.size(0), c = g.size(1), ho = g.size(2), wo = g.size(3);
  const at::Tensor rows = g.permute({0, 2, 3, 1});  // [N, Ho, Wo, C]
  const at::Tensor code = codes.view({n, ho, wo, 1, c});
  if (!pool) return (rows * code.squeeze(3).eq(0).to(g.scalar_type())).reshape({n * h * w, c});
  const at::Tensor at_position = at::arange(4, code.options()).view({1, 1, 1, 4, 1});
  const at::Tensor mask = code.eq(at_position).to(g.scalar_type());  // [N, Ho, Wo, 4, C]
  at::Tensor full = (rows.unsqueeze(3) * mask)
                        .view({n, ho, wo, 2, 2, c})
                        .permute({0, 1, 3, 2, 4, 5})
                        .reshape({n, 2 * ho, 2 * wo, c});
  if (2 * ho != h || 2 * wo != w) {
    // Pad spec from the last dimension: C by nothing, W then H at the end.
    full = at::constant_pad_nd(full, {0, 0, 0, w - 2 * wo, 0, h - 2 * ho});
  }
  return full.reshape({n * h * w, c});
}

struct BnReluPoolFunction : public torch::autograd::Function<BnReluPoolFunction> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& weight,
                            const at::Tensor& bias, bool pool, double eps) {
    BnReluPoolForward f = bn_relu_pool_forward(x, weight, bias, pool, eps, /*keep_codes=*/true);
    ctx->save_for_backward({x, weight, f.mean, f.invstd, f.codes});
    ctx->saved_data["pool"] = pool;
    ctx->saved_data["eps"] = eps;
    ctx->set_materialize_grads(false);
    return f.out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const at::Tensor& g = grads[0];
    if (!g.defined()) return {at::Tensor(), at::Tensor(), at::Tensor(), {}, {}};
    const variable_list s = ctx->get_saved_variables();
    const at::Tensor &x = s[0], &weight = s[1], &mean = s[2], &invstd = s[3], &codes = s[4];
    const bool pool = ctx->saved_data["pool"].toBool();
    const double eps = ctx->saved_data["eps"].toDouble();
    // No graph to record (every backward but a MAML inner step's): fused.
    if (!torch::autograd::compute_requires_grad(g, x, weight)) {
      RECORD_FUNCTION("metabench::batch_norm_relu_pool_backward", std::vector<c10::IValue>());
      auto [gx, gw, gb] = bn_relu_pool_backward(g, x, weight, mean, invstd, codes, pool);
      return {gx, gw, gb, {}, {}};
    }
    const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
    const at::Tensor x_rows = x.permute({0, 2, 3, 1}).reshape({n * h * w, c});
    const std::vector<at::Tensor> d = batch_norm_backward_rows(
        spread_to_winners(g, codes, h, w, pool), x_rows, weight, mean, invstd, eps);
    return {d[0].view({n, h, w, c}).permute({0, 3, 1, 2}), d[1], d[2], {}, {}};
  }
};

bool fusable(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias, bool pool) {
  if (x.dim() != 4 || !x.device().is_cpu() || x.size(1) < 2) return false;
  if (x.scalar_type() != at::kFloat && x.scalar_type() != at::kDouble) return false;
  if (!weight.defined() || !bias.defined() || weight.scalar_type() != x.scalar_type() ||
      bias.scalar_type() != x.scalar_type()) {
    return false;
  }
  if (pool && (x.size(2) < 2 || x.size(3) < 2)) return false;
  return x.numel() > 0 && x.is_contiguous(at::MemoryFormat::ChannelsLast);
}

}  // namespace

at::Tensor batch_norm_relu_pool(const at::Tensor& x, const at::Tensor& weight,
                                const at::Tensor& bias, bool pool, double eps) {
  // Named in profiles (a custom autograd function's forward is not an
  // operator LibTorch's profiler records by itself).
  RECORD_FUNCTION("metabench::batch_norm_relu_pool", std::vector<c10::IValue>());
  if (!fusable(x, weight, bias, pool)) {
    const at::Tensor y = at::relu(batch_norm_train(x, weight, bias, eps));
    return pool ? at::max_pool2d(y, {2, 2}) : y;
  }
  if (!torch::autograd::compute_requires_grad(x, weight, bias))
    return bn_relu_pool_forward(x, weight, bias, pool, eps, false).out;
  return BnReluPoolFunction::apply(x, weight, bias, pool, eps);
}

}  // namespace metabench
