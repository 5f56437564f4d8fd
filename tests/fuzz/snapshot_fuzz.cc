// The training-snapshot reader (harness/run/snapshot.h) on arbitrary bytes:
// LibTorch's zip and pickle readers first, then metabench's field checks.
#include "harness/run/snapshot.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace metabench;
  return fuzz::expect_only_user_errors([&] { parse_snapshot(fuzz::bytes(data, size), "fuzz"); });
}
