// The pre-run memory bound (harness/run/memory_estimate.h): exact parameter
// counts for the built-in backbones, and impossible configs refused with
// exit 2 before anything is allocated or recorded.
#include "harness/run/memory_estimate.h"

#include <gtest/gtest.h>

#include "core/raw_config.h"
#include "metabench/errors.h"
#include "results/sqlite.h"
#include "tests/test_util.h"

namespace metabench {
namespace {

ExperimentConfig resolve(const std::vector<std::string>& sets) {
  RawConfig raw;
  for (const auto& s : sets) raw.apply_set(s);
  return resolve_experiment(raw);
}

TEST(MemoryEstimate, CountsTheBackbonesParametersAndTheBatch) {
  const ExperimentConfig conv =
      resolve({"algorithm=protonet", "dataset=synthetic-glyphs", "model.width=64",
               "optim.meta_batch=2", "episode.ways=5", "episode.shots=1", "episode.queries=15"});
  const MemoryEstimate c = estimate_memory(conv, {1, 28, 28});
  // 3x3 convolutions 1->64 and 3 x 64->64, plus biases and batch norm.
  const double parameters = 1 * 64 * 9 + 3 * 64 * 64 * 9 + 4 * 3 * 64;
  EXPECT_DOUBLE_EQ(c.parameters_mb, parameters * 16 / (1024.0 * 1024.0));
  EXPECT_DOUBLE_EQ(c.batch_mb, 2 * 5 * 16 * 28 * 28 * 4 / (1024.0 * 1024.0));
  EXPECT_GT(c.activations_mb, c.batch_mb);

  const ExperimentConfig mlp = resolve({"algorithm=maml", "dataset=sinusoid", "backbone=mlp",
                                        "episode.ways=1", "model.hidden=[40, 40]"});
  EXPECT_DOUBLE_EQ(estimate_memory(mlp, {1}).parameters_mb,
                   (1 * 40 + 40 + 40 * 40 + 40) * 16 / (1024.0 * 1024.0));
}

TEST(MemoryEstimate, AnImpossibleConfigIsRefusedBeforeAnythingIsRecorded) {
  const ExperimentConfig huge = resolve({"algorithm=maml", "dataset=sinusoid", "backbone=mlp",
                                         "episode.ways=1", "model.hidden=[1048576, 1048576]"});
  try {
    check_memory(huge, {1}, 24 * 1024);
    FAIL() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("this config needs at least 16"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("but 24576 MiB are available"), std::string::npos)
        << e.what();
  }
  EXPECT_NO_THROW(check_memory(resolve({"algorithm=protonet", "dataset=synthetic-glyphs"}),
                               {1, 28, 28}, 24 * 1024));

  testing::TempDir dir;
  const auto r = testing::run_metabench(
      {"run", testing::source_path("configs/smoke/maml.yaml"), "--set", "dataset=sinusoid", "--set",
       "backbone=mlp", "--set", "episode.ways=1", "--set", "episode.shots=10", "--set",
       "model.hidden=[1048576, 1048576]", "--db", dir.file("r.sqlite")});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("this config needs at least"), std::string::npos) << r.output;
  Database db(dir.file("r.sqlite"), Database::Mode::kReadOnly);
  Statement s = db.prepare("SELECT count(*) FROM runs");
  ASSERT_TRUE(s.step());
  EXPECT_EQ(s.column_int(0), 0);
}

}  // namespace
}  // namespace metabench
