#include "algorithms/matchingnet/matchingnet.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "metabench/param_set.h"

namespace metabench {
namespace {

void expect_distribution(const at::Tensor& attention, int64_t queries, int64_t support) {
  ASSERT_EQ(attention.sizes(), (std::vector<int64_t>{queries, support}));
  EXPECT_GE(attention.min().item<double>(), 0.0);
  EXPECT_TRUE(
      at::allclose(attention.sum(1), at::ones({queries}, attention.options()), 1e-9, 1e-12));
}

TEST(MatchingNet, AttentionIsADistributionWithAndWithoutFce) {
  const int64_t dim = 6;
  at::manual_seed(31);
  const at::Tensor support = at::randn({10, dim}, at::kDouble);
  const at::Tensor query = at::randn({7, dim}, at::kDouble);
  expect_distribution(matching_attention(support, query, {}, 0), 7, 10);
  Rng rng(1);
  std::vector<at::Tensor> fce;
  for (auto& t : init_params(fce_param_specs(dim), rng, at::kCPU)) fce.push_back(t.to(at::kDouble));
  for (int64_t steps : {1, 5})
    expect_distribution(matching_attention(support, query, fce, steps), 7, 10);
  // FCE changes the attention.
  EXPECT_FALSE(at::allclose(matching_attention(support, query, fce, 3),
                            matching_attention(support, query, {}, 0)));
}

TEST(MatchingNet, AttentionIsSoftmaxOfCosineSimilarity) {
  const at::Tensor support = at::tensor({1.0, 0.0, 0.0, 2.0}, at::kDouble).view({2, 2});
  const at::Tensor query = at::tensor({3.0, 3.0}, at::kDouble).view({1, 2});
  // cos = 1/sqrt(2) to both support examples: equal weights.
  const at::Tensor a = matching_attention(support, query, {}, 0);
  EXPECT_NEAR(a[0][0].item<double>(), 0.5, 1e-12);
  const at::Tensor b =
      matching_attention(support, at::tensor({1.0, 0.0}, at::kDouble).view({1, 2}), {}, 0);
  // cos 1 vs 0: weights e / (e + 1) and 1 / (e + 1).
  EXPECT_NEAR(b[0][0].item<double>(), std::exp(1.0) / (std::exp(1.0) + 1.0), 1e-12);
}

TEST(MatchingNet, LogProbsSumAttentionPerClass) {
  const at::Tensor attention = at::tensor({0.1, 0.2, 0.3, 0.4}, at::kDouble).view({1, 4});
  const at::Tensor labels = at::tensor({0, 1, 0, 1}, at::kLong);
  const at::Tensor p = matching_log_probs(attention, labels, 2).exp();
  EXPECT_NEAR(p[0][0].item<double>(), 0.4, 1e-12);
  EXPECT_NEAR(p[0][1].item<double>(), 0.6, 1e-12);
}

}  // namespace
}  // namespace metabench
