// The backbone interface and its registry.
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
//
// A backbone is registered with METABENCH_REGISTER_BACKBONE; its own options
// (if any) live under `model.` beside the core keys model.width and
// model.hidden, which every backbone reads from RunSettings.
#pragma once

#include <ATen/core/Tensor.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "metabench/options.h"
#include "metabench/param_set.h"
#include "metabench/registry.h"
#include "metabench/settings.h"

namespace metabench {

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
  // One example's output before it is flattened: {C, H, W} for a backbone
  // that keeps a feature map (a relation module compares maps), else
  // {output_dim()}.  The product is output_dim(); forward()'s rows are the
  // map flattened in C, H, W order.
  virtual std::vector<int64_t> output_shape() const { return {output_dim()}; }
};

// The backbone's specs followed by a linear head `prefix` from the backbone's
// output to `outputs`.
std::vector<ParamSpec> with_linear_head(const Backbone& backbone, const std::string& prefix,
                                        int64_t outputs);

// What a backbone is created from.
struct BackboneContext {
  RunSettings settings;              // model.width, model.hidden among them
  std::vector<int64_t> input_shape;  // one example, e.g. {1, 28, 28} or {1}
  ScopedOptions options;             // the backbone's own keys under `model.`
};

struct BackboneInfo : EntryFactory<BackboneInfo, Backbone, BackboneContext> {
  static constexpr const char* kKind = "backbone";

  BackboneInfo(std::string name, std::string description)
      : name(std::move(name)), description(std::move(description)) {}

  std::string name;  // stable identifier, stored in results
  std::string description;
  bool accepts_images = false;   // input [C, H, W]
  bool accepts_vectors = false;  // input [D]
  // options (own keys under `model.`, usually none) and create: see
  // EntryFactory::factory().

  BackboneInfo& inputs(bool images, bool vectors) {
    accepts_images = images;
    accepts_vectors = vectors;
    return *this;
  }
};

using BackboneRegistry = Registry<BackboneInfo>;

}  // namespace metabench

// Usage: METABENCH_REGISTER_BACKBONE(BackboneInfo("conv4", "...").inputs(true,
// false).factory(...));
#define METABENCH_REGISTER_BACKBONE(...) \
  METABENCH_REGISTER_ENTRY(::metabench::BackboneInfo, __VA_ARGS__)
