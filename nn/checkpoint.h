// Checkpoint files: a run's meta-learned state (named float tensors) plus the
// hash and the resolved YAML of the config that produced it, so `metabench eval`
// can rebuild the model from the file alone.  Files are written atomically,
// as torch.save() dictionaries (nn/torch_file.h) that Python opens with
// torch.load(): keys format ("metabench-checkpoint"), version (3),
// config_hash, config_yaml, iteration and tensors (name -> float32 tensor,
// in the model's parameter order).  Files of metabench's own earlier format
// (magic MBCKPT01/02) still load.
#pragma once

#include <string>

#include "metabench/param_set.h"

namespace metabench {

struct Checkpoint {
  std::string config_hash;
  std::string config_yaml;  // the resolved config that trained it; empty in old files
  int64_t iteration = 0;
  NamedTensors tensors;  // CPU, float32
};

void save_checkpoint(const std::string& path, const Checkpoint& checkpoint);

// Throws UserError naming the path for a missing, truncated or foreign file.
Checkpoint load_checkpoint(const std::string& path);
// The same for a file's bytes; `path` names it in errors.  Every declared
// size is checked against `data` before anything is allocated.
Checkpoint parse_checkpoint(const std::string& data, const std::string& path);

}  // namespace metabench
