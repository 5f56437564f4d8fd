#include "metabench/adam.h"

#include <ATen/ATen.h>

#include <cmath>

#include "metabench/errors.h"
#include "metabench/param_set.h"

namespace metabench {

Adam::Adam(std::vector<at::Tensor> params, AdamOptions options)
    : params_(std::move(params)), options_(options) {
  int64_t total = 0;
  for (const auto& p : params_) total += p.numel();
  const at::TensorOptions flat_options =
      params_.empty() ? at::TensorOptions() : params_[0].options().requires_grad(false);
  flat_m_ = at::zeros({total}, flat_options);
  flat_v_ = at::zeros({total}, flat_options);
  flat_delta_ = at::zeros({total}, flat_options);
  int64_t offset = 0;
  for (const auto& p : params_) {
    m_.push_back(flat_m_.slice(0, offset, offset + p.numel()).view(p.sizes()));
    v_.push_back(flat_v_.slice(0, offset, offset + p.numel()).view(p.sizes()));
    delta_.push_back(flat_delta_.slice(0, offset, offset + p.numel()).view(p.sizes()));
    offset += p.numel();
  }
}

void Adam::zero_grad() { zero_grads(params_); }

void Adam::step() {
  at::NoGradGuard no_grad;
  ++steps_;
  const double correction1 = 1.0 - std::pow(options_.beta1, static_cast<double>(steps_));
  const double correction2 = 1.0 - std::pow(options_.beta2, static_cast<double>(steps_));
  const double step_size = options_.lr / correction1;
  std::vector<at::Tensor> grads;
  for (const auto& p : params_) {
    if (p.grad().defined()) grads.push_back(p.grad().reshape({-1}));
  }
  if (!params_.empty() && grads.size() == params_.size()) {
    // Every parameter has a gradient (the usual case): one update of the
    // flat moment buffers instead of eight small operations per parameter,
    // which matters for tiny networks (sinusoid).  Same arithmetic, same
    // rounding as the per-parameter form below.
    const at::Tensor g = at::cat(grads);
    flat_m_.mul_(options_.beta1).add_(g, 1.0 - options_.beta1);
    flat_v_.mul_(options_.beta2).addcmul_(g, g, 1.0 - options_.beta2);
    const at::Tensor denom = (flat_v_ / correction2).sqrt_().add_(options_.eps);
    flat_delta_.zero_().addcdiv_(flat_m_, denom, -step_size);
    for (size_t i = 0; i < params_.size(); ++i) params_[i].add_(delta_[i]);
    return;
  }
  for (size_t i = 0; i < params_.size(); ++i) {
    const at::Tensor& g = params_[i].grad();
    if (!g.defined()) continue;
    m_[i].mul_(options_.beta1).add_(g, 1.0 - options_.beta1);
    v_[i].mul_(options_.beta2).addcmul_(g, g, 1.0 - options_.beta2);
    const at::Tensor denom = (v_[i] / correction2).sqrt_().add_(options_.eps);
    params_[i].addcdiv_(m_[i], denom, -step_size);
  }
}

NamedTensors Adam::state(const std::string& prefix) const {
  return {{prefix + ".m", flat_m_.detach().clone()},
          {prefix + ".v", flat_v_.detach().clone()},
          {prefix + ".steps", at::scalar_tensor(steps_, at::kLong)}};
}

void Adam::load(const NamedTensors& state, const std::string& prefix) {
  const at::Tensor* m = find_tensor(state, prefix + ".m");
  const at::Tensor* v = find_tensor(state, prefix + ".v");
  const at::Tensor* steps = find_tensor(state, prefix + ".steps");
  if (!m || !v || !steps) {
    throw UserError("the saved training state has no Adam moments named '" + prefix + ".m', '" +
                    prefix + ".v' and '" + prefix + ".steps'");
  }
  if (m->numel() != flat_m_.numel() || v->numel() != flat_v_.numel() || steps->numel() != 1) {
    throw UserError("the saved Adam moments '" + prefix + ".m' hold " + std::to_string(m->numel()) +
                    " values; this model's optimiser expected " + std::to_string(flat_m_.numel()));
  }
  at::NoGradGuard no_grad;
  flat_m_.copy_(m->reshape({-1}));
  flat_v_.copy_(v->reshape({-1}));
  steps_ = steps->item<int64_t>();
}

}  // namespace metabench
