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

// The pickle of a torch.save() file, walked opcode by opcode before
// LibTorch's unpickler runs: that unpickler reserves every string's
// declared length (up to 2^64) before reading it (an out-of-memory found by
// fuzz_checkpoint).  Checks that each length fits in what is left of the
// pickle; an opcode outside the set the pickler writes is refused too.
void check_pickle(const char* p, size_t n, const std::string& what) {
  auto damaged = [&](const std::string& why) {
    throw UserError(what + " is not a readable torch.save() file: its pickle " + why);
  };
  size_t at = 0;
  auto need = [&](uint64_t k) {
    if (k > n - at) damaged("declares " + std::to_string(k) + " bytes beyond its end");
  };
  auto le = [&](int bytes) {
    need(static_cast<uint64_t>(bytes));
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[at + i]);
    at += static_cast<size_t>(bytes);
    return v;
  };
  while (at < n) {
    const unsigned char op = static_cast<unsigned char>(p[at++]);
    switch (op) {
      case '.':  // STOP
        return;
      case 0x80:
      case 'K':
      case 'q':
      case 'h':  // PROTO, BININT1, BINPUT, BINGET
        le(1);
        break;
      case 'M':  // BININT2
        le(2);
        break;
      case 'J':
      case 'r':
      case 'j':  // BININT, LONG_BINPUT, LONG_BINGET
        le(4);
        break;
      case 'G':
      case 0x95:  // BINFLOAT, FRAME
        le(8);
        break;
      case 0x8a:
      case 0x8c:
      case 'C':
      case 'U': {  // LONG1, SHORT_BINUNICODE/BYTES/STRING
        const uint64_t k = le(1);
        need(k);
        at += static_cast<size_t>(k);
        break;
      }
      case 'X':
      case 'B':
      case 'T': {  // BINUNICODE, BINBYTES, BINSTRING
        const uint64_t k = le(4);
        need(k);
        at += static_cast<size_t>(k);
        break;
      }
      case 0x8d:
      case 0x8e: {  // BINUNICODE8, BINBYTES8
        const uint64_t k = le(8);
        need(k);
        at += static_cast<size_t>(k);
        break;
      }
      case 'c': {  // GLOBAL: module and name, each ending in a newline
        for (int line = 0; line < 2; ++line) {
          const void* end = std::memchr(p + at, '\n', n - at);
          if (end == nullptr) damaged("has an unterminated GLOBAL");
          at = static_cast<size_t>(static_cast<const char*>(end) - p) + 1;
        }
        break;
      }
      case '}':
      case ']':
      case ')':
      case '(':
      case 'u':
      case 's':
      case 'e':
      case 'a':
      case 't':
      case 0x85:
      case 0x86:
      case 0x87:
      case 'R':
      case 'b':
      case 'Q':
      case 'N':
      case 0x88:
      case 0x89:
      case 0x94:
      case 0x8f:
      case 0x90:
        break;  // no argument
      default:
        damaged("has opcode " + std::to_string(op) + ", which metabench does not write");
    }
  }
  damaged("has no STOP opcode");
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
    if (!reader.hasRecord("data.pkl")) {
      throw UserError(what + " is not a readable torch.save() file: it has no data.pkl");
    }
    const auto [pickle, pickle_size] = reader.getRecord("data.pkl");
    check_pickle(static_cast<const char*>(pickle.get()), pickle_size, what);
    value = torch::jit::readArchiveAndTensors("data", /*pickle_prefix=*/"", /*tensor_prefix=*/"",
                                              c10::nullopt, c10::nullopt, c10::nullopt, reader);
  } catch (const UserError&) {
    throw;  // check_pickle's own message
  } catch (const c10::Error& e) {
    // Without the C++ backtrace LibTorch appends to what().
    throw UserError(what + " is not a readable torch.save() file: " +
                    Error::one_line(e.what_without_backtrace()).substr(0, 300));
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
        const at::Tensor& tensor = t.value().toTensor();
        // A pickle may name any storage class: a quantized or complex
        // tensor would escape later as LibTorch's error, not as bad input
        // (found by fuzz_checkpoint with QInt8Storage).
        const char* kind = tensor.is_quantized()             ? "quantized"
                           : tensor.layout() != at::kStrided ? "sparse"
                           : tensor.is_complex()             ? "complex"
                                                             : nullptr;
        if (kind != nullptr) {
          throw UserError(what + ": tensor '" + t.key().toStringRef() + "' of field '" + key +
                          "' is " + c10::toString(tensor.scalar_type()) + " (" + kind +
                          "); expected a dense tensor of real numbers");
        }
        group.emplace_back(t.key().toStringRef(), tensor);
      }
    } else {
      throw UserError(what + ": field '" + key + "' is a " + v.tagKind() +
                      "; expected a string, an integer, a double or a dictionary of tensors");
    }
  }
  return record;
}

}  // namespace metabench
