#include "algorithms/anil/anil.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "harness/config/experiment_config.h"
#include "harness/model/params.h"

namespace metabench {
namespace {

ExperimentConfig anil_config() {
  RawConfig raw;
  for (const char* s : {"algorithm=anil", "model.width=4", "optim.inner_steps=3"}) raw.apply_set(s);
  return resolve_experiment(raw);
}

TEST(Anil, InnerLoopLeavesEveryBodyParameterUnchanged) {
  const ExperimentConfig cfg = anil_config();
  const auto backbone =
      BackboneRegistry::instance().get("conv4", "backbone").create(cfg, {1, 28, 28});
  const MamlNetwork net(*backbone, 5);
  const std::vector<at::Tensor> params = trainable_params(net.param_specs(), 1, at::kCPU);
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
  const ExperimentConfig cfg = anil_config();
  const auto backbone =
      BackboneRegistry::instance().get("conv4", "backbone").create(cfg, {1, 28, 28});
  AlgorithmContext ctx;
  ctx.config = &cfg;
  ctx.backbone = backbone.get();
  ctx.init_seed = 2;
  auto anil = AlgorithmRegistry::instance().get("anil", "algorithm").create(ctx);
  const at::Tensor first_body = anil->state().front().second.detach().clone();
  const Episode e{at::rand({5, 1, 28, 28}), at::arange(5, at::kLong), at::rand({10, 1, 28, 28}),
                  at::arange(5, at::kLong).repeat({2}), 5};
  anil->meta_train_step({e});
  EXPECT_FALSE(anil->state().front().second.equal(first_body));
}

}  // namespace
}  // namespace metabench
