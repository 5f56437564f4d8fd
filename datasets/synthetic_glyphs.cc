// The embedded `synthetic-glyphs` dataset: procedurally drawn 28x28 grey-scale
// characters (see glyph_renderer.h), generated in memory from a fixed data
// seed, so it needs no download and is identical on every machine.  The
// train/val/test split is by class, fixed by the class index: the first
// train_classes classes are for training, the next val_classes for
// validation, the rest for testing.
#include <ATen/ATen.h>

#include "datasets/glyph_renderer.h"
#include "datasets/image_class_dataset.h"
#include "metabench/dataset.h"
#include "metabench/options.h"

namespace metabench {
namespace {

// data.* options.
struct GlyphOptions {
  int64_t train_classes = 240;
  int64_t val_classes = 60;
  int64_t test_classes = 100;
  int64_t examples_per_class = 20;
  int64_t image_size = 28;
  double point_jitter = 1.2;
  int64_t seed = 7;
};

std::unique_ptr<Dataset> create_synthetic_glyphs(const DataContext&, const GlyphOptions& o) {
  const int64_t train = o.train_classes;
  const int64_t val = o.val_classes;
  const int64_t test = o.test_classes;
  const int64_t per_class = o.examples_per_class;
  GlyphStyle style;
  style.image_size = static_cast<int>(o.image_size);
  style.point_jitter = o.point_jitter;
  const uint64_t seed = static_cast<uint64_t>(o.seed);

  const int64_t classes = train + val + test;
  const int64_t pixels = int64_t(style.image_size) * style.image_size;
  at::Tensor images =
      at::empty({classes * per_class, 1, style.image_size, style.image_size}, at::kByte);
  uint8_t* out = images.data_ptr<uint8_t>();
  std::vector<std::vector<int64_t>> class_examples(classes);
  for (int64_t c = 0; c < classes; ++c) {
    // Each class has its own stream, so changing one split's size leaves the
    // other classes' images unchanged.
    Rng rng(derive_seed({seed, static_cast<uint64_t>(c)}));
    const GlyphPrototype glyph = random_glyph(style, rng);
    for (int64_t e = 0; e < per_class; ++e) {
      const int64_t index = c * per_class + e;
      render_glyph(glyph, style, rng, out + index * pixels);
      class_examples[c].push_back(index);
    }
  }
  std::array<std::vector<int64_t>, 3> splits;
  for (int64_t c = 0; c < classes; ++c) {
    splits[c < train ? 0 : (c < train + val ? 1 : 2)].push_back(c);
  }
  return std::make_unique<ImageClassDataset>("synthetic-glyphs", images, std::move(class_examples),
                                             std::move(splits));
}

OptionsSchema<GlyphOptions> synthetic_glyph_options() {
  OptionsSchema<GlyphOptions> s;
  s.add_int("train_classes", &GlyphOptions::train_classes, "classes in the training split")
      .min(1)
      .max(100000);
  s.add_int("val_classes", &GlyphOptions::val_classes, "classes in the validation split")
      .min(1)
      .max(100000);
  s.add_int("test_classes", &GlyphOptions::test_classes, "classes in the test split")
      .min(1)
      .max(100000);
  s.add_int("examples_per_class", &GlyphOptions::examples_per_class,
            "drawings per class (Omniglot has 20)")
      .min(2)
      .max(10000);
  s.add_int("image_size", &GlyphOptions::image_size, "image side in pixels").min(8).max(256);
  s.add_float("point_jitter", &GlyphOptions::point_jitter,
              "per-drawing jitter of stroke control points, pixels")
      .min(0)
      .max(10);
  s.add_int("seed", &GlyphOptions::seed,
            "generator seed; fixes the dataset itself, not the episodes")
      .min(0);
  return s;
}

METABENCH_REGISTER_DATASET(
    DatasetInfo("synthetic-glyphs",
                "procedural 28x28 stroke characters, 240/60/100 train/val/test classes x 20 "
                "(embedded)",
                TaskKind::kClassification)
        .factory(synthetic_glyph_options(), create_synthetic_glyphs));

}  // namespace
}  // namespace metabench
