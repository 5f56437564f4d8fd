// Standard training augmentation for image datasets (the augment.* keys):
// a random crop of the original size after zero-padding, a horizontal flip
// with probability 1/2, and for colour images a jitter of brightness,
// contrast and saturation (the torchvision transforms of most few-shot
// papers' training pipelines, e.g. Chen et al. 2019).  Off by default; only
// meta-training episodes are augmented, never validation or test ones.
#pragma once

#include <cstdint>

#include "metabench/episode.h"
#include "metabench/rng.h"

namespace metabench {

struct AugmentOptions {
  int64_t crop_padding = 0;   // augment.crop_padding; 0: no crop
  bool flip = false;          // augment.flip
  double color_jitter = 0.0;  // augment.color_jitter; 0: none

  bool enabled() const { return crop_padding > 0 || flip || color_jitter > 0; }
};

// Augments every support and query image of `episode` (x [n, C, H, W],
// values in [0, 1]) in place, each image independently, drawing from `rng`.
// Vector inputs (x [n, d]) are left alone.
void augment_episode(Episode& episode, const AugmentOptions& options, Rng& rng);

}  // namespace metabench
