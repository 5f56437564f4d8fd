// The dataset cache reader (datasets/class_pool.h) on arbitrary bytes; the
// seeds use the key "fuzz-key".
#include "datasets/class_pool.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace metabench;
  return fuzz::expect_only_user_errors([&] {
    ClassPool pool;
    parse_class_pool(fuzz::bytes(data, size), "fuzz", "fuzz-key", pool);
  });
}
