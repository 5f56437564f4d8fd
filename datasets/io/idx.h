// IDX files (the MNIST format, also Fashion-MNIST's): a big-endian magic
// 0x0000 08 NN (unsigned bytes, NN dimensions), NN big-endian 32-bit sizes,
// then the data.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace metabench {

// Parses the header of an IDX file of unsigned bytes with `dims`
// dimensions; returns the sizes and sets `offset` to the data.  DatasetError
// naming `path` for another magic, or sizes whose product is not exactly
// the data's length (checked without overflow).
std::vector<int64_t> parse_idx_header(const std::string& bytes, int dims, const std::string& path,
                                      size_t* offset);

}  // namespace metabench
