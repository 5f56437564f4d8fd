// Relation Networks' mathematics: the relation module's input is the
// class-summed support map concatenated with the query map, class first
// (Sung et al. 2018, eq. 1 and sec. 3.3); the scores lie in [0, 1]; the loss
// is the mean squared error against one-hot labels, as computed by hand;
// the fully connected layer's width follows the paper's map sizes.
#include "algorithms/relationnet/relationnet.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "metabench/errors.h"
#include "metabench/rng.h"

namespace metabench {
namespace {

TEST(RelationNet, PairsConcatenateEachClassSumOfSupportMapsWithEachQueryMap) {
  at::manual_seed(5);
  const int64_t ways = 3, shots = 2, queries = 4;
  const at::Tensor support = at::randn({ways * shots, 2, 3, 3}, at::kDouble);
  // Labels out of class order: the sum must follow the labels.
  const at::Tensor support_y = at::tensor({2, 0, 1, 0, 2, 1}, at::kLong);
  const at::Tensor query = at::randn({queries, 2, 3, 3}, at::kDouble);
  const at::Tensor pairs = relation_pairs(support, support_y, query, ways);
  ASSERT_EQ(pairs.sizes(), (std::vector<int64_t>{queries * ways, 4, 3, 3}));
  for (int64_t i = 0; i < queries; ++i) {
    for (int64_t k = 0; k < ways; ++k) {
      at::Tensor sum = at::zeros({2, 3, 3}, at::kDouble);
      for (int64_t s = 0; s < ways * shots; ++s) {
        if (support_y[s].item<int64_t>() == k) sum += support[s];
      }
      const at::Tensor row = pairs[i * ways + k];
      EXPECT_TRUE(at::allclose(row.slice(0, 0, 2), sum, 0, 1e-14))
          << "query " << i << " class " << k;
      EXPECT_TRUE(at::equal(row.slice(0, 2), query[i])) << "query " << i << " class " << k;
    }
  }
}

TEST(RelationNet, LossIsTheMeanSquaredErrorAgainstOneHotLabels) {
  const at::Tensor scores = at::tensor({0.9, 0.2, 0.4, 0.7, 0.1, 0.3}, at::kDouble).view({3, 2});
  const at::Tensor labels = at::tensor({0, 1, 1}, at::kLong);
  // (0.9-1)^2 + 0.2^2 + 0.4^2 + (0.7-1)^2 + 0.1^2 + (0.3-1)^2, over 6.
  const double expected = (0.01 + 0.04 + 0.16 + 0.09 + 0.01 + 0.49) / 6;
  EXPECT_NEAR(relation_loss(scores, labels).item<double>(), expected, 1e-15);
}

std::vector<at::Tensor> weights(const std::vector<ParamSpec>& specs) {
  Rng rng(3);
  std::vector<at::Tensor> w;
  for (at::Tensor& t : init_params(specs, rng, at::kCPU)) w.push_back(t.to(at::kDouble));
  return w;
}

TEST(RelationNet, ScoresLieInZeroToOneEvenForExtremeInputs) {
  at::manual_seed(7);
  const RelationModule module({4, 5, 5}, 8, 1);
  const std::vector<at::Tensor> w = weights(module.param_specs("relation"));
  for (const double scale : {1.0, 1e3}) {
    const at::Tensor scores = module.forward(scale * at::randn({30, 8, 5, 5}, at::kDouble), w);
    ASSERT_EQ(scores.sizes(), (std::vector<int64_t>{30}));
    EXPECT_GE(scores.min().item<double>(), 0.0);
    EXPECT_LE(scores.max().item<double>(), 1.0);
    // Not constant: the module does tell pairs apart.
    EXPECT_GT(scores.std().item<double>(), 1e-6) << "scale " << scale;
  }
}

TEST(RelationNet, TheFullyConnectedLayerSeesThePapersMapSizes) {
  // Omniglot (paper code, padding 1): 64 x 5 x 5 -> 2 x 2 -> 1 x 1, so fc1
  // is 64 -> 8.  miniImageNet (padding 0): 19 -> 17 -> 8 -> 6 -> 3, so fc1
  // is 64 * 3 * 3 = 576 -> 8.
  const auto fc1 = [](const RelationModule& m) {
    for (const ParamSpec& p : m.param_specs("relation")) {
      if (p.name == "relation.fc1.weight") return p.shape;
    }
    return std::vector<int64_t>{};
  };
  EXPECT_EQ(fc1(RelationModule({64, 5, 5}, 8, 1)), (std::vector<int64_t>{8, 64}));
  EXPECT_EQ(fc1(RelationModule({64, 19, 19}, 8, 0)), (std::vector<int64_t>{8, 576}));
  // A 1 x 1 map (Conv4 on 28x28 images) is compared without pooling.
  EXPECT_EQ(fc1(RelationModule({16, 1, 1}, 8, 1)), (std::vector<int64_t>{8, 16}));
  EXPECT_THROW(RelationModule({16, 1, 1}, 8, 0), ConfigError);
}

}  // namespace
}  // namespace metabench
