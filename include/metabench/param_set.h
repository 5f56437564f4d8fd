// Explicit parameter lists, the state of every algorithm.
//
// Backbones own no weights (metabench/backbone.h): they declare ParamSpecs,
// and an algorithm keeps the tensors, so it can run the same network with
// adapted ("fast") weights and differentiate through the adaptation.
// ParamSet holds one such list: its specs (with the names) and trainable tensors,
// initialised from the portable Rng (so weights do not depend on LibTorch's
// generator), and the state() / load() pair that Algorithm::state() and
// load_state() forward to.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "metabench/rng.h"

namespace metabench {

struct ParamSpec {
  enum class Init { kUniformFanIn, kOnes, kZeros };
  std::string name;
  std::vector<int64_t> shape;
  Init init = Init::kUniformFanIn;
  int64_t fan_in = 1;  // for kUniformFanIn: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), PyTorch's default
};

using NamedTensors = std::vector<std::pair<std::string, at::Tensor>>;

// The tensor named `name` in `tensors`, or null.
const at::Tensor* find_tensor(const NamedTensors& tensors, const std::string& name);

class ParamSet {
 public:
  ParamSet() = default;
  // Trainable leaves (requires_grad) for `specs`, float32 on `device`,
  // initialised from Rng(seed) in spec order.
  ParamSet(std::vector<ParamSpec> specs, uint64_t seed, const at::Device& device);

  const std::vector<ParamSpec>& specs() const { return specs_; }
  // The tensors in spec order.  They may be updated in place (optimisers),
  // never replaced by tensors of other shapes.
  std::vector<at::Tensor>& tensors() { return tensors_; }
  const std::vector<at::Tensor>& tensors() const { return tensors_; }
  size_t size() const { return tensors_.size(); }
  const at::Tensor& operator[](size_t i) const { return tensors_.at(i); }

  // Names paired with the tensors, for Algorithm::state().
  NamedTensors state() const;
  // Copies `state` into the tensors in place, for Algorithm::load_state().
  // Throws UserError when the names or shapes differ (a checkpoint of
  // another model), naming the first tensor that does.
  void load(const NamedTensors& state);

 private:
  std::vector<ParamSpec> specs_;
  std::vector<at::Tensor> tensors_;
};

// Creates float32 tensors for `specs` on `device` (requires_grad not set).
std::vector<at::Tensor> init_params(const std::vector<ParamSpec>& specs, Rng& rng,
                                    const at::Device& device);

// init_params() from Rng(seed), each returned as a leaf that requires grad.
std::vector<at::Tensor> trainable_params(const std::vector<ParamSpec>& specs, uint64_t seed,
                                         const at::Device& device);

// Specs of a linear layer named `prefix`.weight [out, in] and `prefix`.bias [out].
std::vector<ParamSpec> linear_specs(const std::string& prefix, int64_t in, int64_t out);

// Zeroes the accumulated .grad() of every tensor that has one.
void zero_grads(std::vector<at::Tensor>& params);

// Clones `params` as new leaves that require grad (detached from any graph).
std::vector<at::Tensor> fresh_leaves(const std::vector<at::Tensor>& params);

}  // namespace metabench
