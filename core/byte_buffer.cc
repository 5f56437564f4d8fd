#include "core/byte_buffer.h"

#include <algorithm>
#include <cstring>

#include "metabench/errors.h"

namespace metabench {

void put_u64(std::string& out, uint64_t value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof(value));
}

void put_string(std::string& out, const std::string& value) {
  put_u64(out, value.size());
  out += value;
}

uint64_t ByteReader::u64() {
  uint64_t value;
  std::memcpy(&value, take(sizeof(value)), sizeof(value));
  return value;
}

std::string ByteReader::string() {
  const uint64_t n = u64();
  return std::string(take(n), n);
}

uint64_t ByteReader::count(uint64_t item_bytes) {
  const uint64_t n = u64();
  if (item_bytes > 0 && n > remaining() / item_bytes) {
    throw UserError(what_ + " is damaged: it declares " + std::to_string(n) + " items of " +
                    std::to_string(item_bytes) + "+ bytes at offset " + std::to_string(pos_) +
                    ", but only " + std::to_string(remaining()) + " bytes follow");
  }
  return n;
}

std::vector<int64_t> ByteReader::shape(uint64_t element_bytes, int64_t& numel) {
  constexpr uint64_t kMaxDims = 8;
  const uint64_t dims = u64();
  if (dims > kMaxDims) {
    throw UserError(what_ + " is damaged: a tensor with " + std::to_string(dims) +
                    " dimensions (at most " + std::to_string(kMaxDims) + " expected)");
  }
  std::vector<int64_t> sizes(dims);
  const uint64_t room = remaining() / std::max<uint64_t>(1, element_bytes);
  uint64_t product = 1;
  for (auto& d : sizes) {
    const uint64_t v = u64();
    // Each size on its own (after a 0, the product no longer bounds the
    // next: found by fuzzing), then the product, checked as it grows.
    if (v > std::max<uint64_t>(room, uint64_t{1} << 31)) {
      throw UserError(what_ + " is damaged: a tensor dimension of " + std::to_string(v) +
                      " at offset " + std::to_string(pos_ - 8));
    }
    if (v != 0 && product > room / v) {
      throw UserError(what_ + " is damaged: a tensor larger than the rest of the file (" +
                      std::to_string(remaining()) + " bytes)");
    }
    product *= v;
    d = static_cast<int64_t>(v);
  }
  numel = static_cast<int64_t>(product);
  return sizes;
}

const char* ByteReader::take(uint64_t n) {
  if (n > data_.size() - pos_) {
    throw UserError(what_ + " is truncated (expected " + std::to_string(n) +
                    " more bytes at offset " + std::to_string(pos_) + ", file has " +
                    std::to_string(data_.size()) + ")");
  }
  const char* p = data_.data() + pos_;
  pos_ += n;
  return p;
}

}  // namespace metabench
