// Adam (Kingma and Ba 2015) over an explicit list of parameter tensors, the
// outer-loop optimiser of every algorithm.  Written against ATen directly so
// algorithms need not pull in LibTorch's optimiser headers; it reads each
// parameter's .grad() and updates the parameter in place.
#pragma once

#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "metabench/param_set.h"

namespace metabench {

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  AdamOptions& with_lr(double v) {
    lr = v;
    return *this;
  }
  AdamOptions& with_beta1(double v) {
    beta1 = v;
    return *this;
  }
};

class Adam {
 public:
  Adam(std::vector<at::Tensor> params, AdamOptions options);
  // Applies one update from the accumulated gradients; parameters without a
  // gradient are left unchanged.
  void step();
  void zero_grad();
  void set_lr(double lr) { options_.lr = lr; }

  // The moments and the step count, named `prefix`.m, `prefix`.v and
  // `prefix`.steps (for Algorithm::training_state()); load() takes them back
  // and throws UserError when the sizes differ (a snapshot of another model).
  NamedTensors state(const std::string& prefix) const;
  void load(const NamedTensors& state, const std::string& prefix);

 private:
  std::vector<at::Tensor> params_;
  // The moments and the update of all parameters in one flat buffer each;
  // m_[i], v_[i] and delta_[i] are parameter i's views of them.
  at::Tensor flat_m_, flat_v_, flat_delta_;
  std::vector<at::Tensor> m_, v_, delta_;
  AdamOptions options_;
  int64_t steps_ = 0;
};

}  // namespace metabench
