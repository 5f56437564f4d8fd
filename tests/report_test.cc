// The Markdown report: aggregation over seeds only within one configuration,
// and a clear "nothing to report" for empty or failed-only databases.
#include "results/report.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/strings.h"
#include "harness/config/experiment_config.h"
#include "harness/run/experiment_runner.h"
#include "metabench/errors.h"
#include "results/store.h"
#include "tests/test_util.h"

namespace metabench {
namespace {

void run_smoke(ResultsStore& store, const std::vector<std::string>& sets) {
  RawConfig raw = RawConfig::from_file(testing::source_path("configs/smoke/protonet.yaml"));
  raw.apply_set("runtime.progress=false");
  raw.apply_set("optim.iterations=3");
  raw.apply_set("eval.test_episodes=5");
  for (const auto& s : sets) raw.apply_set(s);
  run_experiment(resolve_experiment(raw), store, {});
}

// Rows of the main tables (not of the pairwise-test tables) starting with `prefix`.
size_t count(const std::string& text, const std::string& prefix) {
  size_t n = 0;
  for (const std::string& line : split(text, '\n')) {
    const auto bars = std::count(line.begin(), line.end(), '|');
    if (line.rfind(prefix, 0) == 0 && bars >= 11) ++n;
  }
  return n;
}

TEST(Report, AggregatesSeedsWithinOneConfigurationOnly) {
  testing::TempDir dir;
  ResultsStore store(dir.file("r.sqlite"), ResultsStore::Access::kReadWrite);
  run_smoke(store, {"seed=1"});
  run_smoke(store, {"seed=2"});
  std::string report = markdown_report(store, {});
  EXPECT_EQ(count(report, "| protonet | "), 1u) << report;
  EXPECT_NE(report.find(" | 2 | 5 | "), std::string::npos) << "2 seeds, 5 episodes\n" << report;

  // The same algorithm with another learning rate is another experiment.
  run_smoke(store, {"seed=1", "optim.meta_lr=0.002"});
  report = markdown_report(store, {});
  EXPECT_EQ(count(report, "| protonet [config "), 2u) << report;
  EXPECT_NE(report.find(" | 2 | 5 | "), std::string::npos) << report;
  EXPECT_NE(report.find(" | 1 | 5 | "), std::string::npos) << report;
  // Runtime keys do not make a new configuration.
  run_smoke(store, {"seed=3", "runtime.threads=1"});
  report = markdown_report(store, {});
  EXPECT_EQ(count(report, "| protonet [config "), 2u) << report;
  EXPECT_NE(report.find(" | 3 | 5 | "), std::string::npos) << report;
}

TEST(Report, NothingToReportIsItsOwnError) {
  testing::TempDir dir;
  ResultsStore store(dir.file("r.sqlite"), ResultsStore::Access::kReadWrite);
  EXPECT_THROW(markdown_report(store, {}), NoResults);
  RunRecord failed;
  failed.config_hash = "h";
  failed.config_yaml = "seed: 1\n";
  failed.algorithm = "protonet";
  failed.dataset = "synthetic-glyphs";
  failed.backbone = "conv4";
  const int64_t id = store.begin_run(failed, "t");
  store.end_run(id, "failed", "boom", "t");
  try {
    markdown_report(store, {});
    FAIL() << "expected NoResults";
  } catch (const NoResults& e) {
    EXPECT_NE(std::string(e.what()).find("(1 failed)"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace metabench
