#include "nn/checkpoint.h"

#include <ATen/ATen.h>

#include <cstring>

#include "core/byte_buffer.h"
#include "core/files.h"
#include "metabench/errors.h"

namespace metabench {
namespace {

// Version 02 added the resolved config YAML; version 01 files still load.
constexpr char kMagicV1[8] = {'M', 'B', 'C', 'K', 'P', 'T', '0', '1'};
constexpr char kMagic[8] = {'M', 'B', 'C', 'K', 'P', 'T', '0', '2'};

}  // namespace

void save_checkpoint(const std::string& path, const Checkpoint& checkpoint) {
  std::string out(kMagic, sizeof(kMagic));
  put_string(out, checkpoint.config_hash);
  put_string(out, checkpoint.config_yaml);
  put_u64(out, static_cast<uint64_t>(checkpoint.iteration));
  put_u64(out, checkpoint.tensors.size());
  for (const auto& [name, tensor] : checkpoint.tensors) {
    const at::Tensor t = tensor.detach().to(at::kCPU, at::kFloat).contiguous();
    put_string(out, name);
    put_u64(out, static_cast<uint64_t>(t.dim()));
    for (int64_t d : t.sizes()) put_u64(out, static_cast<uint64_t>(d));
    out.append(reinterpret_cast<const char*>(t.data_ptr<float>()), t.numel() * sizeof(float));
  }
  write_file_atomically(path, out);
}

Checkpoint load_checkpoint(const std::string& path) { return parse_checkpoint(read_file(path), path); }

Checkpoint parse_checkpoint(const std::string& data, const std::string& path) {
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
