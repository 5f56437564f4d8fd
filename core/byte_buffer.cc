#include "core/byte_buffer.h"

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
