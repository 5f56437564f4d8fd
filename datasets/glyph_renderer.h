// Procedural glyphs for the embedded `synthetic-glyphs` dataset.
//
// A glyph class is a handful of random quadratic Bezier strokes; each example
// of the class redraws them with jittered control points, a small random
// rotation, scale and shift, and a random stroke width, like different people
// drawing the same character (the idea of Omniglot).  Pure C++, no LibTorch,
// fully determined by the Rng.
#pragma once

#include <cstdint>
#include <vector>

#include "metabench/rng.h"

namespace metabench {

struct GlyphStyle {
  int image_size = 28;
  int min_strokes = 2;
  int max_strokes = 4;
  double point_jitter = 1.2;   // px, std of each control point's displacement per example
  double rotation_deg = 10.0;  // std of the per-example rotation
  double scale_jitter = 0.08;  // std of the per-example relative scale
  double shift_px = 1.0;       // std of the per-example translation
};

struct GlyphPrototype {
  // Control points of each stroke, three (x, y) pairs per stroke, in pixels.
  std::vector<std::vector<double>> strokes;
};

GlyphPrototype random_glyph(const GlyphStyle& style, Rng& rng);

// Draws one example of `glyph` into `pixels` (image_size^2 bytes, 0 =
// background, 255 = ink), anti-aliased.
void render_glyph(const GlyphPrototype& glyph, const GlyphStyle& style, Rng& rng, uint8_t* pixels);

}  // namespace metabench
