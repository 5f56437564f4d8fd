// The image decoder (PNG, JPEG and what else stb_image reads) on arbitrary
// bytes, as grey and as colour.
#include <ATen/core/Tensor.h>

#include "datasets/io/image_decode.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace metabench;
  const std::string input = fuzz::bytes(data, size);
  fuzz::expect_only_user_errors([&] { decode_image(input, 1, "fuzz"); });
  return fuzz::expect_only_user_errors([&] { decode_image(input, 3, "fuzz"); });
}
