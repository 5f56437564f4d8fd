#include "datasets/augment.h"

#include <ATen/ATen.h>

namespace metabench {
namespace {

// Luminance (ITU-R BT.601, torchvision's rgb_to_grayscale) of [C=3, H, W].
at::Tensor gray(const at::Tensor& image) {
  return (0.299 * image[0] + 0.587 * image[1] + 0.114 * image[2]).unsqueeze(0);
}

// `padded`: the image zero-padded by o.crop_padding on every side (the
// image itself when there is no crop); h x w its original size.
at::Tensor augment_image(const at::Tensor& padded, int64_t h, int64_t w, const AugmentOptions& o,
                         Rng& rng) {
  at::Tensor image = padded;
  if (o.crop_padding > 0) {
    const auto range = static_cast<uint64_t>(2 * o.crop_padding + 1);
    const auto dy = static_cast<int64_t>(rng.uniform_int(range));
    const auto dx = static_cast<int64_t>(rng.uniform_int(range));
    image = padded.slice(1, dy, dy + h).slice(2, dx, dx + w);
  }
  if (o.flip && rng.uniform() < 0.5) image = image.flip({2});
  if (o.color_jitter > 0 && image.size(0) == 3) {
    const double j = o.color_jitter;
    const double brightness = rng.uniform(1 - j, 1 + j);
    const double contrast = rng.uniform(1 - j, 1 + j);
    const double saturation = rng.uniform(1 - j, 1 + j);
    image = (image * brightness).clamp(0, 1);
    const at::Tensor mean = gray(image).mean();
    image = ((image - mean) * contrast + mean).clamp(0, 1);
    const at::Tensor g = gray(image);
    image = ((image - g) * saturation + g).clamp(0, 1);
  }
  return image;
}

at::Tensor augment_images(const at::Tensor& x, const AugmentOptions& o, Rng& rng) {
  if (x.dim() != 4) return x;
  const int64_t p = o.crop_padding;
  // The whole batch padded once, not each image.
  const at::Tensor padded = p > 0 ? at::constant_pad_nd(x, {p, p, p, p}, 0.0) : x;
  std::vector<at::Tensor> out;
  out.reserve(static_cast<size_t>(x.size(0)));
  for (int64_t i = 0; i < x.size(0); ++i) {
    out.push_back(augment_image(padded[i], x.size(2), x.size(3), o, rng));
  }
  return at::stack(out);
}

}  // namespace

void augment_episode(Episode& episode, const AugmentOptions& options, Rng& rng) {
  if (!options.enabled()) return;
  episode.support_x = augment_images(episode.support_x, options, rng);
  episode.query_x = augment_images(episode.query_x, options, rng);
}

}  // namespace metabench
