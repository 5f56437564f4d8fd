// Training augmentation (augment.*): each transform does what its name says
// on a known image; it is off by default and then changes neither the
// episodes nor the config hash recorded before the keys existed; with it on
// the training stream draws the same episodes, augments them reproducibly,
// and a stream sought to a saved position augments exactly as before.
#include "datasets/augment.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "datasets/episode_sampler.h"
#include "harness/config/experiment_config.h"
#include "tests/test_util.h"

namespace metabench {
namespace {

Episode one_image(const at::Tensor& image) {
  return Episode{image.unsqueeze(0), at::zeros({1}, at::kLong), image.unsqueeze(0),
                 at::zeros({1}, at::kLong), 1};
}

TEST(Augment, FlipMirrorsAndCropShiftsWithinThePadding) {
  const at::Tensor image = at::arange(16, at::kFloat).view({1, 4, 4}) / 16;
  AugmentOptions flip;
  flip.flip = true;
  int flipped = 0;
  Rng rng(1);
  for (int i = 0; i < 200; ++i) {
    Episode e = one_image(image);
    augment_episode(e, flip, rng);
    const bool mirrored = at::equal(e.support_x[0], image.flip({2}));
    EXPECT_TRUE(mirrored || at::equal(e.support_x[0], image));
    flipped += mirrored;
  }
  EXPECT_GT(flipped, 70);  // probability 1/2: 100 expected
  EXPECT_LT(flipped, 130);

  AugmentOptions crop;
  crop.crop_padding = 1;
  for (int i = 0; i < 50; ++i) {
    Episode e = one_image(image);
    augment_episode(e, crop, rng);
    const at::Tensor out = e.query_x[0];
    ASSERT_EQ(out.sizes(), image.sizes());
    // Some shift (dy, dx) in [-1, 1]^2 of the zero-padded image gives it.
    bool found = false;
    const at::Tensor padded = at::constant_pad_nd(image, {1, 1, 1, 1}, 0.0);
    for (int dy = 0; dy <= 2 && !found; ++dy) {
      for (int dx = 0; dx <= 2 && !found; ++dx) {
        found = at::equal(out, padded.slice(1, dy, dy + 4).slice(2, dx, dx + 4));
      }
    }
    EXPECT_TRUE(found) << out;
  }
}

TEST(Augment, ColourJitterChangesColourImagesWithinRangeAndLeavesGreyOnesAlone) {
  at::manual_seed(2);
  const at::Tensor colour = at::rand({3, 6, 6});
  AugmentOptions jitter;
  jitter.color_jitter = 0.4;
  Rng rng(3);
  Episode e = one_image(colour);
  augment_episode(e, jitter, rng);
  EXPECT_FALSE(at::equal(e.support_x[0], colour));
  EXPECT_GE(e.support_x.min().item<float>(), 0.0f);
  EXPECT_LE(e.support_x.max().item<float>(), 1.0f);
  const at::Tensor grey = at::rand({1, 6, 6});
  Episode g = one_image(grey);
  augment_episode(g, jitter, rng);
  EXPECT_TRUE(at::equal(g.support_x[0], grey));
}

TEST(Augment, OffByDefaultItLeavesHashesAndEpisodesAsTheyWere) {
  // Recorded by metabench before augment.* existed (2026-12-02):
  // `metabench run configs/quick/protonet.yaml --set runtime.threads=1`.
  const ExperimentConfig quick =
      resolve_experiment(RawConfig::from_file(testing::source_path("configs/quick/protonet.yaml")));
  EXPECT_EQ(quick.hash, "5506870b904993b5b2150daf9c14d43f8f272cd36027e626615fc214551d7bff");
  EXPECT_EQ(quick.family, "57e54506");
  EXPECT_EQ(quick.yaml.find("augment"), std::string::npos) << quick.yaml;
  const ExperimentConfig on = resolve_assignments({"augment.flip=true"});
  EXPECT_NE(on.hash, resolve_assignments({}).hash);
  EXPECT_NE(on.yaml.find("augment"), std::string::npos);
  EXPECT_EQ(resolve_assignments({"augment.flip=false"}).hash, resolve_assignments({}).hash);
}

TEST(Augment, TheStreamDrawsTheSameEpisodesAndResumesItsAugmentation) {
  const ExperimentConfig cfg = resolve_assignments({"dataset=synthetic-glyphs"});
  const std::unique_ptr<Dataset> dataset = create_dataset(cfg);
  AugmentOptions o;
  o.crop_padding = 2;
  o.flip = true;
  TrainingStream plain(*dataset, cfg.train_shape, 5), augmented(*dataset, cfg.train_shape, 5, o);
  for (int i = 0; i < 3; ++i) {
    const Episode a = plain.next(), b = augmented.next();
    EXPECT_TRUE(at::equal(a.classes, b.classes)) << "episode " << i;
    EXPECT_FALSE(at::equal(a.support_x, b.support_x)) << "episode " << i;
  }
  const auto position = augmented.position();
  const Episode next = augmented.next();
  TrainingStream resumed(*dataset, cfg.train_shape, 5, o);
  resumed.seek(position);
  EXPECT_TRUE(at::equal(resumed.next().support_x, next.support_x));
}

TEST(Augment, VectorDatasetsRefuseIt) {
  try {
    resolve_assignments({"algorithm=maml", "dataset=sinusoid", "backbone=mlp", "episode.ways=1",
                         "augment.flip=true"});
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("augment.* applies to image datasets; dataset "
                                         "'sinusoid' has vector inputs"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace metabench
