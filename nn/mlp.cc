// MLP for vector inputs (the MAML paper's sinusoid network: two hidden layers
// of 40 ReLU units).  Output: the last hidden layer; the algorithm adds its
// own head (one output for regression).
#include <ATen/ATen.h>

#include "metabench/backbone.h"
#include "metabench/param_set.h"
#include "nn/linear.h"

namespace metabench {
namespace {

class Mlp : public Backbone {
 public:
  Mlp(int64_t input_dim, std::vector<int64_t> hidden)
      : input_dim_(input_dim), hidden_(std::move(hidden)) {}

  std::vector<ParamSpec> param_specs() const override {
    std::vector<ParamSpec> specs;
    int64_t in = input_dim_;
    for (size_t i = 0; i < hidden_.size(); ++i) {
      for (auto& s : linear_specs("layer" + std::to_string(i), in, hidden_[i])) specs.push_back(s);
      in = hidden_[i];
    }
    return specs;
  }

  at::Tensor forward(const at::Tensor& x, at::TensorList p) const override {
    at::Tensor h = x.flatten(1);
    for (size_t i = 0; i < hidden_.size(); ++i) h = at::relu(at::linear(h, p[2 * i], p[2 * i + 1]));
    return h;
  }

  at::Tensor forward_tasks(const at::Tensor& x, at::TensorList p) const override {
    at::Tensor h = x.flatten(2);
    for (size_t i = 0; i < hidden_.size(); ++i) {
      h = at::relu(linear_tasks(h, p[2 * i], p[2 * i + 1]));
    }
    return h;
  }

  int64_t output_dim() const override { return hidden_.empty() ? input_dim_ : hidden_.back(); }

 private:
  int64_t input_dim_;
  std::vector<int64_t> hidden_;
};

METABENCH_REGISTER_BACKBONE(
    BackboneInfo("mlp",
                 "fully connected ReLU layers of sizes model.hidden (MAML sinusoid: [40, 40])")
        .inputs(/*images=*/false, /*vectors=*/true)
        .factory([](const BackboneContext& ctx) -> std::unique_ptr<Backbone> {
          int64_t dim = 1;
          for (int64_t s : ctx.input_shape) dim *= s;
          return std::make_unique<Mlp>(dim, ctx.settings.model_hidden);
        }));

}  // namespace
}  // namespace metabench
