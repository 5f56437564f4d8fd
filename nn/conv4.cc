// Conv4 (Vinyals et al. 2016; used by MAML, ProtoNets and most few-shot
// papers): four blocks of [3x3 conv (padding 1), batch norm, ReLU, 2x2 max
// pool], `model.width` channels each.  Output: the flattened feature map,
// width * (H/16) * (W/16) features (64 for 28x28 inputs at width 64).
//
// Two variants papers use are registered beside it, the same code with
// another block layout (a new name each, so existing configs keep their
// hash):
//  - conv4-strided: MAML's Omniglot network (Finn et al. 2017, sec. 5.2;
//    cbfinn/maml utils.conv_block without --max_pool): 3x3 convolutions of
//    stride 2 and no pooling, then the mean over the remaining 2x2 positions,
//    `width` features.  (TensorFlow's SAME padding puts stride 2's extra
//    pixel at the bottom and right; padding 1 on every side gives the same
//    output sizes.)
//  - conv4-rn: Relation Networks' embedding (Sung et al. 2018, sec. 3.4;
//    floodsung/LearningToCompare_FSL CNNEncoder): no padding and a max-pool
//    in the first two blocks, padding 1 and no pool in the last two, so it
//    keeps a feature map (64 x 5 x 5 for 28x28 inputs, 64 x 19 x 19 for
//    84x84) for a relation module to compare.
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

#include <array>

#include "metabench/backbone.h"
#include "metabench/errors.h"
#include "nn/bn_relu_pool.h"
#include "nn/conv2d.h"

namespace metabench {
namespace {

constexpr int kBlocks = 4;

// How each block convolves and pools, and what the network outputs.
struct Layout {
  const char* name;
  int64_t stride;
  std::array<int64_t, kBlocks> padding;
  std::array<bool, kBlocks> pool;
  bool spatial_mean;  // output the mean over positions rather than the map
};

constexpr Layout kConv4{"conv4", 1, {1, 1, 1, 1}, {true, true, true, true}, false};
constexpr Layout kStrided{"conv4-strided", 2, {1, 1, 1, 1}, {false, false, false, false}, true};
constexpr Layout kRelation{"conv4-rn", 1, {0, 0, 1, 1}, {true, true, false, false}, false};

// `x` with channels-last strides.  contiguous(ChannelsLast) keeps a
// one-channel image's NCHW strides (both layouts fit it), and LibTorch then
// runs the whole network in NCHW.
at::Tensor channels_last(const at::Tensor& x) {
  if (x.suggest_memory_format() == at::MemoryFormat::ChannelsLast) return x;
  return at::empty(x.sizes(), x.options().memory_format(at::MemoryFormat::ChannelsLast)).copy_(x);
}

// A side of `side` pixels after block `block` of `layout`.
int64_t side_after(const Layout& layout, int block, int64_t side) {
  side = (side + 2 * layout.padding[block] - 3) / layout.stride + 1;
  return layout.pool[block] ? side / 2 : side;
}

// The smallest image side that keeps a pixel through every block.
int64_t min_side(const Layout& layout) {
  for (int64_t s = 1;; ++s) {
    int64_t h = s;
    for (int i = 0; i < kBlocks && h >= 1; ++i) h = side_after(layout, i, h);
    if (h >= 1) return s;
  }
}

class Conv4 : public Backbone {
 public:
  Conv4(const Layout& layout, int64_t channels, int64_t height, int64_t width_px, int64_t width)
      : layout_(layout), channels_(channels), width_(width) {
    int64_t h = height, w = width_px;
    for (int i = 0; i < kBlocks; ++i) {
      h = side_after(layout, i, h);
      w = side_after(layout, i, w);
      if (h < 1 || w < 1) {
        const std::string m = std::to_string(min_side(layout));
        throw ConfigError("backbone '" + std::string(layout.name) +
                          "' leaves no pixel of images of " + std::to_string(height) + "x" +
                          std::to_string(width_px) + " after block " + std::to_string(i + 1) +
                          "; expected images of at least " + m + "x" + m);
      }
    }
    shape_ = layout.spatial_mean ? std::vector<int64_t>{width} : std::vector<int64_t>{width, h, w};
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
    return finish(blocks(channels_last(x), p, /*groups=*/1)).flatten(1);
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
    // [batch, tasks * width, H', W'] keeps each task's channels together, so
    // the split into tasks is a reshape.
    return finish(blocks(h, grouped, tasks)).reshape({batch, tasks, -1}).transpose(0, 1);
  }

  int64_t output_dim() const override {
    int64_t n = 1;
    for (int64_t d : shape_) n *= d;
    return n;
  }
  std::vector<int64_t> output_shape() const override { return shape_; }

 private:
  // The four blocks on [batch, groups * channels, H, W] with `groups`
  // independent sets of weights stacked along the output channels.
  at::Tensor blocks(at::Tensor h, at::TensorList p, int64_t groups) const {
    for (int i = 0; i < kBlocks; ++i) {
      // nn/conv2d.h: second-order MAML's double backward without
      // LibTorch's transposed convolution.
      h = conv2d_second_order(h, p[4 * i], p[4 * i + 1], layout_.stride, layout_.padding[i],
                              groups);
      // Batch norm (batch statistics always, no running statistics), ReLU
      // and the pool fused: nn/bn_relu_pool.h.
      h = batch_norm_relu_pool(h, p[4 * i + 2], p[4 * i + 3], layout_.pool[i]);
    }
    return h;
  }

  // The map, or its mean over positions ([batch, channels, 1, 1]).
  at::Tensor finish(const at::Tensor& h) const {
    return layout_.spatial_mean ? h.mean({2, 3}, /*keepdim=*/true) : h;
  }

  const Layout& layout_;
  int64_t channels_, width_;
  std::vector<int64_t> shape_;
};

BackboneInfo conv4_entry(const Layout& layout, const std::string& description) {
  return BackboneInfo(layout.name, description)
      .inputs(/*images=*/true, /*vectors=*/false)
      .factory([&layout](const BackboneContext& ctx) -> std::unique_ptr<Backbone> {
        const std::vector<int64_t>& shape = ctx.input_shape;
        return std::make_unique<Conv4>(layout, shape.at(0), shape.at(1), shape.at(2),
                                       ctx.settings.model_width);
      });
}

METABENCH_REGISTER_BACKBONE(
    conv4_entry(kConv4, "4 x [3x3 conv, batch norm, ReLU, 2x2 max-pool], model.width channels"));
METABENCH_REGISTER_BACKBONE(conv4_entry(
    kStrided, "MAML's Omniglot Conv4: 4 x [3x3 conv stride 2, batch norm, ReLU], spatial mean"));
METABENCH_REGISTER_BACKBONE(conv4_entry(
    kRelation, "Relation Networks' Conv4: max-pool in blocks 1-2 only, keeps a feature map"));

}  // namespace
}  // namespace metabench
