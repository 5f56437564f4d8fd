// ResNet-12, the residual backbone of most recent few-shot papers (Oreshkin
// et al. 2018, TADAM; Lee et al. 2019, MetaOptNet): four residual blocks,
// each three [3x3 convolution (no bias), batch norm, leaky ReLU (0.1)] with
// the last activation after the addition of a [1x1 convolution, batch norm]
// shortcut, then a 2x2 max-pool.  Widths model.resnet_widths (64, 160, 320,
// 640 by default).  Output: the mean over the last map's positions
// (model.resnet_pool: avg, 640 features), or the map itself (none:
// 640 x 5 x 5 on 84x84 images, for a relation module).
//
// model.dropblock_rate > 0 adds DropBlock (nn/dropblock.h) after the
// pooling of blocks 3 and 4, with squares of model.dropblock_size (clipped
// to the map), as in MetaOptNet's ResNet-12; it is on during meta-training
// only (metabench/training_mode.h), its rate optionally ramped up over the
// first model.dropblock_ramp of training.  MetaOptNet also applies plain
// dropout in blocks 1 and 2; metabench does not.
//
// Functional like Conv4 (explicit parameters, batch statistics always), so
// every algorithm runs it, the gradient-based ones included.
// forward_tasks() is the Backbone default, one task after another: correct,
// not yet task-stacked.
#include <ATen/ATen.h>

#include "metabench/backbone.h"
#include "metabench/errors.h"
#include "metabench/training_mode.h"
#include "nn/batch_norm.h"
#include "nn/conv2d.h"
#include "nn/dropblock.h"

namespace metabench {
namespace {

struct ResNetOptions {
  std::vector<int64_t> resnet_widths = {64, 160, 320, 640};
  std::string resnet_pool = "avg";
  double dropblock_rate = 0.0;
  int64_t dropblock_size = 5;
  double dropblock_ramp = 0.0;
};

OptionsSchema<ResNetOptions> resnet_options() {
  OptionsSchema<ResNetOptions> s;
  s.add_int_list("resnet_widths", &ResNetOptions::resnet_widths,
                 "resnet12: channels of the four residual blocks")
      .min(1)
      .max(8192);
  s.add_string("resnet_pool", &ResNetOptions::resnet_pool,
               "resnet12: avg (mean over the last map's positions) or none (the map)")
      .choices({"avg", "none"});
  // Added after resnet12 runs were recorded: hashes stay as they were at the
  // defaults.
  s.add_float("dropblock_rate", &ResNetOptions::dropblock_rate,
              "resnet12: DropBlock's drop rate in blocks 3 and 4 during meta-training "
              "(0 = off; MetaOptNet: 0.1)")
      .min(0.0)
      .max(0.9)
      .omitted_at_default();
  s.add_int("dropblock_size", &ResNetOptions::dropblock_size,
            "resnet12: DropBlock's square side, clipped to the map (MetaOptNet: 5)")
      .min(1)
      .max(64)
      .omitted_at_default();
  s.add_float("dropblock_ramp", &ResNetOptions::dropblock_ramp,
              "resnet12: fraction of training over which the drop rate rises linearly from 0 "
              "(0 = the full rate from the start)")
      .min(0.0)
      .max(1.0)
      .omitted_at_default();
  return s;
}

constexpr int kConvs = 3;                  // per block
constexpr int kPerBlock = 3 * kConvs + 3;  // conv + bn weight + bn bias, x3; shortcut conv + bn

class ResNet12 : public Backbone {
 public:
  ResNet12(int64_t channels, int64_t height, int64_t width_px, const ResNetOptions& o)
      : channels_(channels),
        widths_(o.resnet_widths),
        avg_(o.resnet_pool == "avg"),
        drop_rate_(o.dropblock_rate),
        drop_size_(o.dropblock_size),
        drop_ramp_(o.dropblock_ramp) {
    if (widths_.size() != 4) {
      throw ConfigError("model.resnet_widths: expected 4 widths, one per residual block, got " +
                        std::to_string(widths_.size()));
    }
    int64_t h = height, w = width_px;
    for (int b = 0; b < 4; ++b) {
      h /= 2;
      w /= 2;
    }
    if (h < 1 || w < 1) {
      throw ConfigError("backbone 'resnet12' needs images of at least 16x16 pixels, got " +
                        std::to_string(height) + "x" + std::to_string(width_px));
    }
    shape_ =
        avg_ ? std::vector<int64_t>{widths_.back()} : std::vector<int64_t>{widths_.back(), h, w};
  }

  std::vector<ParamSpec> param_specs() const override {
    std::vector<ParamSpec> specs;
    int64_t in = channels_;
    for (size_t b = 0; b < widths_.size(); ++b) {
      const std::string p = "block" + std::to_string(b);
      const int64_t out = widths_[b];
      for (int c = 0; c < kConvs; ++c) {
        const int64_t conv_in = c == 0 ? in : out;
        const std::string n = p + ".conv" + std::to_string(c + 1);
        specs.push_back(
            {n + ".weight", {out, conv_in, 3, 3}, ParamSpec::Init::kUniformFanIn, conv_in * 9});
        specs.push_back(
            {p + ".bn" + std::to_string(c + 1) + ".weight", {out}, ParamSpec::Init::kOnes, 1});
        specs.push_back(
            {p + ".bn" + std::to_string(c + 1) + ".bias", {out}, ParamSpec::Init::kZeros, 1});
      }
      specs.push_back(
          {p + ".shortcut.weight", {out, in, 1, 1}, ParamSpec::Init::kUniformFanIn, in});
      specs.push_back({p + ".shortcut.bn.weight", {out}, ParamSpec::Init::kOnes, 1});
      specs.push_back({p + ".shortcut.bn.bias", {out}, ParamSpec::Init::kZeros, 1});
      in = out;
    }
    return specs;
  }

  at::Tensor forward(const at::Tensor& x, at::TensorList p) const override {
    at::Tensor h = x;
    for (size_t b = 0; b < widths_.size(); ++b) {
      const at::TensorList q = p.slice(b * kPerBlock, kPerBlock);
      at::Tensor y = h;
      for (int c = 0; c < kConvs; ++c) {
        // nn/conv2d.h: a double backward (second-order MAML) without
        // LibTorch's transposed convolution.
        y = norm(conv2d_second_order(y, q[3 * c], {}, 1, 1), q[3 * c + 1], q[3 * c + 2]);
        if (c + 1 < kConvs) y = at::leaky_relu(y, 0.1);
      }
      const at::Tensor shortcut = norm(conv2d_second_order(h, q[9], {}), q[10], q[11]);
      h = at::max_pool2d(at::leaky_relu(y + shortcut, 0.1), {2, 2});
      if (b >= 2 && drop_rate_ > 0.0) h = drop_block(h, rate(), drop_size_);
    }
    return (avg_ ? h.mean({2, 3}) : h).flatten(1);
  }

  int64_t output_dim() const override {
    int64_t n = 1;
    for (int64_t d : shape_) n *= d;
    return n;
  }
  std::vector<int64_t> output_shape() const override { return shape_; }

 private:
  // Batch statistics always, no running statistics (metabench/backbone.h).
  static at::Tensor norm(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) {
    return batch_norm_train(x, weight, bias);
  }

  double rate() const {
    const TrainingMode* mode = TrainingMode::current();
    return mode ? scheduled_drop_rate(drop_rate_, drop_ramp_, mode->progress()) : 0.0;
  }

  int64_t channels_;
  std::vector<int64_t> widths_;
  bool avg_;
  double drop_rate_;
  int64_t drop_size_;
  double drop_ramp_;
  std::vector<int64_t> shape_;
};

METABENCH_REGISTER_BACKBONE(
    BackboneInfo("resnet12",
                 "ResNet-12: 4 residual blocks of three 3x3 convs, widths model.resnet_widths")
        .inputs(/*images=*/true, /*vectors=*/false)
        .factory(resnet_options(),
                 [](const BackboneContext& ctx,
                    const ResNetOptions& o) -> std::unique_ptr<Backbone> {
                   const std::vector<int64_t>& shape = ctx.input_shape;
                   return std::make_unique<ResNet12>(shape.at(0), shape.at(1), shape.at(2), o);
                 }));

}  // namespace
}  // namespace metabench
