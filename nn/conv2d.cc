#include "nn/conv2d.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/custom_function.h>

#include <array>

namespace metabench {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct Conv2dShape {
  int64_t stride, padding, groups;
};

Conv2dShape conv2d_shape(AutogradContext* ctx) {
  return {ctx->saved_data["stride"].toInt(), ctx->saved_data["padding"].toInt(),
          ctx->saved_data["groups"].toInt()};
}

void save_conv2d_shape(AutogradContext* ctx, const Conv2dShape& s) {
  ctx->saved_data["stride"] = s.stride;
  ctx->saved_data["padding"] = s.padding;
  ctx->saved_data["groups"] = s.groups;
}

// The gradients of <gy, conv(x, w) + b> that `mask` asks for (x, w, b).
std::tuple<at::Tensor, at::Tensor, at::Tensor> conv2d_gradients(const at::Tensor& gy,
                                                                const at::Tensor& x,
                                                                const at::Tensor& w, bool bias,
                                                                const Conv2dShape& s,
                                                                std::array<bool, 3> mask) {
  const int64_t no_padding[2] = {0, 0};
  const int64_t bias_size[1] = {w.size(0)};
  return at::convolution_backward(
      gy, x, w, bias ? at::OptionalIntArrayRef(bias_size) : c10::nullopt, {s.stride, s.stride},
      {s.padding, s.padding}, {1, 1}, /*transposed=*/false, no_padding, s.groups, mask);
}

// The backward of a convolution as an autograd function: (gy, x, w) ->
// (gx, gw, gb), each only where asked for.  Its backward is the double
// backward of the file comment.
struct Conv2dBackwardFunction : public torch::autograd::Function<Conv2dBackwardFunction> {
  static variable_list forward(AutogradContext* ctx, const at::Tensor& gy, const at::Tensor& x,
                               const at::Tensor& w, int64_t stride, int64_t padding, int64_t groups,
                               bool need_x, bool need_w, bool need_b) {
    const Conv2dShape s{stride, padding, groups};
    save_conv2d_shape(ctx, s);
    ctx->save_for_backward({gy, x, w});
    ctx->set_materialize_grads(false);
    auto [gx, gw, gb] = conv2d_gradients(gy, x, w, need_b, s, {need_x, need_w, need_b});
    // LibTorch 1.13's custom functions take no undefined outputs: a
    // gradient not asked for is an empty tensor, which nothing reads.
    const at::Tensor none = at::empty({0}, gy.options());
    return {gx.defined() ? gx : none, gw.defined() ? gw : none, gb.defined() ? gb : none};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const Conv2dShape s = conv2d_shape(ctx);
    const variable_list saved = ctx->get_saved_variables();
    const at::Tensor &gy = saved[0], &x = saved[1], &w = saved[2];
    const at::Tensor &ggx = grads[0], &ggw = grads[1], &ggb = grads[2];
    at::Tensor d_gy, d_x, d_w;
    if (ctx->needs_input_grad(0)) {
      if (ggx.defined()) d_gy = at::conv2d(ggx, w, {}, s.stride, s.padding, 1, s.groups);
      if (ggw.defined()) {
        const at::Tensor t = at::conv2d(x, ggw, {}, s.stride, s.padding, 1, s.groups);
        d_gy = d_gy.defined() ? d_gy + t : t;
      }
      if (ggb.defined()) {
        const at::Tensor t = ggb.view({1, -1, 1, 1});
        d_gy = d_gy.defined() ? d_gy + t : t.expand_as(gy).contiguous(gy.suggest_memory_format());
      }
    }
    if (ggw.defined() && ctx->needs_input_grad(1)) {
      d_x = std::get<0>(conv2d_gradients(gy, x, ggw, false, s, {true, false, false}));
    }
    if (ggx.defined() && ctx->needs_input_grad(2)) {
      d_w = std::get<1>(conv2d_gradients(gy, ggx, w, false, s, {false, true, false}));
    }
    return {d_gy, d_x, d_w, {}, {}, {}, {}, {}, {}};
  }
};

struct Conv2dFunction : public torch::autograd::Function<Conv2dFunction> {
  // The bias is optional: custom functions take no undefined inputs.
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& w,
                            const c10::optional<at::Tensor>& b, int64_t stride, int64_t padding,
                            int64_t groups) {
    save_conv2d_shape(ctx, {stride, padding, groups});
    ctx->saved_data["bias"] = b.has_value();
    ctx->save_for_backward({x, w});
    return at::conv2d(x, w, b, stride, padding, 1, groups);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const Conv2dShape s = conv2d_shape(ctx);
    const variable_list saved = ctx->get_saved_variables();
    const bool bias = ctx->saved_data["bias"].toBool();
    variable_list g = Conv2dBackwardFunction::apply(
        grads[0], saved[0], saved[1], s.stride, s.padding, s.groups, ctx->needs_input_grad(0),
        ctx->needs_input_grad(1), bias && ctx->needs_input_grad(2));
    return {ctx->needs_input_grad(0) ? g[0] : at::Tensor(),
            ctx->needs_input_grad(1) ? g[1] : at::Tensor(),
            bias && ctx->needs_input_grad(2) ? g[2] : at::Tensor(),
            {},
            {},
            {}};
  }
};

}  // namespace

at::Tensor conv2d_second_order(const at::Tensor& x, const at::Tensor& weight,
                               const at::Tensor& bias, int64_t stride, int64_t padding,
                               int64_t groups) {
  return Conv2dFunction::apply(x, weight,
                               bias.defined() ? c10::optional<at::Tensor>(bias) : c10::nullopt,
                               stride, padding, groups);
}

}  // namespace metabench
