// SHA-256, used for config hashes, dataset checksums and the checksum of the
// fixed test-episode set.  Small and dependency-free on purpose.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace metabench {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t size);
  void update(std::string_view text) { update(text.data(), text.size()); }
  template <typename T>
  void update_value(const T& value) {
    update(&value, sizeof(T));
  }
  // Returns the digest as 64 lower-case hex characters.  Call once.
  std::string hex_digest();

 private:
  void compress(const uint8_t* block);
  uint32_t state_[8];
  uint8_t buffer_[64];
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
};

std::string sha256_hex(std::string_view text);

// Hashes a file's bytes; throws UserError naming the path if it cannot be read.
std::string sha256_file(const std::string& path);

}  // namespace metabench
