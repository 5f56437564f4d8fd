#include "datasets/glyph_renderer.h"

#include <algorithm>
#include <cmath>

namespace metabench {
namespace {

constexpr int kSegmentsPerStroke = 12;

double segment_distance(double px, double py, double ax, double ay, double bx, double by) {
  const double dx = bx - ax, dy = by - ay;
  const double length2 = dx * dx + dy * dy;
  double t = length2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / length2 : 0.0;
  t = std::clamp(t, 0.0, 1.0);
  const double cx = ax + t * dx - px, cy = ay + t * dy - py;
  return std::sqrt(cx * cx + cy * cy);
}

// Draws a thick anti-aliased segment, keeping the brightest value per pixel.
void draw_segment(double ax, double ay, double bx, double by, double half_width, int size,
                  float* canvas) {
  const double reach = half_width + 1.0;
  const int x0 = std::max(0, static_cast<int>(std::floor(std::min(ax, bx) - reach)));
  const int x1 = std::min(size - 1, static_cast<int>(std::ceil(std::max(ax, bx) + reach)));
  const int y0 = std::max(0, static_cast<int>(std::floor(std::min(ay, by) - reach)));
  const int y1 = std::min(size - 1, static_cast<int>(std::ceil(std::max(ay, by) + reach)));
  for (int y = y0; y <= y1; ++y) {
    for (int x = x0; x <= x1; ++x) {
      const double d = segment_distance(x + 0.5, y + 0.5, ax, ay, bx, by);
      const float ink = static_cast<float>(std::clamp(half_width + 0.5 - d, 0.0, 1.0));
      float& pixel = canvas[y * size + x];
      pixel = std::max(pixel, ink);
    }
  }
}

}  // namespace

GlyphPrototype random_glyph(const GlyphStyle& style, Rng& rng) {
  GlyphPrototype glyph;
  const int strokes = style.min_strokes +
                      static_cast<int>(rng.uniform_int(style.max_strokes - style.min_strokes + 1));
  const double margin = style.image_size * 0.18;
  for (int s = 0; s < strokes; ++s) {
    std::vector<double> points;
    for (int p = 0; p < 3; ++p) {
      points.push_back(rng.uniform(margin, style.image_size - margin));
      points.push_back(rng.uniform(margin, style.image_size - margin));
    }
    glyph.strokes.push_back(points);
  }
  return glyph;
}

void render_glyph(const GlyphPrototype& glyph, const GlyphStyle& style, Rng& rng, uint8_t* pixels) {
  const int size = style.image_size;
  const double center = size / 2.0;
  const double angle = rng.normal() * style.rotation_deg * M_PI / 180.0;
  const double scale = 1.0 + rng.normal() * style.scale_jitter;
  const double shift_x = rng.normal() * style.shift_px, shift_y = rng.normal() * style.shift_px;
  const double half_width = 0.5 * std::clamp(1.7 + 0.35 * rng.normal(), 1.0, 2.6);
  const double c = std::cos(angle) * scale, s = std::sin(angle) * scale;

  std::vector<float> canvas(static_cast<size_t>(size) * size, 0.0f);
  for (const auto& stroke : glyph.strokes) {
    double p[6];
    for (int i = 0; i < 3; ++i) {
      const double x = stroke[2 * i] + rng.normal() * style.point_jitter - center;
      const double y = stroke[2 * i + 1] + rng.normal() * style.point_jitter - center;
      p[2 * i] = c * x - s * y + center + shift_x;
      p[2 * i + 1] = s * x + c * y + center + shift_y;
    }
    double prev_x = p[0], prev_y = p[1];
    for (int k = 1; k <= kSegmentsPerStroke; ++k) {
      const double t = static_cast<double>(k) / kSegmentsPerStroke, u = 1.0 - t;
      const double x = u * u * p[0] + 2 * u * t * p[2] + t * t * p[4];
      const double y = u * u * p[1] + 2 * u * t * p[3] + t * t * p[5];
      draw_segment(prev_x, prev_y, x, y, half_width, size, canvas.data());
      prev_x = x;
      prev_y = y;
    }
  }
  for (size_t i = 0; i < canvas.size(); ++i) {
    pixels[i] = static_cast<uint8_t>(std::lround(canvas[i] * 255.0f));
  }
}

}  // namespace metabench
