// Prototypical Networks (Snell, Swersky and Zemel, NeurIPS 2017).
//
// Each class is represented by the mean embedding of its support examples
// (its prototype); a query's logits are minus its squared Euclidean distances
// to the prototypes, trained with cross-entropy.  Training way and shot may
// differ from test way and shot (the paper trains Omniglot at 60-way).
// Support and query are embedded in one batch, so Conv4's batch norm uses the
// statistics of the whole episode (documented in README.md).
#pragma once

#include <ATen/core/Tensor.h>

namespace metabench {

// support: [ways*shots, D] in class-major order (all shots of class 0 first);
// query: [Q, D].  Returns logits [Q, ways] = -||query - prototype_k||^2.
at::Tensor prototype_logits(const at::Tensor& support, const at::Tensor& query, int64_t ways);

}  // namespace metabench
