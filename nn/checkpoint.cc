#include "nn/checkpoint.h"

#include <ATen/ATen.h>

#include <cstring>

#include "core/byte_buffer.h"
#include "core/files.h"
#include "metabench/errors.h"
#include "nn/torch_file.h"

namespace metabench {
namespace {

constexpr const char* kCheckpointFormat = "metabench-checkpoint";

// Files before version 3 (a torch.save() dictionary, nn/torch_file.h) were
// metabench's own format: version 02 added the resolved config YAML; 01
// and 02 files still load.
constexpr char kMagicV1[8] = {'M', 'B', 'C', 'K', 'P', 'T', '0', '1'};
constexpr char kMagic[8] = {'M', 'B', 'C', 'K', 'P', 'T', '0', '2'};

}  // namespace

void save_checkpoint(const std::string& path, const Checkpoint& checkpoint) {
  TorchRecord record;
  record.strings["format"] = kCheckpointFormat;
  record.integers["version"] = 3;
  record.strings["config_hash"] = checkpoint.config_hash;
  record.strings["config_yaml"] = checkpoint.config_yaml;
  record.integers["iteration"] = checkpoint.iteration;
  NamedTensors& tensors = record.tensors["tensors"];
  for (const auto& [name, tensor] : checkpoint.tensors) {
    tensors.emplace_back(name, tensor.detach().to(at::kCPU, at::kFloat));
  }
  write_file_atomically(path, encode_torch_record(record));
}

Checkpoint load_checkpoint(const std::string& path) {
  return parse_checkpoint(read_file(path), path);
}

Checkpoint parse_checkpoint(const std::string& data, const std::string& path) {
  if (looks_like_torch_file(data)) {
    const std::string what = "checkpoint '" + path + "'";
    const TorchRecord record = decode_torch_record(data, what);
    if (record.strings.count("format") == 0 || record.strings.at("format") != kCheckpointFormat) {
      throw UserError("'" + path + "' is a torch.save() file but not a metabench checkpoint " +
                      "(expected format '" + kCheckpointFormat + "')");
    }
    Checkpoint checkpoint;
    checkpoint.config_hash = record.string("config_hash", what);
    checkpoint.config_yaml = record.string("config_yaml", what);
    checkpoint.iteration = record.integer("iteration", what);
    for (const auto& [name, tensor] : record.group("tensors", what)) {
      checkpoint.tensors.emplace_back(name, tensor.to(at::kFloat).contiguous());
    }
    return checkpoint;
  }
  ByteReader in(data, "checkpoint '" + path + "'");
  const char* magic = data.size() >= sizeof(kMagic) ? in.take(sizeof(kMagic)) : nullptr;
  const bool v1 = magic && std::memcmp(magic, kMagicV1, 8) == 0;
  if (!magic || (!v1 && std::memcmp(magic, kMagic, 8) != 0)) {
    throw UserError("'" + path + "' is not a metabench checkpoint (bad magic bytes)");
  }
  Checkpoint checkpoint;
  checkpoint.config_hash = in.string();
  if (!v1) checkpoint.config_yaml = in.string();
  checkpoint.iteration = static_cast<int64_t>(in.u64());
  // Every size is checked against the file before anything is allocated.
  const uint64_t count = in.count(2 * sizeof(uint64_t));  // a name and a dimension count each
  for (uint64_t i = 0; i < count; ++i) {
    std::string name = in.string();
    int64_t numel = 0;
    const std::vector<int64_t> shape = in.shape(sizeof(float), numel);
    const char* bytes = in.take(static_cast<uint64_t>(numel) * sizeof(float));
    at::Tensor t = at::empty(shape, at::kFloat);
    // An empty tensor may have no storage: memcpy to null is undefined
    // even for 0 bytes (UBSan, found by fuzzing).
    if (numel > 0) std::memcpy(t.data_ptr<float>(), bytes, numel * sizeof(float));
    checkpoint.tensors.emplace_back(std::move(name), t);
  }
  return checkpoint;
}

}  // namespace metabench
