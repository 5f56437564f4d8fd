// The checkpoint reader (nn/checkpoint.h) on arbitrary bytes.
#include "nn/checkpoint.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace metabench;
  return fuzz::expect_only_user_errors([&] { parse_checkpoint(fuzz::bytes(data, size), "fuzz"); });
}
