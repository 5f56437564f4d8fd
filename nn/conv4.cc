// Conv4 (Vinyals et al. 2016; used by MAML, ProtoNets and most few-shot
// papers): four blocks of [3x3 conv (padding 1), batch norm, ReLU, 2x2 max
// pool], `model.width` channels each.  Output: the flattened feature map,
// width * (H/16) * (W/16) features (64 for 28x28 inputs at width 64).
//
// forward_tasks() puts the tasks side by side in the channel dimension,
// [batch, tasks * channels, H, W]: one grouped convolution (groups = tasks)
// applies each task's weights to its own channels, and batch norm over those
// channels computes each task's statistics separately, exactly as the
// per-task forward does.
//
// Both run in channels-last layout.  oneDNN's grouped convolution is 1.8x
// faster so on an AVX-512 Xeon (measured 2026-12-01, docs/performance.md)
// and no slower on the AVX2 EPYC where task stacking was first tuned.  The
// per-task forward uses the same layout because LibTorch's channels-last
// batch norm sums in another order than its NCHW one: with one layout for
// both, a task computes the same values alone or stacked.
#include <ATen/ATen.h>

#include "metabench/backbone.h"
#include "metabench/errors.h"

namespace metabench {
namespace {

constexpr int kBlocks = 4;

// `x` with channels-last strides.  contiguous(ChannelsLast) keeps a
// one-channel image's NCHW strides (both layouts fit it), and LibTorch then
// runs the whole network in NCHW.
at::Tensor channels_last(const at::Tensor& x) {
  if (x.suggest_memory_format() == at::MemoryFormat::ChannelsLast) return x;
  return at::empty(x.sizes(), x.options().memory_format(at::MemoryFormat::ChannelsLast)).copy_(x);
}

class Conv4 : public Backbone {
 public:
  Conv4(int64_t channels, int64_t height, int64_t width_px, int64_t width)
      : channels_(channels), width_(width) {
    int64_t h = height, w = width_px;
    for (int i = 0; i < kBlocks; ++i) {
      h /= 2;
      w /= 2;
    }
    if (h < 1 || w < 1) {
      throw ConfigError("backbone 'conv4' needs images of at least 16x16 pixels, got " +
                        std::to_string(height) + "x" + std::to_string(width_px));
    }
    output_dim_ = width * h * w;
  }

  std::vector<ParamSpec> param_specs() const override {
    std::vector<ParamSpec> specs;
    int64_t in = channels_;
    for (int i = 0; i < kBlocks; ++i) {
      const std::string b = "block" + std::to_string(i);
      const int64_t fan_in = in * 9;
      specs.push_back(
          {b + ".conv.weight", {width_, in, 3, 3}, ParamSpec::Init::kUniformFanIn, fan_in});
      specs.push_back({b + ".conv.bias", {width_}, ParamSpec::Init::kUniformFanIn, fan_in});
      specs.push_back({b + ".bn.weight", {width_}, ParamSpec::Init::kOnes, 1});
      specs.push_back({b + ".bn.bias", {width_}, ParamSpec::Init::kZeros, 1});
      in = width_;
    }
    return specs;
  }

  at::Tensor forward(const at::Tensor& x, at::TensorList p) const override {
    return blocks(channels_last(x), p, /*groups=*/1).flatten(1);
  }

  at::Tensor forward_tasks(const at::Tensor& x, at::TensorList p) const override {
    const int64_t tasks = x.size(0), batch = x.size(1);
    // Task t's weights become group t: conv weights [tasks * out, in, 3, 3],
    // per-channel vectors [tasks * width].
    std::vector<at::Tensor> grouped;
    for (const at::Tensor& t : p) {
      std::vector<int64_t> shape = {tasks * t.size(1)};
      shape.insert(shape.end(), t.sizes().begin() + 2, t.sizes().end());
      grouped.push_back(t.reshape(shape));
    }
    // Channels-last, as forward(): see the file comment.
    const at::Tensor h =
        channels_last(x.transpose(0, 1).reshape({batch, tasks * x.size(2), x.size(3), x.size(4)}));
    return blocks(h, grouped, tasks).reshape({batch, tasks, -1}).transpose(0, 1);
  }

  int64_t output_dim() const override { return output_dim_; }

 private:
  // The four blocks on [batch, groups * channels, H, W] with `groups`
  // independent sets of weights stacked along the output channels.
  static at::Tensor blocks(at::Tensor h, at::TensorList p, int64_t groups) {
    for (int i = 0; i < kBlocks; ++i) {
      h = at::conv2d(h, p[4 * i], p[4 * i + 1], /*stride=*/1, /*padding=*/1, /*dilation=*/1,
                     groups);
      // Batch statistics always (training=true), no running statistics.
      h = at::batch_norm(h, p[4 * i + 2], p[4 * i + 3], /*running_mean=*/{}, /*running_var=*/{},
                         /*training=*/true, /*momentum=*/0.0, /*eps=*/1e-5,
                         /*cudnn_enabled=*/true);
      h = at::relu(h);
      h = at::max_pool2d(h, {2, 2});
    }
    return h;
  }

  int64_t channels_, width_, output_dim_ = 0;
};

METABENCH_REGISTER_BACKBONE(
    BackboneInfo("conv4", "4 x [3x3 conv, batch norm, ReLU, 2x2 max-pool], model.width channels")
        .inputs(/*images=*/true, /*vectors=*/false)
        .factory([](const BackboneContext& ctx) -> std::unique_ptr<Backbone> {
          const std::vector<int64_t>& shape = ctx.input_shape;
          return std::make_unique<Conv4>(shape.at(0), shape.at(1), shape.at(2),
                                         ctx.settings.model_width);
        }));

}  // namespace
}  // namespace metabench
