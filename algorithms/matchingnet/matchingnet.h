// Matching Networks (Vinyals, Blundell, Lillicrap, Kavukcuoglu and Wierstra,
// NeurIPS 2016).
//
// A query's label distribution is an attention-weighted sum of the support
// labels, P(y | x) = sum_i a(x, x_i) onehot(y_i), with a = softmax over the
// support of the cosine similarity between the query's and the support
// examples' embeddings; the loss is the negative log-likelihood of the query
// labels.
//
// Full Context Embeddings (algo.fce): the support embeddings are refined by a
// bidirectional LSTM over the support set, g(x_i) = g'(x_i) + h_fwd_i +
// h_bwd_i, and each query embedding by an attention LSTM run for
// algo.fce_steps processing steps over the refined support set (Vinyals et al.
// 2016, appendix A.2; the read-out is added to the hidden state rather than
// concatenated, a common simplification that keeps the state size D).
#pragma once

#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "metabench/backbone.h"

namespace metabench {

// algo.* options.
struct MatchingNetOptions {
  bool fce = false;       // algo.fce: Full Context Embeddings
  int64_t fce_steps = 5;  // algo.fce_steps: processing steps of the query attention LSTM
};

// Parameters of the FCE LSTMs for embedding size `dim`: forward and backward
// support LSTM cells and the query attention cell, 4 tensors each.
std::vector<ParamSpec> fce_param_specs(int64_t dim);

// Attention [Q, S] of queries over support examples; rows are non-negative
// and sum to 1.  With `fce` (12 tensors, fce_param_specs order) the
// embeddings are first refined by Full Context Embeddings with `steps`
// processing steps; with an empty `fce`, plain cosine attention.
at::Tensor matching_attention(const at::Tensor& support, const at::Tensor& query,
                              at::TensorList fce, int64_t steps);

// Log-probabilities [Q, ways] from attention and integer support labels.
at::Tensor matching_log_probs(const at::Tensor& attention, const at::Tensor& support_labels,
                              int64_t ways);

}  // namespace metabench
