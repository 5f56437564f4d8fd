// Functional backbones.
//
// A Backbone owns no weights: it declares its parameters (ParamSpec) and
// computes forward(x, params) from an explicit list of tensors.  That lets
// gradient-based meta-learners run the same network with adapted ("fast")
// weights and differentiate through the adaptation.  Batch norm always uses
// the statistics of the batch it is given (the MAML reference code's
// behaviour), so there are no running statistics to carry between tasks.
//
// forward_tasks() runs several tasks, each with its own weights, in one pass
// (the task-batched inner loop of MAML-style learners).  It must equal
// forward() applied task by task, batch statistics included; the default
// does exactly that, so a new backbone is correct before it is fast.
#pragma once

#include <ATen/core/Tensor.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "harness/core/registry.h"

namespace metabench {

struct ExperimentConfig;

struct ParamSpec {
  enum class Init { kUniformFanIn, kOnes, kZeros };
  std::string name;
  std::vector<int64_t> shape;
  Init init = Init::kUniformFanIn;
  int64_t fan_in = 1;  // for kUniformFanIn: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), PyTorch's default
};

class Backbone {
 public:
  virtual ~Backbone() = default;
  virtual std::vector<ParamSpec> param_specs() const = 0;
  // x: [batch, ...input_shape]; params in param_specs() order.  Returns
  // [batch, output_dim()].
  virtual at::Tensor forward(const at::Tensor& x, at::TensorList params) const = 0;
  // x: [tasks, batch, ...input_shape]; params[i]: [tasks, ...spec i's shape],
  // task t's weights at index t.  Returns [tasks, batch, output_dim()].
  virtual at::Tensor forward_tasks(const at::Tensor& x, at::TensorList params) const;
  virtual int64_t output_dim() const = 0;
};

struct BackboneInfo {
  std::string name;
  std::string description;
  bool accepts_images = false;   // input [C, H, W]
  bool accepts_vectors = false;  // input [D]
  std::function<std::unique_ptr<Backbone>(const ExperimentConfig&,
                                          const std::vector<int64_t>& input_shape)>
      create;
};

using BackboneRegistry = Registry<BackboneInfo>;

struct BackboneRegistration {
  explicit BackboneRegistration(BackboneInfo info) { register_entry(std::move(info), "backbone"); }
};

#define METABENCH_REGISTER_BACKBONE(...)                                            \
  static ::metabench::BackboneRegistration METABENCH_CONCAT(backbone_registration_, \
                                                            __LINE__)(__VA_ARGS__)

}  // namespace metabench
