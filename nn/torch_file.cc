#include "nn/torch_file.h"

#include <ATen/ATen.h>
#include <ATen/core/Dict.h>
#include <ATen/core/ivalue.h>
#include <caffe2/serialize/inline_container.h>
#include <caffe2/serialize/read_adapter_interface.h>
#include <torch/csrc/jit/serialization/import_read.h>
#include <torch/csrc/jit/serialization/pickle.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "metabench/errors.h"

namespace metabench {
namespace {

template <typename Map>
const typename Map::mapped_type& lookup(const Map& map, const std::string& key,
                                        const std::string& what, const char* type) {
  const auto it = map.find(key);
  if (it == map.end()) {
    throw UserError(what + " has no " + type + " field '" + key + "'");
  }
  return it->second;
}

// LibTorch 1.13's pickle_load() reads from memory without bounds checks:
// a damaged zip directory made it read past the buffer (found by
// fuzz_checkpoint under ASan).  This adapter stops at the end, so the zip
// reader sees a short read and fails.
class BoundedReader : public caffe2::serialize::ReadAdapterInterface {
 public:
  explicit BoundedReader(const std::string& data) : data_(data) {}
  size_t size() const override { return data_.size(); }
  size_t read(uint64_t pos, void* buf, size_t n, const char* /*what*/) const override {
    if (pos >= data_.size()) return 0;
    const size_t k = std::min<uint64_t>(n, data_.size() - pos);
    std::memcpy(buf, data_.data() + pos, k);
    return k;
  }

 private:
  const std::string& data_;
};

uint32_t le32(const std::string& d, size_t at) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(d[at + i]);
  return v;
}
uint16_t le16(const std::string& d, size_t at) {
  return static_cast<uint16_t>(static_cast<unsigned char>(d[at]) |
                               (static_cast<unsigned char>(d[at + 1]) << 8));
}

// The zip's central directory, checked before LibTorch allocates what it
// declares: every entry stored uncompressed (as torch.save() writes them)
// and no larger than the file.  Zip64 (files over 4 GiB) is accepted as
// LibTorch reads it, without this check.
void check_zip_directory(const std::string& d, const std::string& what) {
  constexpr size_t kEnd = 22, kEntry = 46;
  auto damaged = [&](const std::string& why) {
    throw UserError(what + " is not a readable torch.save() file: its zip directory " + why);
  };
  if (d.size() < kEnd) damaged("is missing (the file is too short)");
  // The end record sits at the end, after a comment of at most 65535 bytes.
  size_t end = std::string::npos;
  for (size_t at = d.size() - kEnd + 1; at-- > 0 && d.size() - at <= kEnd + 65535;) {
    if (le32(d, at) == 0x06054b50) {
      end = at;
      break;
    }
  }
  if (end == std::string::npos) damaged("has no end record");
  const uint16_t entries = le16(d, end + 10);
  const uint32_t dir_size = le32(d, end + 12), dir_offset = le32(d, end + 16);
  if (dir_offset == 0xFFFFFFFFu || entries == 0xFFFF) return;  // zip64
  if (static_cast<uint64_t>(dir_offset) + dir_size > end) damaged("lies outside the file");
  size_t at = dir_offset;
  for (uint16_t i = 0; i < entries; ++i) {
    if (at + kEntry > end || le32(d, at) != 0x02014b50) damaged("has a damaged entry");
    const uint16_t method = le16(d, at + 10);
    const uint32_t compressed = le32(d, at + 20), size = le32(d, at + 24);
    const uint32_t local = le32(d, at + 42);
    if (size == 0xFFFFFFFFu || compressed == 0xFFFFFFFFu || local == 0xFFFFFFFFu) {
      at += kEntry + le16(d, at + 28) + le16(d, at + 30) + le16(d, at + 32);
      continue;  // zip64 sizes: LibTorch checks them as it reads
    }
    if (method != 0 || compressed != size) damaged("has a compressed entry");
    if (static_cast<uint64_t>(local) + size > d.size()) {
      damaged("declares an entry of " + std::to_string(size) + " bytes beyond the file's end");
    }
    at += kEntry + le16(d, at + 28) + le16(d, at + 30) + le16(d, at + 32);
  }
}

}  // namespace

const std::string& TorchRecord::string(const std::string& key, const std::string& what) const {
  return lookup(strings, key, what, "string");
}
int64_t TorchRecord::integer(const std::string& key, const std::string& what) const {
  return lookup(integers, key, what, "integer");
}
double TorchRecord::number(const std::string& key, const std::string& what) const {
  return lookup(numbers, key, what, "floating-point");
}
const NamedTensors& TorchRecord::group(const std::string& key, const std::string& what) const {
  return lookup(tensors, key, what, "tensor dictionary");
}

std::string encode_torch_record(const TorchRecord& record) {
  c10::impl::GenericDict dict(c10::StringType::get(), c10::AnyType::get());
  for (const auto& [key, value] : record.strings) dict.insert(key, value);
  for (const auto& [key, value] : record.integers) dict.insert(key, value);
  for (const auto& [key, value] : record.numbers) dict.insert(key, value);
  for (const auto& [key, group] : record.tensors) {
    c10::Dict<std::string, at::Tensor> tensors;
    for (const auto& [name, tensor] : group) {
      tensors.insert(name, tensor.detach().to(at::kCPU).contiguous());
    }
    dict.insert(key, tensors);
  }
  const std::vector<char> bytes = torch::jit::pickle_save(c10::IValue(dict));
  return std::string(bytes.begin(), bytes.end());
}

bool looks_like_torch_file(const std::string& data) {
  return data.size() >= 4 && data.compare(0, 4, "PK\x03\x04", 4) == 0;
}

TorchRecord decode_torch_record(const std::string& data, const std::string& what) {
  check_zip_directory(data, what);
  c10::IValue value;
  try {
    // What pickle_load() does, through a bounded reader.
    caffe2::serialize::PyTorchStreamReader reader(std::make_shared<BoundedReader>(data));
    value = torch::jit::readArchiveAndTensors("data", /*pickle_prefix=*/"", /*tensor_prefix=*/"",
                                              c10::nullopt, c10::nullopt, c10::nullopt, reader);
  } catch (const std::exception& e) {
    throw UserError(
        what + " is not a readable torch.save() file: " + Error::one_line(e.what()).substr(0, 300));
  }
  if (!value.isGenericDict()) {
    throw UserError(what + " holds a " + value.tagKind() + ", expected a dictionary");
  }
  TorchRecord record;
  for (const auto& entry : value.toGenericDict()) {
    if (!entry.key().isString()) throw UserError(what + " has a key that is not a string");
    const std::string key = entry.key().toStringRef();
    const c10::IValue& v = entry.value();
    if (v.isString()) {
      record.strings[key] = v.toStringRef();
    } else if (v.isInt()) {
      record.integers[key] = v.toInt();
    } else if (v.isDouble()) {
      record.numbers[key] = v.toDouble();
    } else if (v.isGenericDict()) {
      NamedTensors& group = record.tensors[key];
      for (const auto& t : v.toGenericDict()) {
        if (!t.key().isString() || !t.value().isTensor()) {
          throw UserError(what + ": field '" + key + "' should map names to tensors, and has a " +
                          t.value().tagKind());
        }
        group.emplace_back(t.key().toStringRef(), t.value().toTensor());
      }
    } else {
      throw UserError(what + ": field '" + key + "' is a " + v.tagKind() +
                      "; expected a string, an integer, a double or a dictionary of tensors");
    }
  }
  return record;
}

}  // namespace metabench
