// Little helpers for metabench's own binary files (checkpoints, dataset
// caches): append fixed-width integers and length-prefixed strings to a byte
// string, and read them back with bounds checks.  Integers are stored in the
// host's byte order; the files are caches and model states, not an exchange
// format.
#pragma once

#include <cstdint>
#include <string>

namespace metabench {

void put_u64(std::string& out, uint64_t value);
void put_string(std::string& out, const std::string& value);

class ByteReader {
 public:
  // `data` must outlive the reader; `what` names the file in errors, e.g.
  // "checkpoint 'run-3-best.ckpt'".
  ByteReader(const std::string& data, std::string what) : data_(data), what_(std::move(what)) {}

  uint64_t u64();
  std::string string();
  // Returns a pointer to the next `n` bytes; throws UserError naming the
  // file when fewer remain (a truncated file).
  const char* take(uint64_t n);
  bool at_end() const { return pos_ == data_.size(); }

 private:
  const std::string& data_;
  std::string what_;
  size_t pos_ = 0;
};

}  // namespace metabench
