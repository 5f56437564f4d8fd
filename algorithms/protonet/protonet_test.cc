#include "algorithms/protonet/protonet.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

namespace metabench {
namespace {

TEST(ProtoNet, LogitsAreMinusSquaredDistancesToClassMeans) {
  const int64_t ways = 3, shots = 4, dim = 5;
  at::manual_seed(41);
  const at::Tensor support = at::randn({ways * shots, dim}, at::kDouble);
  const at::Tensor query = at::randn({7, dim}, at::kDouble);
  const at::Tensor logits = prototype_logits(support, query, ways);
  ASSERT_EQ(logits.sizes(), (std::vector<int64_t>{7, ways}));
  for (int64_t q = 0; q < 7; ++q) {
    for (int64_t k = 0; k < ways; ++k) {
      double expected = 0;
      for (int64_t d = 0; d < dim; ++d) {
        double mean = 0;
        for (int64_t s = 0; s < shots; ++s) mean += support[k * shots + s][d].item<double>();
        mean /= shots;
        const double diff = query[q][d].item<double>() - mean;
        expected -= diff * diff;
      }
      EXPECT_NEAR(logits[q][k].item<double>(), expected, 1e-12);
    }
  }
}

TEST(ProtoNet, QueryAtAPrototypeIsClassifiedAsItsClass) {
  const at::Tensor support = at::tensor({0.0, 0.0, 10.0, 0.0, 0.0, 10.0}, at::kDouble).view({3, 2});
  const at::Tensor query = at::tensor({9.0, 1.0, 0.5, 9.0}, at::kDouble).view({2, 2});
  const at::Tensor predicted = prototype_logits(support, query, 3).argmax(1);
  EXPECT_EQ(predicted[0].item<int64_t>(), 1);
  EXPECT_EQ(predicted[1].item<int64_t>(), 2);
}

}  // namespace
}  // namespace metabench
