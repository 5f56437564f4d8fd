// Every registered image backbone, whatever registers it: forward() returns
// [batch, output_dim()] and output_shape() multiplies to output_dim();
// forward_tasks() equals forward() task by task in float64 (batch statistics
// included); gradients reach every parameter.  Then the layouts papers
// prescribe: the feature-map sizes of conv4-rn and conv4-strided.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/csrc/autograd/autograd.h>

#include <cctype>
#include <cmath>

#include "datasets/episode_sampler.h"
#include "harness/config/experiment_config.h"
#include "harness/run/run_steps.h"
#include "metabench/algorithm.h"
#include "metabench/backbone.h"
#include "metabench/param_set.h"
#include "metabench/rng.h"
#include "metabench/training_mode.h"

namespace metabench {
namespace {

// Small widths keep the float64 checks fast, for the backbones with a width
// list too (any `*_widths` option: resnet12, conv4-r2d2).
std::unique_ptr<Backbone> make(const std::string& name, std::vector<int64_t> input,
                               std::vector<std::string> sets = {}) {
  sets.insert(sets.begin(), {"backbone=" + name, "model.width=6"});
  for (const FieldSpec& f : BackboneRegistry::instance().get(name).options.fields()) {
    const std::string& key = f.path;
    if (key.size() > 7 && key.compare(key.size() - 7, 7, "_widths") == 0) {
      sets.push_back("model." + key + "=[4,5,6,7]");
    }
  }
  return create_backbone(resolve_assignments(sets), std::move(input));
}

std::vector<at::Tensor> weights(const Backbone& b, uint64_t seed, int64_t tasks = 0) {
  Rng rng(seed);
  std::vector<at::Tensor> out;
  for (at::Tensor& t : init_params(b.param_specs(), rng, at::kCPU)) {
    t = t.to(at::kDouble);
    // Per-task weights: each task's perturbed differently, so a mix-up of
    // tasks cannot go unnoticed.
    if (tasks > 0)
      t = t.unsqueeze(0).repeat_interleave(tasks, 0) +
          0.1 * at::randn_like(t.unsqueeze(0).repeat_interleave(tasks, 0));
    out.push_back(t.requires_grad_(true));
  }
  return out;
}

class EveryImageBackbone : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryImageBackbone, OutputsItsDeclaredShapeAndGradientsReachEveryParameter) {
  at::manual_seed(1);
  const auto backbone = make(GetParam(), {1, 28, 28});
  int64_t product = 1;
  for (int64_t d : backbone->output_shape()) product *= d;
  EXPECT_EQ(product, backbone->output_dim()) << GetParam();
  const std::vector<at::Tensor> w = weights(*backbone, 2);
  const at::Tensor out = backbone->forward(at::rand({7, 1, 28, 28}, at::kDouble), w);
  ASSERT_EQ(out.sizes(), (std::vector<int64_t>{7, backbone->output_dim()})) << GetParam();
  const std::vector<at::Tensor> grads =
      torch::autograd::grad({out.pow(2).sum()}, w, {}, false, false, /*allow_unused=*/true);
  for (size_t i = 0; i < grads.size(); ++i) {
    ASSERT_TRUE(grads[i].defined()) << GetParam() << " " << backbone->param_specs()[i].name;
  }
}

TEST_P(EveryImageBackbone, ForwardTasksEqualsForwardTaskByTaskInFloat64) {
  at::manual_seed(3);
  for (const std::vector<int64_t>& input :
       {std::vector<int64_t>{1, 28, 28}, std::vector<int64_t>{3, 32, 32}}) {
    const auto backbone = make(GetParam(), input);
    const int64_t tasks = 3;
    const std::vector<at::Tensor> w = weights(*backbone, 4, tasks);
    std::vector<int64_t> x_shape = {tasks, 5};
    x_shape.insert(x_shape.end(), input.begin(), input.end());
    const at::Tensor x = at::rand(x_shape, at::kDouble);
    const at::Tensor stacked = backbone->forward_tasks(x, w);
    ASSERT_EQ(stacked.sizes(), (std::vector<int64_t>{tasks, 5, backbone->output_dim()}));
    for (int64_t t = 0; t < tasks; ++t) {
      std::vector<at::Tensor> own;
      for (const at::Tensor& p : w) own.push_back(p[t]);
      EXPECT_TRUE(at::allclose(stacked[t], backbone->forward(x[t], own), 1e-10, 1e-12))
          << GetParam() << " task " << t << " input channels " << input[0];
    }
  }
}

std::vector<std::string> image_backbones() {
  std::vector<std::string> names;
  for (const BackboneInfo* b : BackboneRegistry::instance().entries()) {
    if (b->accepts_images) names.push_back(b->name);
  }
  return names;
}

INSTANTIATE_TEST_SUITE_P(Registered, EveryImageBackbone, ::testing::ValuesIn(image_backbones()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string n = info.param;
                           for (char& c : n) {
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return n;
                         });

TEST(Conv4Layouts, RelationNetworksEmbeddingKeepsThePapersFeatureMaps) {
  // Sung et al. 2018: 64 x 5 x 5 on Omniglot's 28x28, 64 x 19 x 19 on
  // miniImageNet's 84x84.
  EXPECT_EQ(make("conv4-rn", {1, 28, 28})->output_shape(), (std::vector<int64_t>{6, 5, 5}));
  EXPECT_EQ(make("conv4-rn", {3, 84, 84})->output_shape(), (std::vector<int64_t>{6, 19, 19}));
}

TEST(Conv4Layouts, MamlsStridedNetworkAveragesItsLastMap) {
  // 28 -> 14 -> 7 -> 4 -> 2, then the mean over the 2x2 positions.
  const auto strided = make("conv4-strided", {1, 28, 28});
  EXPECT_EQ(strided->output_shape(), (std::vector<int64_t>{6}));
  EXPECT_EQ(make("conv4", {1, 28, 28})->output_shape(), (std::vector<int64_t>{6, 1, 1}));
}

TEST(Conv4Layouts, ImagesTooSmallForTheLayoutAreAConfigError) {
  try {
    make("conv4-rn", {1, 8, 8});
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "backbone 'conv4-rn' leaves no pixel of images of 8x8 after block 2"),
              std::string::npos)
        << e.what();
  }
}

// R2-D2's features as the authors' code computes them: block 3's output
// max-pooled once more (2x2, stride 1) and block 4's (pooled with stride 1),
// flattened and concatenated; dropout in meta-training only.
TEST(Conv4R2d2, ConcatenatesBlocksThreeAndFourAndDropsOutInTrainingOnly) {
  const ExperimentConfig cfg = resolve_assignments({"backbone=conv4-r2d2"});
  EXPECT_EQ(create_backbone(cfg, {3, 84, 84})->output_dim(), (384 + 512) * 9 * 9);
  EXPECT_EQ(create_backbone(cfg, {3, 32, 32})->output_dim(), (384 + 512) * 3 * 3);

  at::manual_seed(3);
  const auto net = make("conv4-r2d2", {3, 32, 32});
  const std::vector<at::Tensor> w = weights(*net, 4);
  const at::Tensor x = at::rand({6, 3, 32, 32}, at::kDouble);
  at::Tensor h = x;
  std::vector<at::Tensor> features;
  for (int b = 0; b < 4; ++b) {
    h = at::conv2d(h, w[4 * b], w[4 * b + 1], 1, 1);
    h = at::batch_norm(h, w[4 * b + 2], w[4 * b + 3], {}, {}, true, 0.0, 1e-5, true);
    const int64_t stride = b < 3 ? 2 : 1;
    h = at::leaky_relu(at::max_pool2d(h, {2, 2}, {stride, stride}), 0.1);  // pool, then ReLU
  }
  // Recomputed up to block 3 for its extra pool.
  at::Tensor h3 = x;
  for (int b = 0; b < 3; ++b) {
    h3 = at::conv2d(h3, w[4 * b], w[4 * b + 1], 1, 1);
    h3 = at::batch_norm(h3, w[4 * b + 2], w[4 * b + 3], {}, {}, true, 0.0, 1e-5, true);
    h3 = at::leaky_relu(at::max_pool2d(h3, {2, 2}), 0.1);
  }
  const at::Tensor expected =
      at::cat({at::max_pool2d(h3, {2, 2}, {1, 1}).flatten(1), h.flatten(1)}, 1);
  EXPECT_TRUE(at::allclose(net->forward(x, w), expected, 1e-10, 1e-12));

  const auto full = create_backbone(
      resolve_assignments({"backbone=conv4-r2d2", "model.r2d2_dropout=0.4"}), {3, 32, 32});
  Rng rng(1);
  const std::vector<at::Tensor> full_weights = init_params(full->param_specs(), rng, at::kCPU);
  const at::Tensor images = at::rand({40, 3, 32, 32});
  EXPECT_FALSE((full->forward(images, full_weights) == 0).any().item<bool>())
      << "no dropout outside training";
  TrainingMode mode(8, 1.0);
  const at::Tensor trained = full->forward(images, full_weights);
  // Block 4's part: dropout of 0.4 exactly; block 3's: a zero survives the
  // extra max-pool only when its whole 2x2 window was dropped.
  const at::Tensor block4 = trained.slice(1, 384 * 9);
  EXPECT_NEAR((block4 == 0).to(at::kDouble).mean().item<double>(), 0.4, 0.01);
  EXPECT_GT((trained.slice(1, 0, 384 * 9) == 0).sum().item<int64_t>(), 0);
}

TEST(ResNet12, HasTheStandardShapes) {
  const ExperimentConfig cfg = resolve_assignments({"backbone=resnet12"});
  EXPECT_EQ(create_backbone(cfg, {3, 84, 84})->output_shape(), (std::vector<int64_t>{640}));
  const ExperimentConfig maps =
      resolve_assignments({"backbone=resnet12", "model.resnet_pool=none"});
  EXPECT_EQ(create_backbone(maps, {3, 84, 84})->output_shape(), (std::vector<int64_t>{640, 5, 5}));
  // 3 convolutions with 2 batch-norm vectors each, and the shortcut's, per block.
  EXPECT_EQ(create_backbone(cfg, {3, 84, 84})->param_specs().size(), 4u * 12u);
}

TEST(ResNet12, ABlockWithItsMainPathZeroedPassesItsShortcut) {
  at::manual_seed(5);
  const auto net = make("resnet12", {3, 16, 16}, {"model.resnet_pool=none"});
  std::vector<at::Tensor> w = weights(*net, 6);
  const std::vector<ParamSpec> specs = net->param_specs();
  for (size_t i = 0; i < specs.size(); ++i) {
    if (specs[i].name.find(".conv") != std::string::npos) w[i] = at::zeros_like(w[i]);
  }
  const at::Tensor x = at::rand({4, 3, 16, 16}, at::kDouble);
  // Block by block: the main path is batch norm of zeros (its bias, zero),
  // so each block is max-pool(leaky ReLU(BN(1x1 conv(input)))).
  at::Tensor h = x;
  for (int b = 0; b < 4; ++b) {
    const size_t s = 12 * b + 9;
    h = at::batch_norm(at::conv2d(h, w[s]), w[s + 1], w[s + 2], {}, {}, true, 0.0, 1e-5, true);
    h = at::max_pool2d(at::leaky_relu(h, 0.1), {2, 2});
  }
  EXPECT_TRUE(at::allclose(net->forward(x, w), h.flatten(1), 1e-10, 1e-12));
}

// "Functional like Conv4": every classification algorithm, the second-order
// ones included, trains and evaluates through it.
TEST(ResNet12, EveryClassificationAlgorithmTrainsAndEvaluatesThroughIt) {
  for (const AlgorithmInfo* a : AlgorithmRegistry::instance().entries()) {
    if (!a->supports_classification) continue;
    const ExperimentConfig cfg = resolve_assignments(
        {"algorithm=" + a->name, "backbone=resnet12", "model.resnet_widths=[4,4,6,6]",
         "dataset=synthetic-glyphs", "episode.ways=3", "episode.shots=1", "episode.queries=2",
         "optim.meta_batch=2", "optim.inner_steps=1", "optim.inner_steps_test=2",
         "optim.iterations=4", "runtime.threads=1"});
    const std::unique_ptr<Dataset> dataset = create_dataset(cfg);
    TrainingStream stream(*dataset, cfg.train_shape, 3);
    const Model model = build_model(cfg, *dataset, at::kCPU);
    for (int i = 0; i < 2; ++i) {
      const StepResult r = model.algorithm->meta_train_step({stream.next(), stream.next()});
      EXPECT_TRUE(std::isfinite(r.loss)) << a->name;
    }
    EXPECT_TRUE(std::isfinite(model.algorithm->evaluate(stream.next()).loss)) << a->name;
  }
}

}  // namespace
}  // namespace metabench
