#include "algorithms/anil/anil.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "harness/config/experiment_config.h"
#include "metabench/param_set.h"
#include "tests/test_util.h"

namespace metabench {
namespace {

const std::vector<std::string> kAnil = {"algorithm=anil", "model.width=4", "optim.inner_steps=3"};

TEST(Anil, InnerLoopLeavesEveryBodyParameterUnchanged) {
  const ExperimentConfig cfg = resolve_assignments(kAnil);
  const auto backbone = create_backbone(cfg, {1, 28, 28});
  const MamlNetwork net(*backbone, 5);
  const std::vector<at::Tensor> params = trainable_params(net.param_specs(), 1, at::kCPU);
  at::manual_seed(21);  // fixed data: a failure can be replayed
  const Episode e{at::rand({5, 1, 28, 28}), at::arange(5, at::kLong), at::rand({5, 1, 28, 28}),
                  at::arange(5, at::kLong), 5};
  const auto adapted = anil_adapt(net, params, e, TaskKind::kClassification, 3, 0.5, true);
  ASSERT_EQ(adapted.size(), params.size());
  const size_t head = net.head_index();
  for (size_t i = 0; i < head; ++i) {
    EXPECT_TRUE(adapted[i].is_same(params[i])) << "body tensor " << i << " was replaced";
    EXPECT_TRUE(adapted[i].equal(params[i]));
  }
  EXPECT_FALSE(adapted[head].equal(params[head])) << "the head must adapt";
  EXPECT_FALSE(adapted[head + 1].equal(params[head + 1]));
}

TEST(Anil, OuterLoopUpdatesTheBody) {
  const auto built = testing::make_algorithm(kAnil, {1, 28, 28}, TaskKind::kClassification, 2);
  Algorithm* anil = built->algorithm.get();
  const at::Tensor first_body = anil->state().front().second.detach().clone();
  at::manual_seed(22);
  const Episode e{at::rand({5, 1, 28, 28}), at::arange(5, at::kLong), at::rand({10, 1, 28, 28}),
                  at::arange(5, at::kLong).repeat({2}), 5};
  anil->meta_train_step({e});
  EXPECT_FALSE(anil->state().front().second.equal(first_body));
}

}  // namespace
}  // namespace metabench
