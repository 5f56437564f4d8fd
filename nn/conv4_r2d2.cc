// R2-D2's embedding (Bertinetto et al., ICLR 2019, sec. 4.1; the authors'
// code, bertinetto/r2d2 fewshots/models/load_model.py RRFeatures): four
// blocks of [3x3 convolution (padding 1), batch norm, 2x2 max-pool, leaky
// ReLU 0.1], of 96, 192, 384 and 512 channels (model.r2d2_widths); note the
// order, pooling before the activation.  Block 4's pool has stride 1.  The
// features are block 3's output after one more 2x2 stride-1 max-pool and
// block 4's output, each flattened, concatenated: 384 x 9 x 9 + 512 x 9 x 9
// = 72,576 on 84x84 images, 384 x 3 x 3 + 512 x 3 x 3 = 8,064 on CIFAR-FS's
// 32x32.
//
// Dropout of model.r2d2_dropout after blocks 3 and 4, during meta-training
// only (metabench/training_mode.h): the authors' scripts use 0.1 on
// miniImageNet and 0.4 on CIFAR-FS.
//
// forward_tasks() is the Backbone default, one task after another.
#include <ATen/ATen.h>

#include "metabench/backbone.h"
#include "metabench/errors.h"
#include "nn/dropblock.h"

namespace metabench {
namespace {

struct R2d2Options {
  std::vector<int64_t> r2d2_widths = {96, 192, 384, 512};
  double r2d2_dropout = 0.1;
};

OptionsSchema<R2d2Options> r2d2_options() {
  OptionsSchema<R2d2Options> s;
  s.add_int_list("r2d2_widths", &R2d2Options::r2d2_widths,
                 "conv4-r2d2: channels of the four blocks")
      .min(1)
      .max(8192);
  s.add_float("r2d2_dropout", &R2d2Options::r2d2_dropout,
              "conv4-r2d2: dropout after blocks 3 and 4 during meta-training (the authors: 0.1 "
              "on miniImageNet, 0.4 on CIFAR-FS)")
      .min(0.0)
      .max(0.9);
  return s;
}

constexpr int kR2d2Blocks = 4;

class Conv4R2d2 : public Backbone {
 public:
  Conv4R2d2(int64_t channels, int64_t height, int64_t width_px, const R2d2Options& o)
      : channels_(channels), o_(o) {
    if (o_.r2d2_widths.size() != kR2d2Blocks) {
      throw ConfigError("model.r2d2_widths: expected 4 widths, one per block, got " +
                        std::to_string(o_.r2d2_widths.size()));
    }
    // Blocks 1-3 halve each side; block 4's stride-1 pool, and the extra
    // pool on block 3's output, take one pixel off.
    const int64_t h = height / 8 - 1, w = width_px / 8 - 1;
    if (h < 1 || w < 1) {
      throw ConfigError("backbone 'conv4-r2d2' leaves no pixel of images of " +
                        std::to_string(height) + "x" + std::to_string(width_px) +
                        "; expected images of at least 16x16");
    }
    dim_ = (o_.r2d2_widths[2] + o_.r2d2_widths[3]) * h * w;
  }

  std::vector<ParamSpec> param_specs() const override {
    std::vector<ParamSpec> specs;
    int64_t in = channels_;
    for (int b = 0; b < kR2d2Blocks; ++b) {
      const std::string p = "block" + std::to_string(b);
      const int64_t out = o_.r2d2_widths[b], fan_in = in * 9;
      specs.push_back(
          {p + ".conv.weight", {out, in, 3, 3}, ParamSpec::Init::kUniformFanIn, fan_in});
      specs.push_back({p + ".conv.bias", {out}, ParamSpec::Init::kUniformFanIn, fan_in});
      specs.push_back({p + ".bn.weight", {out}, ParamSpec::Init::kOnes, 1});
      specs.push_back({p + ".bn.bias", {out}, ParamSpec::Init::kZeros, 1});
      in = out;
    }
    return specs;
  }

  at::Tensor forward(const at::Tensor& x, at::TensorList p) const override {
    at::Tensor h = x;
    std::vector<at::Tensor> features;
    for (int b = 0; b < kR2d2Blocks; ++b) {
      h = at::conv2d(h, p[4 * b], p[4 * b + 1], 1, 1);
      // Batch statistics always (metabench/backbone.h).
      h = at::batch_norm(h, p[4 * b + 2], p[4 * b + 3], {}, {}, /*training=*/true, 0.0, 1e-5, true);
      const int64_t stride = b + 1 < kR2d2Blocks ? 2 : 1;  // the last block keeps its size
      h = at::leaky_relu(at::max_pool2d(h, {2, 2}, {stride, stride}), 0.1);
      if (b >= 2) h = training_dropout(h, o_.r2d2_dropout);
      if (b == 2) features.push_back(at::max_pool2d(h, {2, 2}, {1, 1}).flatten(1));
      if (b == 3) features.push_back(h.flatten(1));
    }
    return at::cat(features, 1);
  }

  int64_t output_dim() const override { return dim_; }

 private:
  int64_t channels_;
  R2d2Options o_;
  int64_t dim_ = 0;
};

METABENCH_REGISTER_BACKBONE(
    BackboneInfo("conv4-r2d2",
                 "R2-D2's embedding: 4 x [3x3 conv, BN, max-pool, leaky ReLU], 96-192-384-512, "
                 "blocks 3+4 concatenated")
        .inputs(/*images=*/true, /*vectors=*/false)
        .factory(r2d2_options(),
                 [](const BackboneContext& ctx, const R2d2Options& o) -> std::unique_ptr<Backbone> {
                   const std::vector<int64_t>& shape = ctx.input_shape;
                   return std::make_unique<Conv4R2d2>(shape.at(0), shape.at(1), shape.at(2), o);
                 }));

}  // namespace
}  // namespace metabench
