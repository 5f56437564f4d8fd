// `metabench sweep` end to end: one completed run per cell, idempotent
// re-runs, and resume after a real SIGINT in the middle of a run.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "core/strings.h"
#include "harness/config/sweep_config.h"
#include "results/store.h"
#include "tests/test_util.h"

namespace metabench {
namespace {

using testing::run_metabench;
using testing::TempDir;

int64_t count(const std::string& db, const std::string& where) {
  ResultsStore store(db, ResultsStore::Access::kReadOnly);
  Statement s = store.database().prepare("SELECT count(*) FROM run_summary WHERE " + where);
  return s.step() ? s.column_int(0) : -1;
}

// Writes `dir`/slow.yaml: three ProtoNets cells of a few seconds each.
std::string write_slow_sweep(const TempDir& dir) {
  testing::write_text(dir.file("slow.yaml"),
                      "name: slow\nalgorithms:\n  - {name: protonet, config: " +
                          testing::source_path("configs/smoke/protonet.yaml") +
                          ", set: {optim.iterations: 300, eval.val_interval: 100}}\n"
                          "datasets: [synthetic-glyphs]\nseeds: [1, 2, 3]\n");
  return dir.file("slow.yaml");
}

// Polls `db` every 100 ms, for up to two minutes, until `ready` holds;
// returns whether it did.  The database may not exist at first.
template <typename Ready>
bool wait_until(const std::string& db, Ready ready) {
  for (int i = 0; i < 1200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    try {
      if (ready(db)) return true;
    } catch (const std::exception&) {
      // Not created yet.
    }
  }
  return false;
}

TEST(Sweep, ShippedSweepsExpandToTheDocumentedMatrix) {
  const Sweep quickstart = load_sweep(testing::source_path("configs/sweeps/quickstart.yaml"), {});
  EXPECT_EQ(quickstart.name, "quickstart");
  // 6 algorithms x 2 settings x 3 seeds, plus 4 gradient-based x sinusoid x 3 seeds.
  EXPECT_EQ(quickstart.cells.size(), 6u * 2u * 3u + 4u * 3u);
  EXPECT_EQ(quickstart.skipped.size(), 2u);  // protonet and matchingnet x sinusoid
  for (const auto& cell : quickstart.cells) {
    if (cell.dataset == "sinusoid") {
      EXPECT_EQ(cell.backbone, "mlp");
      EXPECT_EQ(cell.test_shape.shots, 10);
    }
  }
  const Sweep omniglot = load_sweep(testing::source_path("configs/sweeps/omniglot-small.yaml"), {});
  EXPECT_EQ(omniglot.cells.size(), 12u * 2u * 3u);  // every algorithm x 1/5-shot x 3 seeds
  for (const auto& cell : omniglot.cells) EXPECT_EQ(cell.dataset, "omniglot-small");
  const Sweep smoke = load_sweep(testing::source_path("configs/sweeps/smoke.yaml"), {});
  EXPECT_EQ(smoke.cells.size(), 6u);
  ASSERT_EQ(smoke.skipped.size(), 1u);
  EXPECT_EQ(smoke.skipped[0], "protonet x sinusoid: protonet does not support regression");
}

TEST(Sweep, RunsEveryCellOnceAndResumesIdempotently) {
  TempDir dir;
  const std::string db = dir.file("r.sqlite");
  const std::string sweep = testing::source_path("configs/sweeps/smoke.yaml");
  const auto first = run_metabench({"sweep", sweep, "--db", db, "--set", "runtime.progress=false"});
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_EQ(count(db, "status = 'completed' AND sweep = 'smoke'"), 6);
  EXPECT_EQ(count(db, "1"), 6);
  const auto again = run_metabench({"sweep", sweep, "--db", db, "--set", "runtime.progress=false"});
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("6 cells, 0 run, 6 skipped"), std::string::npos) << again.output;
  EXPECT_EQ(count(db, "1"), 6);

  // The four report formats from this sweep's database agree with it: the
  // golden numbers are computed here from run_summary.
  ResultsStore store(db, ResultsStore::Access::kReadOnly);
  Statement q = store.database().prepare(
      "SELECT avg(test_accuracy), count(*) FROM run_summary WHERE algorithm = 'maml' AND "
      "dataset = 'synthetic-glyphs'");
  ASSERT_TRUE(q.step());
  const std::string maml_mean = format("%.2f", q.column_double(0));
  for (const char* format_name : {"md", "csv", "latex", "html"}) {
    const auto report =
        run_metabench({"report", "--db", db, "--sweep", "smoke", "--format", format_name, "--out",
                       dir.file(std::string("r.") + format_name)});
    ASSERT_EQ(report.exit_code, 0) << format_name << ": " << report.output;
  }
  EXPECT_NE(testing::read_text(dir.file("r.md")).find("| maml | " + maml_mean + " | ± "),
            std::string::npos)
      << maml_mean << "\n"
      << testing::read_text(dir.file("r.md"));
  EXPECT_NE(testing::read_text(dir.file("r.latex")).find(maml_mean), std::string::npos);
  EXPECT_NE(testing::read_text(dir.file("r.html")).find("<td>maml</td><td"), std::string::npos);
  // csv: a header, 6 runs and 3 cells (protonet and maml on glyphs, maml on sinusoid).
  EXPECT_EQ(split(testing::read_text(dir.file("r.csv")), '\n').size(), 1u + 6u + 3u + 1u);
  // A changed hyperparameter is a different cell.
  const auto changed =
      run_metabench({"sweep", sweep, "--db", db, "--set", "eval.test_episodes=21"});
  ASSERT_EQ(changed.exit_code, 0) << changed.output;
  EXPECT_EQ(count(db, "status = 'completed'"), 12);
}

TEST(Sweep, AFailingCellIsReportedAndTheSweepGoesOn) {
  TempDir dir;
  const std::string db = dir.file("r.sqlite");
  // 25 shots + 5 queries need 30 drawings per class; the dataset has 20.
  testing::write_text(dir.file("mixed.yaml"),
                      "name: mixed\nalgorithms:\n  - {name: protonet, config: " +
                          testing::source_path("configs/smoke/protonet.yaml") +
                          "}\n"
                          "datasets: [synthetic-glyphs]\n"
                          "settings: [{ways: 5, shots: 25}, {ways: 5, shots: 1}]\nseeds: [1]\n");
  const auto r = run_metabench({"sweep", dir.file("mixed.yaml"), "--db", db});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("a class of the val split has 20 examples, fewer than the 30 "
                          "(shots + queries) an episode needs"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("2 cells, 1 run, 0 skipped (already completed), 1 failed"),
            std::string::npos)
      << r.output;
  EXPECT_EQ(count(db, "status = 'completed' AND shots = 1"), 1);
  EXPECT_EQ(count(db, "shots = 25"), 0) << "bad input must not be recorded as a run";
}

TEST(Sweep, ParallelJobsShareTheThreadsAndRecordEveryCell) {
  TempDir dir;
  const std::string db = dir.file("r.sqlite");
  // Four usable CPUs, whatever this machine has: two jobs get two threads each.
  const metabench::testing::ScopedEnv four("OMP_NUM_THREADS", "4");
  const auto r = run_metabench(
      {"sweep", testing::source_path("configs/sweeps/smoke.yaml"), "--db", db, "--jobs", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(count(db, "status = 'completed'"), 6);
  ResultsStore store(db, ResultsStore::Access::kReadOnly);
  Statement threads = store.database().prepare("SELECT DISTINCT threads FROM runs");
  ASSERT_TRUE(threads.step());
  EXPECT_EQ(threads.column_int(0), 2);
  EXPECT_FALSE(threads.step());
}

TEST(Sweep, InterruptedRunIsRecordedAndTheNextSweepResumes) {
  TempDir dir;
  const std::string db = dir.file("r.sqlite");
  const std::string sweep = write_slow_sweep(dir);
  const int pid = testing::spawn_metabench({"sweep", sweep, "--db", db}, dir.file("out.txt"));
  // Wait until the first run has completed and the second is under way.
  const bool ready = wait_until(db, [](const std::string& d) {
    return count(d, "status = 'completed'") == 1 && count(d, "status = 'running'") == 1;
  });
  ASSERT_TRUE(ready) << testing::read_text(dir.file("out.txt"));
  kill(pid, SIGINT);
  EXPECT_EQ(testing::wait_exit_code(pid), 130) << testing::read_text(dir.file("out.txt"));
  EXPECT_EQ(count(db, "status = 'completed'"), 1);
  EXPECT_EQ(count(db, "status = 'interrupted'"), 1);
  EXPECT_EQ(count(db, "status = 'running'"), 0);
  EXPECT_NE(testing::read_text(dir.file("out.txt")).find("run the same command again to resume"),
            std::string::npos);

  const auto resumed = run_metabench({"sweep", sweep, "--db", db});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("3 cells, 2 run, 1 skipped"), std::string::npos) << resumed.output;
  // The interrupted cell continued from its snapshot in its own row, which
  // keeps the record of the interruption in its resume count.
  EXPECT_EQ(count(db, "status = 'completed'"), 3);
  EXPECT_EQ(count(db, "status = 'interrupted'"), 0);
  EXPECT_EQ(count(db, "1"), 3);
  Database d(db, Database::Mode::kReadOnly);
  Statement resumes = d.prepare("SELECT count(*) FROM runs WHERE resumes = 1");
  ASSERT_TRUE(resumes.step());
  EXPECT_EQ(resumes.column_int(0), 1);
}

// libmetabench rebuilt under a running sweep: the sweep starts no cell on
// the new library under its old code (that crashed cells with signal 11),
// lets the running cell finish, exits 4 naming the library, and the next
// sweep runs the rest.  The sweep loads a copy of the library (through
// LD_LIBRARY_PATH, which precedes the binary's RUNPATH), replaced the way
// a linker replaces its output: a new file renamed over the old.
TEST(Sweep, ARebuiltLibraryStopsTheSweepBeforeItsNextCellAndNothingIsLost) {
  TempDir dir;
  const std::string db = dir.file("r.sqlite");
  std::filesystem::create_directories(dir.file("lib"));
  const std::string library = dir.file("lib/libmetabench.so.0");
  const std::string built = std::filesystem::canonical(
      std::filesystem::path(testing::metabench_binary()).parent_path() / "libmetabench.so.0");
  std::filesystem::copy_file(built, library);
  testing::ScopedEnv path("LD_LIBRARY_PATH", dir.file("lib"));
  const std::string sweep = write_slow_sweep(dir);
  const int pid =
      testing::spawn_metabench({"sweep", sweep, "--db", db, "--jobs", "1"}, dir.file("out.txt"));
  const bool running =
      wait_until(db, [](const std::string& d) { return count(d, "status = 'running'") == 1; });
  ASSERT_TRUE(running) << testing::read_text(dir.file("out.txt"));
  std::filesystem::copy_file(built, library + ".new");
  std::filesystem::rename(library + ".new", library);
  const int code = testing::wait_exit_code(pid);
  const std::string out = testing::read_text(dir.file("out.txt"));
  EXPECT_EQ(code, 4) << out;
  EXPECT_NE(out.find(library + " changed on disk while the sweep ran"), std::string::npos) << out;
  EXPECT_NE(out.find("2 cell(s) were not started"), std::string::npos) << out;
  EXPECT_EQ(count(db, "status = 'completed'"), 1) << "the running cell finishes";
  EXPECT_EQ(count(db, "1"), 1) << "no other cell was started";

  const auto rest = run_metabench({"sweep", sweep, "--db", db});
  ASSERT_EQ(rest.exit_code, 0) << rest.output;
  EXPECT_NE(rest.output.find("3 cells, 2 run, 1 skipped"), std::string::npos) << rest.output;
  EXPECT_EQ(count(db, "status = 'completed'"), 3);
  EXPECT_EQ(count(db, "1"), 3);
}

// A cell whose loss becomes infinite is recorded as 'diverged' (a result:
// its iteration and last finite loss), the sweep runs the other cells and
// succeeds, and the next sweep does not run it again.
TEST(Sweep, ADivergingCellIsRecordedAsDivergedAndTheSweepGoesOn) {
  TempDir dir;
  const std::string db = dir.file("r.sqlite");
  testing::write_text(dir.file("d.yaml"),
                      "name: d\nalgorithms:\n  - {name: maml, config: " +
                          testing::source_path("configs/smoke/maml.yaml") +
                          "}\ndatasets:\n  - {name: sinusoid, settings: [{ways: 1, shots: 10}], "
                          "set: {backbone: mlp, optim.inner_lr: 100, optim.meta_lr: 10}}\n"
                          "  - synthetic-glyphs\n");
  const auto r = run_metabench({"sweep", dir.file("d.yaml"), "--db", db});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("2 cells, 1 run, 0 skipped (already completed), 0 failed, 1 diverged"),
            std::string::npos)
      << r.output;
  EXPECT_EQ(count(db, "status = 'diverged'"), 1);
  EXPECT_EQ(count(db, "status = 'completed'"), 1);
  ResultsStore store(db, ResultsStore::Access::kReadOnly);
  Statement e = store.database().prepare("SELECT error FROM runs WHERE status = 'diverged'");
  ASSERT_TRUE(e.step());
  EXPECT_NE(e.column_text(0).find("diverged at iteration"), std::string::npos) << e.column_text(0);
  EXPECT_NE(e.column_text(0).find("the last finite"), std::string::npos) << e.column_text(0);
  const auto again = run_metabench({"sweep", dir.file("d.yaml"), "--db", db});
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("diverged as run"), std::string::npos) << again.output;
  EXPECT_NE(again.output.find("2 cells, 0 run, 2 skipped"), std::string::npos) << again.output;
}

// Regression: a dataset's `set` once leaked into the cells of the datasets
// after it (assigning a YAML::Node writes through to the node it shares with
// the algorithm's config file), so glyph cells after a sinusoid entry got
// its MLP backbone.
TEST(Sweep, ADatasetsSetDoesNotLeakIntoTheNextDatasetsCells) {
  TempDir dir;
  testing::write_text(dir.file("s.yaml"),
                      "name: s\nalgorithms:\n  - {name: maml, config: " +
                          testing::source_path("configs/smoke/maml.yaml") +
                          "}\ndatasets:\n  - {name: sinusoid, settings: [{ways: 1, shots: 10}], "
                          "set: {backbone: mlp}}\n  - synthetic-glyphs\n");
  const Sweep sweep = load_sweep(dir.file("s.yaml"), {});
  ASSERT_EQ(sweep.cells.size(), 2u);
  EXPECT_EQ(sweep.cells[0].backbone, "mlp");
  EXPECT_EQ(sweep.cells[1].backbone, "conv4");
}

}  // namespace
}  // namespace metabench
