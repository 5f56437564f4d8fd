#include "metabench/episode.h"

#include <ATen/ATen.h>

namespace metabench {

const char* split_name(Split split) {
  switch (split) {
    case Split::kTrain:
      return "train";
    case Split::kValidation:
      return "val";
    case Split::kTest:
      return "test";
  }
  return "?";
}

const char* task_kind_name(TaskKind kind) {
  return kind == TaskKind::kClassification ? "classification" : "regression";
}

std::string EpisodeShape::label() const {
  return std::to_string(ways) + "-way " + std::to_string(shots) + "-shot";
}

Episode Episode::to(const at::Device& device) const {
  if (support_x.device() == device) return *this;
  return Episode{support_x.to(device),
                 support_y.to(device),
                 query_x.to(device),
                 query_y.to(device),
                 ways,
                 classes.defined() ? classes.to(device) : classes};
}

}  // namespace metabench
