#include "datasets/io/image_decode.h"

#include <ATen/ATen.h>
#include <stb_image.h>

#include <cstring>
#include <memory>

#include "core/strings.h"
#include "metabench/errors.h"

namespace metabench {
namespace {

DatasetError unreadable(const std::string& origin, size_t size) {
  const char* why = stbi_failure_reason();  // may quote the file's bytes
  return DatasetError("'" + origin + "' is not a readable image (" +
                      (why ? printable(why) : "unknown decoder error") + ", " +
                      std::to_string(size) + " bytes); the file is corrupt or truncated");
}

}  // namespace

at::Tensor decode_image(const std::string& bytes, int channels, const std::string& origin) {
  if (channels != 1 && channels != 3) {
    throw InternalError("decode_image: channels must be 1 or 3, got " + std::to_string(channels));
  }
  int width = 0, height = 0, stored = 0;
  // The header's size is checked before the decoder allocates for it, and a
  // header stb_image's info cannot read is refused before decoding.
  constexpr int kMaxSide = 1 << 14;
  const auto* data = reinterpret_cast<const stbi_uc*>(bytes.data());
  const int size = static_cast<int>(bytes.size());
  if (!stbi_info_from_memory(data, size, &width, &height, &stored)) {
    throw unreadable(origin, bytes.size());
  }
  if (width > kMaxSide || height > kMaxSide) {
    throw DatasetError("'" + origin + "' declares a " + std::to_string(width) + "x" +
                       std::to_string(height) + " image; at most " + std::to_string(kMaxSide) +
                       " pixels a side are expected (a damaged or hostile file)");
  }
  // A binary PGM or PPM stores its pixels uncompressed after the header, so
  // a file shorter than they are is truncated.  stb_image's 16-bit PNM
  // loader reads such pixels past the end of the buffer (found by fuzz_image
  // under ASan: a 16-byte PPM declaring 6666x686 16-bit pixels; input kept
  // in tests/fuzz/corpus/image/).
  if (bytes.size() >= 2 && bytes[0] == 'P' && (bytes[1] == '5' || bytes[1] == '6')) {
    const bool wide = stbi_is_16_bit_from_memory(data, size);
    const uint64_t needed = static_cast<uint64_t>(width) * static_cast<uint64_t>(height) *
                            (bytes[1] == '6' ? 3 : 1) * (wide ? 2 : 1);
    if (bytes.size() < needed) {
      throw DatasetError("'" + origin + "' declares " + std::to_string(width) + "x" +
                         std::to_string(height) + " pixels (" + std::to_string(needed) +
                         " bytes) but has " + std::to_string(bytes.size()) +
                         " bytes; the file is truncated");
    }
  }
  // stb_image is reentrant for decoding from memory; its failure reason is a
  // thread-local static string.
  std::unique_ptr<stbi_uc, void (*)(void*)> pixels(
      stbi_load_from_memory(data, size, &width, &height, &stored, channels), stbi_image_free);
  if (!pixels) throw unreadable(origin, bytes.size());
  // stb_image accepts a PNM header that declares a 0-pixel side; no dataset
  // image is empty (found by fuzz_image: memcpy into an empty tensor's null
  // data pointer).
  if (width <= 0 || height <= 0) {
    throw DatasetError("'" + origin + "' declares a " + std::to_string(width) + "x" +
                       std::to_string(height) +
                       " image; at least 1 pixel a side is expected (a damaged file)");
  }
  at::Tensor hwc = at::empty({height, width, channels}, at::kByte);
  std::memcpy(hwc.data_ptr<uint8_t>(), pixels.get(), static_cast<size_t>(hwc.numel()));
  return hwc.permute({2, 0, 1}).contiguous();
}

at::Tensor resize_area(const at::Tensor& image, int64_t size) {
  if (image.size(1) == size && image.size(2) == size) return image;
  const at::Tensor pooled =
      at::adaptive_avg_pool2d(image.unsqueeze(0).to(at::kFloat), {size, size}).squeeze(0);
  return pooled.round().clamp(0, 255).to(at::kByte);
}

}  // namespace metabench
