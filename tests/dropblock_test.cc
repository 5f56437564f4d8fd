// DropBlock (nn/dropblock.h) and the training mode it depends on
// (metabench/training_mode.h): whole squares dropped and the rest rescaled,
// the paper's drop rate, masks from the mode's seed only, nothing outside
// training; ResNet-12 applies it in blocks 3 and 4, and the harness opens a
// mode around meta-training steps only.
#include "nn/dropblock.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "harness/config/experiment_config.h"
#include "harness/run/run_steps.h"
#include "metabench/backbone.h"
#include "metabench/param_set.h"
#include "metabench/rng.h"
#include "metabench/training_mode.h"
#include "results/sqlite.h"
#include "tests/test_util.h"

namespace metabench {
namespace {

// True when every zero of `m` ([H, W]) lies in some all-zero b x b square
// inside the map: what dropping whole blocks leaves.
bool zeros_form_squares(const at::Tensor& m, int64_t b) {
  const int64_t h = m.size(0), w = m.size(1);
  const at::Tensor zero = (m == 0).to(at::kFloat).unsqueeze(0).unsqueeze(0);
  // full[i][j]: the square with top-left (i, j) is all zero.
  const at::Tensor full = at::avg_pool2d(zero, {b, b}, {1, 1}) > 1.0 - 1e-6;
  const at::Tensor covered =
      at::max_pool2d(at::constant_pad_nd(full.to(at::kFloat), {b - 1, b - 1, b - 1, b - 1}), {b, b},
                     {1, 1}) > 0.5;
  return at::equal(covered.squeeze(0).squeeze(0), (m == 0).view({h, w}));
}

TEST(DropBlock, OutsideTrainingItIsTheIdentity) {
  const at::Tensor x = at::rand({2, 3, 8, 8});
  EXPECT_TRUE(drop_block(x, 0.5, 3).is_same(x));
  TrainingMode mode(1, 1.0);
  EXPECT_TRUE(drop_block(x, 0.0, 3).is_same(x)) << "rate 0 is off in training too";
}

TEST(DropBlock, DropsWholeSquaresAndRescalesWhatIsKept) {
  TrainingMode mode(7, 1.0);
  const at::Tensor x = at::ones({4, 8, 12, 12});
  const at::Tensor y = drop_block(x, 0.2, 3);
  const at::Tensor kept = y > 0;
  const int64_t n = kept.sum().item<int64_t>();
  ASSERT_GT(n, 0);
  ASSERT_LT(n, x.numel());
  // Every kept value is numel / kept: the sum is unchanged.
  const double scale = static_cast<double>(x.numel()) / static_cast<double>(n);
  EXPECT_TRUE(at::allclose(y.masked_select(kept), at::full({n}, scale), 1e-6, 1e-6));
  EXPECT_NEAR(y.sum().item<double>(), static_cast<double>(x.numel()), 1e-2);
  for (int64_t i = 0; i < 4; ++i) {
    for (int64_t c = 0; c < 8; ++c) {
      EXPECT_TRUE(zeros_form_squares(y[i][c], 3)) << "example " << i << " channel " << c;
    }
  }
}

// gamma is the paper's: the expected dropped fraction is near the rate (a
// little under it, as blocks overlap and edge positions are covered by
// fewer centres: about 0.095 for rate 0.1 on 20x20 maps and 3x3 blocks).
TEST(DropBlock, DropsAboutTheRateOfTheMap) {
  TrainingMode mode(11, 1.0);
  const at::Tensor y = drop_block(at::ones({8, 32, 20, 20}), 0.1, 3);
  const double dropped = (y == 0).to(at::kDouble).mean().item<double>();
  EXPECT_GT(dropped, 0.08);
  EXPECT_LT(dropped, 0.11);
}

TEST(DropBlock, MasksComeFromTheModesSeedOnly) {
  const at::Tensor x = at::rand({2, 4, 10, 10});
  auto draw = [&](uint64_t seed) {
    TrainingMode mode(seed, 1.0);
    return drop_block(x, 0.3, 3);
  };
  EXPECT_TRUE(at::equal(draw(3), draw(3)));
  EXPECT_FALSE(at::equal(draw(3), draw(4)));
  // Nested modes: the innermost draws, and the outer is current again after.
  TrainingMode outer(3, 1.0);
  {
    TrainingMode inner(4, 1.0);
    EXPECT_EQ(TrainingMode::current(), &inner);
  }
  EXPECT_EQ(TrainingMode::current(), &outer);
}

TEST(DropBlock, ABlockLargerThanTheMapDropsWholeChannelsAndGradientsSeeTheMask) {
  TrainingMode mode(5, 1.0);
  const at::Tensor x = at::rand({16, 8, 2, 2}, at::kDouble).requires_grad_(true);
  const at::Tensor y = drop_block(x, 0.3, 5);
  const at::Tensor zero_positions = (y == 0).to(at::kDouble).sum({2, 3});
  EXPECT_TRUE(((zero_positions == 0) | (zero_positions == 4)).all().item<bool>());
  EXPECT_GT((zero_positions == 4).sum().item<int64_t>(), 0);
  y.sum().backward();
  EXPECT_TRUE(at::allclose(x.grad(), y.detach() / x.detach(), 1e-12, 1e-12));
}

TEST(DropBlock, TheRateRampsUpLinearly) {
  EXPECT_DOUBLE_EQ(scheduled_drop_rate(0.1, 0.0, 0.01), 0.1);
  EXPECT_DOUBLE_EQ(scheduled_drop_rate(0.1, 0.5, 0.25), 0.05);
  EXPECT_DOUBLE_EQ(scheduled_drop_rate(0.1, 0.5, 0.9), 0.1);
}

TEST(DropBlock, ResNet12DropsDuringTrainingOnly) {
  auto net = [](const std::string& rate) {
    return create_backbone(
        resolve_assignments({"backbone=resnet12", "model.resnet_widths=[4,5,6,7]",
                             "model.resnet_pool=none", "model.dropblock_size=2",
                             "model.dropblock_rate=" + rate}),
        {3, 32, 32});
  };
  const auto plain = net("0"), dropping = net("0.3");
  Rng rng(2);
  const std::vector<at::Tensor> w = init_params(plain->param_specs(), rng, at::kCPU);
  const at::Tensor x = at::rand({6, 3, 32, 32});
  const at::Tensor reference = plain->forward(x, w);
  EXPECT_TRUE(at::equal(dropping->forward(x, w), reference)) << "evaluation drops nothing";
  TrainingMode mode(9, 1.0);
  const at::Tensor trained = dropping->forward(x, w);
  EXPECT_FALSE(at::equal(trained, reference));
  // Block 4's 2x2 map with squares of 2: whole channels are zero.
  const at::Tensor maps = trained.view({6, 7, 2, 2});
  EXPECT_GT(((maps == 0).sum({2, 3}) == 4).sum().item<int64_t>(), 0);
}

// The harness trains in a training mode (the runs differ with and without
// DropBlock) and evaluates outside one, and DropBlock's keys leave the
// hashes of configs without it as they were.
TEST(DropBlock, RunsTrainWithItAndItsKeysAreHashedOnlyWhenSet) {
  const ExperimentConfig off = resolve_assignments(
      {"backbone=resnet12", "model.resnet_widths=[8,8,8,8]", "model.dropblock_rate=0"});
  const ExperimentConfig unset =
      resolve_assignments({"backbone=resnet12", "model.resnet_widths=[8,8,8,8]"});
  EXPECT_EQ(off.hash, unset.hash);
  EXPECT_EQ(off.yaml.find("dropblock"), std::string::npos);
  const ExperimentConfig on = resolve_assignments(
      {"backbone=resnet12", "model.resnet_widths=[8,8,8,8]", "model.dropblock_rate=0.1"});
  EXPECT_NE(on.hash, unset.hash);
  EXPECT_NE(on.yaml.find("dropblock_rate: 0.1"), std::string::npos) << on.yaml;

  testing::TempDir dir;
  auto curve = [&](const std::string& rate, const std::string& name) {
    const std::string db = dir.file(name + ".sqlite");
    const auto r = testing::run_metabench(
        {"run", testing::source_path("configs/smoke/protonet.yaml"), "--db", db, "--set",
         "backbone=resnet12", "--set", "model.resnet_widths=[8,8,8,8]", "--set",
         "model.dropblock_size=2", "--set", "model.dropblock_rate=" + rate, "--set",
         "optim.iterations=6", "--set", "eval.val_interval=3", "--set", "eval.log_interval=1"});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    Database d(db, Database::Mode::kReadOnly);
    Statement s = d.prepare(
        "SELECT printf('%d %s %.17g', step, split, loss) FROM learning_curve ORDER BY step, split");
    std::string out;
    while (s.step()) out += s.column_text(0) + "\n";
    return out;
  };
  const std::string a = curve("0.3", "a"), b = curve("0.3", "b"), none = curve("0", "none");
  EXPECT_EQ(a, b) << "the masks depend on the run's seed only";
  EXPECT_NE(a, none);
  // The first point is the first iteration's training loss, taken in the
  // training mode; it differs.  (Validation is outside one: its losses differ
  // only through the weights.)
  EXPECT_NE(a.substr(0, a.find('\n')), none.substr(0, none.find('\n')));
}

}  // namespace
}  // namespace metabench
