#include "datasets/io/idx.h"

#include "core/strings.h"
#include "metabench/errors.h"

namespace metabench {
namespace {

uint32_t big_endian(const std::string& bytes, size_t offset) {
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data()) + offset;
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
}

}  // namespace

std::vector<int64_t> parse_idx_header(const std::string& bytes, int dims, const std::string& path,
                                      size_t* offset) {
  const size_t header = 4 + 4 * static_cast<size_t>(dims);
  if (bytes.size() < header || big_endian(bytes, 0) != 0x800u + static_cast<uint32_t>(dims)) {
    throw DatasetError(
        format("'%s' is not an IDX file of %d-dimensional unsigned bytes "
               "(expected magic 0x%08x, found %s)",
               path.c_str(), dims, 0x800 + dims,
               bytes.size() < 4 ? "a file of under 4 bytes"
                                : format("0x%08x", big_endian(bytes, 0)).c_str()));
  }
  std::vector<int64_t> sizes;
  size_t total = 1;
  for (int d = 0; d < dims; ++d) {
    sizes.push_back(big_endian(bytes, 4 + 4 * d));
    // Checked as it grows: the product must fit in the file, never wrap.
    const size_t v = static_cast<size_t>(sizes.back());
    if (v != 0 && total > (bytes.size() - header) / v) {
      throw DatasetError(format("'%s' declares more data than its %zu bytes hold (damaged header)",
                                path.c_str(), bytes.size()));
    }
    total *= v;
  }
  if (bytes.size() != header + total) {
    throw DatasetError(format("'%s' should hold %zu bytes after its header, has %zu (truncated?)",
                              path.c_str(), total, bytes.size() - header));
  }
  *offset = header;
  return sizes;
}

}  // namespace metabench
