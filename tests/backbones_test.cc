// Every registered image backbone, whatever registers it: forward() returns
// [batch, output_dim()] and output_shape() multiplies to output_dim();
// forward_tasks() equals forward() task by task in float64 (batch statistics
// included); gradients reach every parameter.  Then the layouts papers
// prescribe: the feature-map sizes of conv4-rn and conv4-strided.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/csrc/autograd/autograd.h>

#include <cctype>

#include "harness/config/experiment_config.h"
#include "metabench/backbone.h"
#include "metabench/param_set.h"
#include "metabench/rng.h"

namespace metabench {
namespace {

std::unique_ptr<Backbone> make(const std::string& name, std::vector<int64_t> input) {
  const ExperimentConfig cfg = resolve_assignments({"backbone=" + name, "model.width=6"});
  return create_backbone(cfg, std::move(input));
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

}  // namespace
}  // namespace metabench
