// Files that PyTorch's torch.load() opens: the format of checkpoints and
// training snapshots.
//
// A TorchRecord is a flat dictionary of named fields, each a string, an
// integer, a double or a group of named tensors, written with LibTorch's
// pickler in the zip container torch.save() uses, so
//   d = torch.load("run-...-best.ckpt")
// gives a dict: d["format"], d["config_yaml"], d["tensors"]["conv1.weight"].
// Field order and tensor order are kept.  Tensors are written as they are
// (device moved to CPU, dtype kept); doubles round-trip exactly.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "metabench/param_set.h"

namespace metabench {

struct TorchRecord {
  std::map<std::string, std::string> strings;
  std::map<std::string, int64_t> integers;
  std::map<std::string, double> numbers;
  std::map<std::string, NamedTensors> tensors;

  // Typed lookups that throw UserError naming `what` (the file) and the
  // field when it is missing or has another type.
  const std::string& string(const std::string& key, const std::string& what) const;
  int64_t integer(const std::string& key, const std::string& what) const;
  double number(const std::string& key, const std::string& what) const;
  const NamedTensors& group(const std::string& key, const std::string& what) const;
};

// The bytes of `record` as torch.save() would write its dictionary.
std::string encode_torch_record(const TorchRecord& record);

// Does `data` start like a torch.save() zip file?
bool looks_like_torch_file(const std::string& data);

// Reads what encode_torch_record() wrote.  Throws UserError naming `what`
// for a damaged file or one whose fields are not strings, integers, doubles
// or dictionaries of tensors.
TorchRecord decode_torch_record(const std::string& data, const std::string& what);

}  // namespace metabench
