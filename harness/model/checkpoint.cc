#include "harness/model/checkpoint.h"

#include <ATen/ATen.h>

#include <cstring>

#include "harness/core/errors.h"
#include "harness/core/files.h"

namespace metabench {
namespace {

constexpr char kMagic[8] = {'M', 'B', 'C', 'K', 'P', 'T', '0', '1'};

void put_u64(std::string& out, uint64_t v) { out.append(reinterpret_cast<const char*>(&v), 8); }
void put_string(std::string& out, const std::string& s) {
  put_u64(out, s.size());
  out += s;
}

class Reader {
 public:
  Reader(const std::string& data, const std::string& path) : data_(data), path_(path) {}
  uint64_t u64() {
    uint64_t v;
    std::memcpy(&v, take(8), 8);
    return v;
  }
  std::string string() {
    const uint64_t n = u64();
    return std::string(take(n), n);
  }
  const char* take(uint64_t n) {
    if (n > data_.size() - pos_) {
      throw UserError("checkpoint '" + path_ + "' is truncated (expected " + std::to_string(n) +
                      " more bytes at offset " + std::to_string(pos_) + ")");
    }
    const char* p = data_.data() + pos_;
    pos_ += n;
    return p;
  }

 private:
  const std::string& data_;
  std::string path_;
  size_t pos_ = 0;
};

}  // namespace

void save_checkpoint(const std::string& path, const Checkpoint& checkpoint) {
  std::string out(kMagic, sizeof(kMagic));
  put_string(out, checkpoint.config_hash);
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

Checkpoint load_checkpoint(const std::string& path) {
  const std::string data = read_file(path);
  Reader in(data, path);
  if (data.size() < sizeof(kMagic) || std::memcmp(in.take(sizeof(kMagic)), kMagic, 8) != 0) {
    throw UserError("'" + path + "' is not a metabench checkpoint (bad magic bytes)");
  }
  Checkpoint checkpoint;
  checkpoint.config_hash = in.string();
  checkpoint.iteration = static_cast<int64_t>(in.u64());
  const uint64_t count = in.u64();
  for (uint64_t i = 0; i < count; ++i) {
    std::string name = in.string();
    std::vector<int64_t> shape(in.u64());
    int64_t numel = 1;
    for (auto& d : shape) {
      d = static_cast<int64_t>(in.u64());
      numel *= d;
    }
    at::Tensor t = at::empty(shape, at::kFloat);
    std::memcpy(t.data_ptr<float>(), in.take(numel * sizeof(float)), numel * sizeof(float));
    checkpoint.tensors.emplace_back(std::move(name), t);
  }
  return checkpoint;
}

}  // namespace metabench
