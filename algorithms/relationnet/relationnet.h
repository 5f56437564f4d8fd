// Relation Networks (Sung, Yang, Zhang, Xiang, Torr and Hospedales,
// "Learning to Compare: Relation Network for Few-Shot Learning", CVPR 2018).
//
// The embedding maps each image to a feature map; the support maps of each
// class are summed (the paper's K-shot rule, sec. 3.3); every (class, query)
// pair is concatenated along the channels, class first, and a learned
// relation module (two blocks of [3x3 conv, batch norm, ReLU, 2x2 max-pool],
// then fully connected layers C*h*w -> hidden -> 1 with a ReLU between and a
// sigmoid after) scores it in [0, 1].  Training regresses the scores onto
// the one-hot labels with mean squared error (sec. 3.5); the prediction is
// the class of highest score.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "metabench/param_set.h"

namespace metabench {

// The relation module's input: for support maps [n, C, H, W] with labels
// support_y [n] in [0, ways) and query maps [q, C, H, W], the
// [q * ways, 2C, H, W] pairs whose row i * ways + k is
// cat(sum of class k's support maps, query i's map) along the channels.
at::Tensor relation_pairs(const at::Tensor& support, const at::Tensor& support_y,
                          const at::Tensor& query, int64_t ways);

// The mean over all q * ways scores [q, ways] of (score - one_hot(query_y))^2.
at::Tensor relation_loss(const at::Tensor& scores, const at::Tensor& query_y);

// The learned relation module on C-channel feature maps of H x W.
class RelationModule {
 public:
  // `padding`: of the module's convolutions (1 in the paper's Omniglot code,
  // 0 in its miniImageNet code).  A block max-pools only where its map is at
  // least 2 x 2, so maps of any size (1 x 1 included) are accepted.
  // map_shape: {C, H, W}.
  RelationModule(std::vector<int64_t> map_shape, int64_t hidden, int64_t padding);
  std::vector<ParamSpec> param_specs(const std::string& prefix) const;
  // pairs [m, 2C, H, W] (relation_pairs()), params in param_specs() order;
  // returns the scores [m], each in [0, 1].
  at::Tensor forward(const at::Tensor& pairs, at::TensorList params) const;

 private:
  int64_t channels_, hidden_, padding_, flat_ = 0;
  bool pool_[2] = {false, false};
};

}  // namespace metabench
