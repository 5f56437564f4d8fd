// IDX headers (datasets/io/idx.h) with 1 and 3 dimensions.
#include "datasets/io/idx.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace metabench;
  const std::string input = fuzz::bytes(data, size);
  for (int dims : {1, 3}) {
    fuzz::expect_only_user_errors([&] {
      size_t offset = 0;
      const auto sizes = parse_idx_header(input, dims, "fuzz", &offset);
      size_t total = 1;
      for (int64_t s : sizes) total *= static_cast<size_t>(s);
      if (offset + total != input.size()) std::abort();  // the contract
    });
  }
  return 0;
}
