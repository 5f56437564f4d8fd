// Resumable runs: a run killed (SIGKILL) or stopped (SIGTERM) at several
// points and resumed from its training snapshot records exactly the numbers
// of a run never interrupted, in its own row, with no learning-curve point
// twice; a sweep stopped by SIGTERM resumes its running cell.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "harness/run/snapshot.h"
#include "metabench/rng.h"
#include "nn/checkpoint.h"
#include "results/sqlite.h"
#include "tests/test_util.h"

namespace metabench {
namespace {

using testing::run_metabench;
using testing::TempDir;

void sleep_ms(int64_t ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// The rows of `sql` (one text column) as lines.
std::string rows(Database& db, const std::string& sql);

// Everything a run records that does not measure time, as text.
struct Recorded {
  std::string status, episodes, curve, results, checkpoint;
  int64_t runs = 0, resumes = 0;
};

std::string rows(Database& db, const std::string& sql) {
  Statement s = db.prepare(sql);
  std::string out;
  while (s.step()) out += s.column_text(0) + "\n";
  return out;
}

Recorded recorded(const std::string& path) {
  Database db(path, Database::Mode::kReadOnly);
  Recorded r;
  r.runs = std::stoll(rows(db, "SELECT count(*) FROM runs"));
  r.status = rows(db, "SELECT status FROM runs");
  r.resumes = std::stoll(rows(db, "SELECT coalesce(max(resumes), 0) FROM runs"));
  // Printed with 17 significant digits: equal text is equal doubles.
  r.episodes = rows(db,
                    "SELECT printf('%d %.17g %.17g', episode_index, accuracy, loss) "
                    "FROM test_episodes ORDER BY episode_index");
  r.curve = rows(db,
                 "SELECT printf('%d %s %.17g %.17g', step, split, loss, accuracy) "
                 "FROM learning_curve ORDER BY step, split");
  r.results = rows(db,
                   "SELECT printf('%.17g %.17g %d %.17g %.17g %d %d', test_accuracy, test_loss, "
                   "best_val_step, best_val_accuracy, best_val_loss, iterations, test_episodes) "
                   "FROM run_results");
  const std::string checkpoint = rows(db, "SELECT checkpoint_path FROM runs");
  if (!checkpoint.empty()) {
    const Checkpoint c = load_checkpoint(checkpoint.substr(0, checkpoint.size() - 1));
    for (const auto& [name, t] : c.tensors) {
      const at::Tensor c = t.contiguous();
      r.checkpoint +=
          name + ":" + std::string(static_cast<const char*>(c.data_ptr()), c.numel() * 4) + "\n";
    }
  }
  return r;
}

void expect_same(const Recorded& a, const Recorded& b) {
  EXPECT_EQ(a.episodes, b.episodes);
  EXPECT_EQ(a.curve, b.curve);
  EXPECT_EQ(a.results, b.results);
  EXPECT_TRUE(a.checkpoint == b.checkpoint) << "the best checkpoints' bytes differ";
}

int64_t curve_points(const std::string& db) {
  if (!std::filesystem::exists(db)) return 0;
  try {
    Database d(db, Database::Mode::kReadOnly);
    return std::stoll(rows(d, "SELECT count(*) FROM learning_curve"));
  } catch (const std::exception&) {
    return 0;  // not created yet
  }
}

// Whether the latest run of `db` is recorded as completed.
bool completed(const std::string& db) {
  Database d(db, Database::Mode::kReadOnly);
  return rows(d, "SELECT status FROM runs ORDER BY run_id DESC LIMIT 1") == "completed\n";
}

// Whether a run of the test's "killed" database has written a snapshot.
bool has_snapshot(const TempDir& dir) {
  std::error_code ec;
  for (const auto& entry :
       std::filesystem::directory_iterator(dir.file("killed.checkpoints"), ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > 12 && name.compare(name.size() - 12, 12, "-snapshot.pt") == 0) return true;
  }
  return false;
}

struct Case {
  const char* algorithm;
  std::vector<std::string> settings;
  const char* name = nullptr;  // the test's name when not the algorithm's
};

std::vector<std::string> run_args(const Case& c, const std::string& db) {
  std::vector<std::string> args = {
      "run",   testing::source_path(std::string("configs/smoke/") + c.algorithm + ".yaml"),
      "--db",  db,
      "--set", "runtime.snapshot_minutes=0.0001",  // a snapshot after nearly every iteration
      "--set", "optim.iterations=60",
      "--set", "eval.val_interval=10",
      "--set", "eval.log_interval=3"};
  for (const auto& s : c.settings) {
    args.push_back("--set");
    args.push_back(s);
  }
  return args;
}

class KillAndResume : public ::testing::TestWithParam<Case> {};

// SIGKILL at three points (seeded delays after the first curve points are
// in), each followed by `run --resume`, then a last resume to the end.
TEST_P(KillAndResume, SigkillAtSeveralPointsThenResumeRecordsWhatAnUninterruptedRunRecords) {
  TempDir dir;
  const Case& c = GetParam();
  const auto ref = run_metabench(run_args(c, dir.file("ref.sqlite")));
  ASSERT_EQ(ref.exit_code, 0) << ref.output;
  const std::string db = dir.file("killed.sqlite");
  std::vector<std::string> args = run_args(c, db);
  args.push_back("--resume");
  Rng rng(15);
  int kills = 0;
  int64_t last_points = -1;
  bool finished = false;
  for (int attempt = 0; attempt < 3; ++attempt) {
    const std::string log = dir.file("run-" + std::to_string(attempt) + ".txt");
    const int pid = testing::spawn_metabench(args, log);
    // Wait for training progress beyond the last attempt's, then kill.  Up
    // to 60 s: a loaded CI machine can take over 15 s to start a run (its
    // OpenBLAS restart included), and a kill before the first snapshot
    // would start the run over in a new row.
    // The points reach the database just before the snapshot that
    // follows them is written (harness/run/training_loop.h), so the first
    // kill also waits for the first snapshot file.
    for (int i = 0; i < 12000 && (curve_points(db) <= last_points + 1 || !has_snapshot(dir)); ++i) {
      sleep_ms(5);
    }
    sleep_ms(static_cast<int64_t>(rng.uniform_int(300)));
    last_points = curve_points(db);
    kill(pid, SIGKILL);
    const int code = testing::wait_exit_code(pid);
    // Finished before the kill landed, or landed after the run was recorded
    // as completed (while the process removed its snapshot or exited): a
    // further `run --resume` would start a new run.
    finished = code == 0 || completed(db);
    if (finished) break;
    EXPECT_EQ(code, 128 + SIGKILL) << testing::read_text(log);
    ++kills;
  }
  if (!finished) {
    const auto last = run_metabench(args);
    ASSERT_EQ(last.exit_code, 0) << last.output;
  }
  const Recorded a = recorded(dir.file("ref.sqlite")), b = recorded(db);
  EXPECT_GE(kills, 2) << "the runs finished before they could be killed";
  EXPECT_EQ(b.runs, 1) << "every resume continues the same row";
  EXPECT_EQ(b.status, "completed\n");
  EXPECT_GE(b.resumes, 1);
  expect_same(a, b);
  // A completed run's snapshot is removed.
  for (const auto& entry : std::filesystem::directory_iterator(dir.file("killed.checkpoints"))) {
    EXPECT_EQ(entry.path().string().find("snapshot"), std::string::npos) << entry.path();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Algorithms, KillAndResume,
    ::testing::Values(Case{"maml", {}}, Case{"reptile", {}},
                      // 60 iterations of smoke ProtoNets train in 0.2 s
                      // (2026-12-06), inside the kill's random delay.
                      Case{"protonet", {"optim.iterations=400"}}, Case{"matchingnet", {}},
                      // DropBlock's masks resume with the stream.
                      Case{"protonet",
                           {"backbone=resnet12", "model.resnet_widths=[8,8,8,8]",
                            "model.dropblock_rate=0.2", "model.dropblock_size=2"},
                           "protonet_resnet12_dropblock"}),
    [](const ::testing::TestParamInfo<Case>& info) {
      return std::string(info.param.name ? info.param.name : info.param.algorithm);
    });

// SIGTERM while validations take most of the time: the run records itself
// 'interrupted' with a snapshot (often one whose validation is pending),
// and `--resume` finishes it identically.
TEST(Resume, SigtermMidRunWritesASnapshotAndResumeFinishesIdentically) {
  TempDir dir;
  Case c{"protonet", {"eval.val_episodes=150", "runtime.snapshot_minutes=0"}};
  const auto ref = run_metabench(run_args(c, dir.file("ref.sqlite")));
  ASSERT_EQ(ref.exit_code, 0) << ref.output;
  const std::string db = dir.file("t.sqlite");
  std::vector<std::string> args = run_args(c, db);
  args.push_back("--resume");
  const int pid = testing::spawn_metabench(args, dir.file("t.txt"));
  for (int i = 0; i < 3000 && curve_points(db) < 4; ++i) sleep_ms(5);
  kill(pid, SIGTERM);
  const int code = testing::wait_exit_code(pid);
  ASSERT_EQ(code, 130) << testing::read_text(dir.file("t.txt"));
  {
    Database d(db, Database::Mode::kReadOnly);
    EXPECT_EQ(rows(d, "SELECT status FROM runs"), "interrupted\n");
    const std::string snapshot = rows(d, "SELECT snapshot_path FROM runs");
    const TrainingSnapshot s = load_snapshot(snapshot.substr(0, snapshot.size() - 1));
    EXPECT_GT(s.iteration, 0);
    EXPECT_LT(s.iteration, 60);
  }
  const auto resumed = run_metabench(args);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("resuming run 1 at iteration"), std::string::npos)
      << resumed.output;
  expect_same(recorded(dir.file("ref.sqlite")), recorded(db));
}

// A sweep stopped by SIGTERM in mid-cell: its worker snapshots and records
// 'interrupted'; the sweep run again resumes that cell in its row.
TEST(Resume, ASweepStoppedBySigtermResumesItsRunningCellFromTheSnapshot) {
  TempDir dir;
  const std::string sweep = dir.file("s.yaml");
  testing::write_text(sweep, "name: s\nalgorithms:\n  - {name: maml, config: " +
                                 testing::source_path("configs/smoke/maml.yaml") +
                                 "}\ndatasets: [synthetic-glyphs]\nseeds: [1]\n");
  const std::string db = dir.file("s.sqlite");
  const std::vector<std::string> longer = {"--set", "optim.iterations=80", "--set",
                                           "eval.val_interval=10"};
  auto sweep_args = [&](const std::string& db) {
    std::vector<std::string> args = {"sweep", sweep, "--db", db};
    args.insert(args.end(), longer.begin(), longer.end());
    return args;
  };
  const int pid = testing::spawn_metabench(sweep_args(db), dir.file("1.txt"));
  for (int i = 0; i < 3000 && curve_points(db) < 6; ++i) sleep_ms(5);
  kill(pid, SIGTERM);
  testing::wait_exit_code(pid);
  {
    Database d(db, Database::Mode::kReadOnly);
    ASSERT_EQ(rows(d, "SELECT status FROM runs"), "interrupted\n")
        << testing::read_text(dir.file("1.txt"));
  }
  const auto again = run_metabench(sweep_args(db));
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("resuming run 1 at iteration"), std::string::npos) << again.output;
  const Recorded r = recorded(db);
  EXPECT_EQ(r.runs, 1);
  EXPECT_EQ(r.status, "completed\n");
  EXPECT_EQ(r.resumes, 1);
  // The same cell run once without interruption records the same numbers.
  const auto ref = run_metabench(sweep_args(dir.file("ref.sqlite")));
  ASSERT_EQ(ref.exit_code, 0) << ref.output;
  expect_same(recorded(dir.file("ref.sqlite")), r);
}

TEST(Resume, WithoutASnapshotTheRunStartsOverAndKeepSnapshotsKeepsTheLastOne) {
  TempDir dir;
  const std::string db = dir.file("k.sqlite");
  Case c{"protonet", {"runtime.keep_snapshots=true"}};
  std::vector<std::string> args = run_args(c, db);
  args.push_back("--resume");
  const auto first = run_metabench(args);  // nothing to resume: a fresh run
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_EQ(first.output.find("resuming"), std::string::npos) << first.output;
  Database d(db, Database::Mode::kReadOnly);
  const std::string snapshot = rows(d, "SELECT snapshot_path FROM runs");
  const TrainingSnapshot s = load_snapshot(snapshot.substr(0, snapshot.size() - 1));
  EXPECT_EQ(s.iteration, 60);
  EXPECT_FALSE(s.validation_pending);
  EXPECT_FALSE(s.training.empty()) << "the optimiser's moments are in the snapshot";
}

TEST(Resume, ASnapshotOfAnotherConfigOrADamagedOneIsRefusedNamingTheFile) {
  TempDir dir;
  const std::string db = dir.file("x.sqlite");
  Case c{"protonet", {}};
  std::vector<std::string> args = run_args(c, db);
  args.push_back("--resume");
  const int pid = testing::spawn_metabench(args, dir.file("x.txt"));
  for (int i = 0; i < 3000 && curve_points(db) < 3; ++i) sleep_ms(5);
  kill(pid, SIGTERM);
  ASSERT_EQ(testing::wait_exit_code(pid), 130) << testing::read_text(dir.file("x.txt"));
  std::string snapshot;
  {
    Database d(db, Database::Mode::kReadOnly);
    snapshot = rows(d, "SELECT snapshot_path FROM runs");
    snapshot.pop_back();
  }
  const std::string bytes = testing::read_text(snapshot);
  testing::write_text(snapshot, bytes.substr(0, bytes.size() / 2));
  const auto damaged = run_metabench(args);
  EXPECT_EQ(damaged.exit_code, 2) << damaged.output;
  EXPECT_NE(damaged.output.find(snapshot), std::string::npos) << damaged.output;
  Database d(db, Database::Mode::kReadOnly);
  EXPECT_EQ(rows(d, "SELECT status FROM runs"), "interrupted\n")
      << "a refused resume leaves the interrupted run as it was";
}

}  // namespace
}  // namespace metabench
