// Decoding and resizing of dataset images (PNG, JPEG, ...) with stb_image.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>

namespace metabench {

// Decodes an encoded image to uint8 [channels, H, W]; channels is 1 (grey,
// converted if needed) or 3 (RGB).  Throws DatasetError naming `origin` and
// the decoder's reason when the bytes are not a readable image.
at::Tensor decode_image(const std::string& bytes, int channels, const std::string& origin);

// Resizes uint8 [C, H, W] to [C, size, size] by area averaging (each output
// pixel is the mean of the input area it covers: antialiased, no ringing),
// rounding to the nearest integer.  Returns the input when already that size.
at::Tensor resize_area(const at::Tensor& image, int64_t size);

}  // namespace metabench
