#include "nn/dropblock.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <string>

#include "metabench/errors.h"
#include "metabench/training_mode.h"

namespace metabench {

at::Tensor drop_block(const at::Tensor& x, double rate, int64_t block_size) {
  TrainingMode* mode = TrainingMode::current();
  if (mode == nullptr || rate <= 0.0) return x;
  if (rate >= 1.0 || block_size < 1 || x.dim() != 4) {
    throw InternalError(
        "drop_block: expected 0 <= rate < 1, block_size >= 1 and a 4-d map, got "
        "rate " +
        std::to_string(rate) + ", block_size " + std::to_string(block_size) + " and " +
        std::to_string(x.dim()) + " dimensions");
  }
  const int64_t h = x.size(2), w = x.size(3);
  const int64_t b = std::min({block_size, h, w});
  const double gamma = rate / static_cast<double>(b * b) * static_cast<double>(h * w) /
                       static_cast<double>((h - b + 1) * (w - b + 1));
  const at::Tensor centres =
      mode->bernoulli({x.size(0), x.size(1), h - b + 1, w - b + 1}, std::min(gamma, 1.0))
          .to(x.options());
  // Padding b-1 zeros before and after, then a stride-1 b x b max-pool,
  // spreads each centre (i, j) over rows i..i+b-1 and columns j..j+b-1.
  const at::Tensor dropped =
      b == 1 ? centres
             : at::max_pool2d(at::constant_pad_nd(centres, {b - 1, b - 1, b - 1, b - 1}), {b, b},
                              {1, 1});
  const at::Tensor keep = 1.0 - dropped;
  const at::Tensor scale = static_cast<double>(keep.numel()) / keep.sum().clamp_min(1.0);
  return x * (keep * scale);
}

double scheduled_drop_rate(double rate, double ramp, double progress) {
  if (ramp <= 0.0) return rate;
  return rate * std::min(1.0, progress / ramp);
}

at::Tensor training_dropout(const at::Tensor& x, double rate) {
  TrainingMode* mode = TrainingMode::current();
  if (mode == nullptr || rate <= 0.0) return x;
  if (rate >= 1.0) {
    throw InternalError("training_dropout: expected 0 <= rate < 1, got " + std::to_string(rate));
  }
  const at::Tensor keep = mode->bernoulli(x.sizes(), 1.0 - rate).to(x.options());
  return x * (keep / (1.0 - rate));
}

}  // namespace metabench
