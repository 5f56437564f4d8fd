// Little helpers for metabench's own binary files (checkpoints, dataset
// caches): append fixed-width integers and length-prefixed strings to a byte
// string, and read them back with bounds checks.  Integers are stored in the
// host's byte order; the files are caches and model states, not an exchange
// format.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace metabench {

void put_u64(std::string& out, uint64_t value);
void put_string(std::string& out, const std::string& value);

class ByteReader {
 public:
  // `data` must outlive the reader; `what` names the file in errors, e.g.
  // "checkpoint 'run-3-best.ckpt'".
  ByteReader(const std::string& data, std::string what) : data_(data), what_(std::move(what)) {}

  uint64_t u64();
  // A length-prefixed string; UserError when the length exceeds the rest
  // of the file (checked before anything is allocated).
  std::string string();
  // A count of items, each at least `item_bytes` long in the file;
  // UserError when the rest of the file cannot hold that many.
  uint64_t count(uint64_t item_bytes);
  // A tensor shape (a dimension count up to 8, then the sizes) whose
  // `element_bytes`-byte elements the rest of the file holds; UserError
  // otherwise.  Sets `numel`.
  std::vector<int64_t> shape(uint64_t element_bytes, int64_t& numel);
  uint64_t remaining() const { return data_.size() - pos_; }
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
