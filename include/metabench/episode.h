// Episodes: the unit of few-shot learning.  A classification episode has
// `ways` classes with `shots` labelled support examples and `queries` query
// examples each; labels are 0..ways-1 in the order the classes were drawn.
// A regression episode (sinusoid) has `shots` support points and `queries`
// query points of one task, with float targets of shape [n, 1].
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>

namespace metabench {

enum class TaskKind { kClassification, kRegression };
enum class Split { kTrain, kValidation, kTest };

const char* split_name(Split split);
const char* task_kind_name(TaskKind kind);

struct EpisodeShape {
  int64_t ways = 5;
  int64_t shots = 1;
  int64_t queries = 15;
  std::string label() const;  // "5-way 1-shot"
};

struct Episode {
  at::Tensor support_x;  // [ways*shots, ...input_shape], float32
  at::Tensor support_y;  // int64 [ways*shots] or float32 [shots, 1]
  at::Tensor query_x;    // [ways*queries, ...input_shape]
  at::Tensor query_y;
  int64_t ways = 1;
  // int64 [ways]: each way's class as an index into its split's class list
  // (0 .. num_classes(split) - 1), for methods that train on global labels;
  // undefined for regression.
  at::Tensor classes;

  Episode to(const at::Device& device) const;
};

}  // namespace metabench
