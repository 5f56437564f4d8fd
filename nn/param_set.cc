#include "metabench/param_set.h"

#include <ATen/ATen.h>

#include <cmath>
#include <sstream>

#include "metabench/errors.h"

namespace metabench {

std::vector<at::Tensor> init_params(const std::vector<ParamSpec>& specs, Rng& rng,
                                    const at::Device& device) {
  std::vector<at::Tensor> params;
  for (const auto& spec : specs) {
    at::Tensor t = at::empty(spec.shape, at::kFloat);
    float* data = t.data_ptr<float>();
    const int64_t n = t.numel();
    switch (spec.init) {
      case ParamSpec::Init::kOnes:
        t.fill_(1.0);
        break;
      case ParamSpec::Init::kZeros:
        t.zero_();
        break;
      case ParamSpec::Init::kUniformFanIn: {
        const double bound = 1.0 / std::sqrt(static_cast<double>(spec.fan_in));
        for (int64_t i = 0; i < n; ++i) data[i] = static_cast<float>(rng.uniform(-bound, bound));
        break;
      }
    }
    params.push_back(t.to(device));
  }
  return params;
}

std::vector<at::Tensor> trainable_params(const std::vector<ParamSpec>& specs, uint64_t seed,
                                         const at::Device& device) {
  Rng rng(seed);
  std::vector<at::Tensor> params = init_params(specs, rng, device);
  for (auto& p : params) p.requires_grad_(true);
  return params;
}

std::vector<ParamSpec> linear_specs(const std::string& prefix, int64_t in, int64_t out) {
  return {ParamSpec{prefix + ".weight", {out, in}, ParamSpec::Init::kUniformFanIn, in},
          ParamSpec{prefix + ".bias", {out}, ParamSpec::Init::kUniformFanIn, in}};
}

namespace {

std::string shape_text(const at::Tensor& t) {
  std::ostringstream out;
  out << t.sizes();
  return out.str();
}

}  // namespace

void zero_grads(std::vector<at::Tensor>& params) {
  for (auto& p : params) {
    if (p.grad().defined()) p.mutable_grad().zero_();
  }
}

ParamSet::ParamSet(std::vector<ParamSpec> specs, uint64_t seed, const at::Device& device)
    : specs_(std::move(specs)), tensors_(trainable_params(specs_, seed, device)) {}

const at::Tensor* find_tensor(const NamedTensors& tensors, const std::string& name) {
  for (const auto& [n, t] : tensors) {
    if (n == name) return &t;
  }
  return nullptr;
}

NamedTensors ParamSet::state() const {
  NamedTensors out;
  for (size_t i = 0; i < tensors_.size(); ++i) out.emplace_back(specs_[i].name, tensors_[i]);
  return out;
}

void ParamSet::load(const NamedTensors& state) {
  if (state.size() != tensors_.size()) {
    throw UserError("state has " + std::to_string(state.size()) + " tensors, the model expects " +
                    std::to_string(tensors_.size()));
  }
  at::NoGradGuard no_grad;
  for (size_t i = 0; i < tensors_.size(); ++i) {
    const std::string& name = specs_[i].name;
    if (state[i].first != name || !state[i].second.sizes().equals(tensors_[i].sizes())) {
      throw UserError("state tensor " + std::to_string(i) + " is '" + state[i].first + "' " +
                      shape_text(state[i].second) + ", the model expects '" + name + "' " +
                      shape_text(tensors_[i]));
    }
    tensors_[i].copy_(state[i].second);
  }
}

std::vector<at::Tensor> fresh_leaves(const std::vector<at::Tensor>& params) {
  std::vector<at::Tensor> out;
  for (const auto& p : params) out.push_back(p.detach().clone().requires_grad_(true));
  return out;
}

}  // namespace metabench
