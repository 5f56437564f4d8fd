#include "metabench/backbone.h"

#include <ATen/ATen.h>

namespace metabench {

at::Tensor Backbone::forward_tasks(const at::Tensor& x, at::TensorList params) const {
  std::vector<at::Tensor> outputs;
  outputs.reserve(x.size(0));
  for (int64_t t = 0; t < x.size(0); ++t) {
    std::vector<at::Tensor> task_params;
    task_params.reserve(params.size());
    for (const at::Tensor& p : params) task_params.push_back(p[t]);
    outputs.push_back(forward(x[t], task_params));
  }
  return at::stack(outputs);
}

std::vector<ParamSpec> with_linear_head(const Backbone& backbone, const std::string& prefix,
                                        int64_t outputs) {
  std::vector<ParamSpec> specs = backbone.param_specs();
  for (auto& s : linear_specs(prefix, backbone.output_dim(), outputs)) specs.push_back(s);
  return specs;
}

}  // namespace metabench
