// Episode sampling: correct shapes and labels, disjoint support and query,
// and fixed validation/test episodes that depend on the evaluation seed only.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <set>

#include "datasets/episode_sampler.h"
#include "datasets/image_class_dataset.h"
#include "harness/config/experiment_config.h"
#include "metabench/errors.h"

namespace metabench {
namespace {

// 3 splits x 8 classes x 6 examples; pixel value = example index, so an
// episode's images tell exactly which examples were drawn.
ImageClassDataset indexed_dataset() {
  const int64_t classes = 24, per_class = 6;
  at::Tensor images = at::arange(classes * per_class, at::kLong)
                          .to(at::kByte)
                          .view({classes * per_class, 1, 1, 1})
                          .expand({classes * per_class, 1, 2, 2})
                          .contiguous();
  std::vector<std::vector<int64_t>> members(classes);
  std::array<std::vector<int64_t>, 3> splits;
  for (int64_t c = 0; c < classes; ++c) {
    for (int64_t e = 0; e < per_class; ++e) members[c].push_back(c * per_class + e);
    splits[c / 8].push_back(c);
  }
  return ImageClassDataset("indexed", images, members, splits);
}

std::vector<int64_t> example_ids(const at::Tensor& x) {
  const at::Tensor ids = (x.select(1, 0).select(1, 0).select(1, 0) * 255).round().to(at::kLong);
  return std::vector<int64_t>(ids.data_ptr<int64_t>(), ids.data_ptr<int64_t>() + ids.numel());
}

TEST(EpisodeSampler, ShapesLabelsAndDisjointSupportQuery) {
  const ImageClassDataset data = indexed_dataset();
  Rng rng(5);
  const EpisodeShape shape{4, 2, 3};
  const Episode e = data.sample(Split::kValidation, shape, rng, nullptr);
  EXPECT_EQ(e.support_x.sizes(), (std::vector<int64_t>{8, 1, 2, 2}));
  EXPECT_EQ(e.query_x.sizes(), (std::vector<int64_t>{12, 1, 2, 2}));
  EXPECT_EQ(e.ways, 4);
  const auto support = example_ids(e.support_x), query = example_ids(e.query_x);
  std::set<int64_t> seen;
  for (int64_t i = 0; i < 8; ++i) {
    const int64_t label = e.support_y[i].item<int64_t>();
    EXPECT_EQ(label, i / 2);  // class-major order
    const int64_t cls = support[i] / 6;
    EXPECT_GE(cls, 8);  // validation classes are 8..15
    EXPECT_LT(cls, 16);
    EXPECT_TRUE(seen.insert(support[i]).second);
    for (int64_t j = 0; j < 12; ++j) {
      if (e.query_y[j].item<int64_t>() == label) EXPECT_EQ(query[j] / 6, cls);
    }
  }
  for (int64_t id : query) EXPECT_TRUE(seen.insert(id).second) << "query reuses example " << id;
  // classes[k]: way k's position in the validation class list (classes 8..15).
  ASSERT_EQ(e.classes.numel(), 4);
  for (int64_t k = 0; k < 4; ++k) EXPECT_EQ(e.classes[k].item<int64_t>() + 8, support[2 * k] / 6);
}

TEST(EpisodeSampler, TooSmallSplitsAreDatasetErrors) {
  const ImageClassDataset data = indexed_dataset();
  try {
    data.check_shape(Split::kTest, EpisodeShape{9, 1, 1});
    FAIL();
  } catch (const DatasetError& e) {
    EXPECT_STREQ(
        e.what(),
        "dataset 'indexed': the test split has 8 classes, fewer than the 9 ways requested");
  }
  try {
    data.check_shape(Split::kTrain, EpisodeShape{5, 5, 5});
    FAIL();
  } catch (const DatasetError& e) {
    EXPECT_STREQ(e.what(),
                 "dataset 'indexed': a class of the train split has 6 examples, fewer "
                 "than the 10 (shots + queries) an episode needs");
  }
}

TEST(FixedEpisodes, DependOnlyOnTheEvaluationSeed) {
  const ImageClassDataset data = indexed_dataset();
  const EpisodeShape shape{5, 1, 2};
  const FixedEpisodes a(data, Split::kTest, shape, 42, 30);
  const FixedEpisodes b(data, Split::kTest, shape, 42, 30);
  const FixedEpisodes other_seed(data, Split::kTest, shape, 43, 30);
  EXPECT_EQ(a.checksum(), b.checksum());
  EXPECT_NE(a.checksum(), other_seed.checksum());
  for (int64_t i = 0; i < 30; ++i) {
    EXPECT_TRUE(a.get(i).query_x.equal(b.get(i).query_x));
    EXPECT_TRUE(a.get(i).support_y.equal(b.get(i).support_y));
  }
  // Episodes differ from each other, and drawing training episodes in between
  // (as a training run does) does not shift them.
  TrainingStream train(data, shape, 7);
  for (int i = 0; i < 10; ++i) train.next();
  EXPECT_TRUE(a.get(3).query_x.equal(b.get(3).query_x));
  EXPECT_FALSE(a.get(3).query_x.equal(a.get(4).query_x));
}

TEST(FixedEpisodes, ChecksumCoversTheDataset) {
  const ImageClassDataset data = indexed_dataset();
  at::Tensor changed = at::zeros({144, 1, 2, 2}, at::kByte);
  std::vector<std::vector<int64_t>> members(24);
  std::array<std::vector<int64_t>, 3> splits;
  for (int64_t c = 0; c < 24; ++c) {
    for (int64_t e = 0; e < 6; ++e) members[c].push_back(c * 6 + e);
    splits[c / 8].push_back(c);
  }
  const ImageClassDataset blank("indexed", changed, members, splits);
  EXPECT_NE(data.checksum(), blank.checksum());
  EXPECT_NE(FixedEpisodes(data, Split::kTest, {5, 1, 1}, 1, 5).checksum(),
            FixedEpisodes(blank, Split::kTest, {5, 1, 1}, 1, 5).checksum());
}

TEST(SyntheticGlyphs, DeterministicWithDisjointSplitsAndEnoughClassesFor20Way) {
  RawConfig raw;
  raw.apply_set("dataset=synthetic-glyphs");
  const ExperimentConfig cfg = resolve_experiment(raw);
  const auto first = create_dataset(cfg);
  const auto second = create_dataset(cfg);
  EXPECT_EQ(first->checksum(), second->checksum());
  EXPECT_EQ(first->input_shape(), (std::vector<int64_t>{1, 28, 28}));
  for (Split split : {Split::kTrain, Split::kValidation, Split::kTest}) {
    EXPECT_NO_THROW(first->check_shape(split, EpisodeShape{20, 5, 15}));
  }
  // Strokes are ink (1) on background (0), and not every drawing is the same.
  Rng rng(1);
  const Episode e = first->sample(Split::kTest, EpisodeShape{5, 2, 1}, rng, nullptr);
  EXPECT_GT(e.support_x.max().item<float>(), 0.99f);
  EXPECT_EQ(e.support_x.min().item<float>(), 0.0f);
  const float mean_ink = e.support_x.mean().item<float>();
  EXPECT_GT(mean_ink, 0.03f);
  EXPECT_LT(mean_ink, 0.5f);
  EXPECT_FALSE(e.support_x[0].equal(e.support_x[1]));

  raw.apply_set("data.seed=8");
  EXPECT_NE(create_dataset(resolve_experiment(raw))->checksum(), first->checksum());
}

TEST(Sinusoid, TargetsFollowTheTaskFunction) {
  RawConfig raw;
  raw.apply_set("dataset=sinusoid");
  raw.apply_set("algorithm=maml");
  raw.apply_set("backbone=mlp");
  const ExperimentConfig cfg = resolve_experiment(raw);
  const auto data = create_dataset(cfg);
  Rng rng(3);
  const Episode e = data->sample(Split::kTrain, EpisodeShape{1, 10, 20}, rng, nullptr);
  EXPECT_EQ(e.support_x.sizes(), (std::vector<int64_t>{10, 1}));
  EXPECT_EQ(e.query_y.sizes(), (std::vector<int64_t>{20, 1}));
  EXPECT_LE(e.support_x.abs().max().item<float>(), 5.0f);
  EXPECT_LE(e.query_y.abs().max().item<float>(), 5.0f);
  // All points of one episode lie on one curve A sin(x - phase) = a sin x + b cos x:
  // least squares over support and query together leaves no residual.
  const at::Tensor x = at::cat({e.support_x, e.query_x}).to(at::kDouble).flatten();
  const at::Tensor y = at::cat({e.support_y, e.query_y}).to(at::kDouble).flatten();
  const at::Tensor basis = at::stack({x.sin(), x.cos()}, 1);
  const at::Tensor coef = at::linalg_solve(basis.t().mm(basis), basis.t().mv(y));
  EXPECT_LT((basis.mv(coef) - y).abs().max().item<double>(), 1e-5);
  const double amplitude = coef.norm().item<double>();
  EXPECT_GE(amplitude, 0.1 - 1e-5);
  EXPECT_LE(amplitude, 5.0 + 1e-5);
  EXPECT_THROW(data->check_shape(Split::kTrain, EpisodeShape{5, 10, 10}), DatasetError);
}

}  // namespace
}  // namespace metabench
