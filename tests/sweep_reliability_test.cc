// Sweeps under crashes and concurrency: SIGKILL of the sweep or of its
// workers at random points, many sweeps on one database at once, duplicate
// cells, and a claim taken over after its lease expired.  After each, every
// cell must be completed exactly once and the database intact.
#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "metabench/rng.h"
#include "results/sqlite.h"
#include "results/store.h"
#include "tests/test_util.h"

namespace metabench {
namespace {

using testing::run_metabench;
using testing::TempDir;

void sleep_ms(int64_t ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// A matrix of smoke-sized cells: ProtoNets and MAML on synthetic glyphs,
// `seeds` seeds each (about a second per cell).
std::string write_matrix(const TempDir& dir, int seeds) {
  std::string list;
  for (int s = 1; s <= seeds; ++s) list += (s > 1 ? ", " : "") + std::to_string(s);
  const std::string path = dir.file("matrix.yaml");
  testing::write_text(
      path, "name: matrix\nalgorithms:\n  - {name: protonet, config: " +
                testing::source_path("configs/smoke/protonet.yaml") +
                "}\n  - {name: maml, config: " + testing::source_path("configs/smoke/maml.yaml") +
                "}\ndatasets: [synthetic-glyphs]\nseeds: [" + list + "]\n");
  return path;
}

struct Tally {
  int64_t cells = 0, completed = 0, duplicated = 0, running = 0, claims = 0;
  std::map<std::string, int64_t> by_status;
  std::string integrity;
};

Tally tally(const std::string& db) {
  Database d(db, Database::Mode::kReadOnly);
  Tally t;
  Statement cells = d.prepare(
      "SELECT count(*), coalesce(sum(n), 0), coalesce(sum(n > 1), 0) FROM (SELECT config_hash, "
      "sum(status = 'completed') AS n FROM runs GROUP BY config_hash)");
  cells.step();
  t.cells = cells.column_int(0);
  t.completed = cells.column_int(1);
  t.duplicated = cells.column_int(2);
  Statement status = d.prepare("SELECT status, count(*) FROM runs GROUP BY status");
  while (status.step()) t.by_status[status.column_text(0)] = status.column_int(1);
  t.running = t.by_status.count("running") ? t.by_status.at("running") : 0;
  Statement claims = d.prepare("SELECT count(*) FROM claims");
  claims.step();
  t.claims = claims.column_int(0);
  Statement check = d.prepare("PRAGMA integrity_check");
  check.step();
  t.integrity = check.column_text(0);
  return t;
}

// Whether a write transaction can begin on `db` at once (no other process
// holds the write lock).
bool writable(const std::string& db) {
  setenv("METABENCH_BUSY_TIMEOUT_MS", "100", 1);
  bool ok = true;
  try {
    Database d(db, Database::Mode::kReadWrite);
    Transaction tx(d);
  } catch (const std::exception&) {
    ok = false;
  }
  unsetenv("METABENCH_BUSY_TIMEOUT_MS");
  return ok;
}

// The error messages of runs not completed, for failure messages.
std::string errors_of(const std::string& db) {
  Database d(db, Database::Mode::kReadOnly);
  Statement s =
      d.prepare("SELECT status, coalesce(error, '') FROM runs WHERE status <> 'completed'");
  std::string out;
  while (s.step()) out += s.column_text(0) + ": " + s.column_text(1) + "\n";
  return out;
}

// The `metabench run` workers of database `db`, found by their command line.
std::vector<pid_t> workers_of(const std::string& db) {
  std::vector<pid_t> pids;
  DIR* proc = opendir("/proc");
  while (dirent* entry = readdir(proc)) {
    const pid_t pid = static_cast<pid_t>(std::atol(entry->d_name));
    if (pid <= 0) continue;
    std::ifstream in(std::string("/proc/") + entry->d_name + "/cmdline");
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::string> args;
    for (size_t start = 0, end; start < cmdline.size(); start = end + 1) {
      end = cmdline.find('\0', start);
      if (end == std::string::npos) end = cmdline.size();
      args.push_back(cmdline.substr(start, end - start));
    }
    bool is_run = false, is_ours = false;
    for (size_t i = 0; i + 1 < args.size(); ++i) {
      is_run |= args[i + 1] == "run" && i == 0;
      is_ours |= args[i] == "--db" && args[i + 1] == db;
    }
    if (is_run && is_ours) pids.push_back(pid);
  }
  closedir(proc);
  return pids;
}

// Waits (up to a bound) until no worker of `db` is left, so the final sweep
// is not racing processes of the test's own making.
void wait_for_workers(const std::string& db) {
  for (int i = 0; i < 1200 && !workers_of(db).empty(); ++i) sleep_ms(100);
}

TEST(SweepReliability, DuplicateCellsOfAMatrixRunOnce) {
  TempDir dir;
  const std::string db = dir.file("d.sqlite");
  const auto r = run_metabench(
      {"sweep", testing::source_path("configs/sweeps/smoke.yaml"), "--db", db, "--set", "seed=1"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("3 cell(s) of the matrix repeat another cell's resolved config"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("sweep smoke: 3 cells, 3 run"), std::string::npos) << r.output;
  Tally t = tally(db);
  EXPECT_EQ(t.cells, 3);
  EXPECT_EQ(t.completed, 3);
}

// The sweep is killed while a worker runs; the worker finishes its cell
// under its claim, and the next sweep runs the rest and waits for it.
TEST(SweepReliability, KillingTheSweepLeavesItsWorkerToFinishAndTheNextSweepWaits) {
  TempDir dir;
  const std::string db = dir.file("k.sqlite");
  const std::string sweep = write_matrix(dir, 2);
  const int pid = testing::spawn_metabench({"sweep", sweep, "--db", db}, dir.file("1.txt"));
  std::vector<pid_t> workers;
  for (int i = 0; i < 600 && workers.empty(); ++i) {
    sleep_ms(20);
    workers = workers_of(db);
  }
  ASSERT_FALSE(workers.empty()) << testing::read_text(dir.file("1.txt"));
  kill(pid, SIGKILL);
  EXPECT_EQ(testing::wait_exit_code(pid), 128 + SIGKILL);
  const auto second = run_metabench({"sweep", sweep, "--db", db});
  ASSERT_EQ(second.exit_code, 0) << second.output;
  Tally t = tally(db);
  EXPECT_EQ(t.cells, 4);
  EXPECT_EQ(t.completed, 4) << second.output;
  EXPECT_EQ(t.duplicated, 0);
  EXPECT_EQ(t.by_status["failed"], 0) << "the orphaned worker's run was not lost";
  EXPECT_EQ(t.claims, 0);
}

// SIGKILL of the sweep or of one of its workers at 20 random (seeded)
// points, a new sweep started whenever none is running; then one last
// sweep.  Every cell completed exactly once, nothing left running or
// claimed, integrity_check ok.
TEST(SweepReliability, TwentyRandomKillsLoseNoCellAndRunNoneTwice) {
  TempDir dir;
  const std::string db = dir.file("r.sqlite");
  const std::string sweep = write_matrix(dir, 8);  // 16 cells
  Rng rng(20261201);
  int sweep_pid = 0, sweeps = 0, parent_kills = 0, worker_kills = 0;
  for (int kill_count = 0; kill_count < 20; ++kill_count) {
    if (sweep_pid == 0) {
      sweep_pid = testing::spawn_metabench({"sweep", sweep, "--db", db, "--jobs", "2"},
                                           dir.file("sweep-" + std::to_string(++sweeps) + ".txt"));
    }
    sleep_ms(100 + static_cast<int64_t>(rng.uniform_int(1400)));
    const std::vector<pid_t> workers = workers_of(db);
    if (workers.empty() || rng.uniform_int(3) == 0) {
      kill(sweep_pid, SIGKILL);
      testing::wait_exit_code(sweep_pid);
      sweep_pid = 0;
      ++parent_kills;
    } else {
      kill(workers[rng.uniform_int(workers.size())], SIGKILL);
      ++worker_kills;
    }
  }
  if (sweep_pid != 0) {
    kill(sweep_pid, SIGKILL);
    testing::wait_exit_code(sweep_pid);
  }
  const auto last = run_metabench({"sweep", sweep, "--db", db});
  ASSERT_EQ(last.exit_code, 0) << last.output;
  wait_for_workers(db);
  Tally t = tally(db);
  std::printf(
      "reliability: 20 SIGKILLs (%d of a sweep, %d of a worker) over %d sweeps; %lld cells, "
      "%lld completed runs, %lld cells completed twice, %lld failed, %lld interrupted\n",
      parent_kills, worker_kills, sweeps + 1, static_cast<long long>(t.cells),
      static_cast<long long>(t.completed), static_cast<long long>(t.duplicated),
      static_cast<long long>(t.by_status["failed"]),
      static_cast<long long>(t.by_status["interrupted"]));
  EXPECT_EQ(t.cells, 16);
  EXPECT_EQ(t.completed, 16) << last.output;
  EXPECT_EQ(t.duplicated, 0);
  EXPECT_EQ(t.running, 0);
  EXPECT_EQ(t.claims, 0);
  EXPECT_EQ(t.integrity, "ok");
}

// Eight sweeps of one matrix on one database at once: each cell runs once,
// every sweep ends successfully, none reports a locked database.
TEST(SweepReliability, EightSweepsAtOnceOnOneDatabaseRunEachCellOnce) {
  TempDir dir;
  const std::string db = dir.file("c.sqlite");
  const std::string sweep = write_matrix(dir, 5);  // 10 cells
  std::vector<int> pids;
  for (int i = 0; i < 8; ++i) {
    pids.push_back(
        testing::spawn_metabench({"sweep", sweep, "--db", db, "--set", "runtime.threads=1"},
                                 dir.file("out-" + std::to_string(i) + ".txt")));
  }
  int ran = 0;
  for (int i = 0; i < 8; ++i) {
    const std::string out_file = dir.file("out-" + std::to_string(i) + ".txt");
    EXPECT_EQ(testing::wait_exit_code(pids[i]), 0) << testing::read_text(out_file);
    const std::string out = testing::read_text(out_file);
    EXPECT_EQ(out.find("locked"), std::string::npos) << out;
    EXPECT_EQ(out.find("busy"), std::string::npos) << out;
    const size_t at = out.find("10 cells, ");
    ASSERT_NE(at, std::string::npos) << out;
    ran += std::atoi(out.c_str() + at + 10);
  }
  EXPECT_EQ(ran, 10) << "the sweeps together ran each cell once";
  Tally t = tally(db);
  EXPECT_EQ(t.cells, 10);
  EXPECT_EQ(t.completed, 10);
  EXPECT_EQ(t.duplicated, 0);
  EXPECT_EQ(t.by_status.size(), 1u)
      << "only completed runs; also " << t.by_status.rbegin()->first << ": " << errors_of(db);
  EXPECT_EQ(t.integrity, "ok");
}

// A worker stopped (SIGSTOP) with its sweep, as on a frozen node, stops
// renewing its lease; another sweep takes the cell over once the lease has
// expired, whatever the pid, and completes it.  Resumed, the old worker
// finds its claim gone and records itself interrupted, not completed.
TEST(SweepReliability, AnExpiredLeaseIsTakenOverAndTheOldHolderCannotComplete) {
  TempDir dir;
  const std::string db = dir.file("l.sqlite");
  testing::write_text(dir.file("one.yaml"),
                      "name: one\nalgorithms:\n  - {name: protonet, config: " +
                          testing::source_path("configs/smoke/protonet.yaml") +
                          ", set: {optim.iterations: 150, eval.val_interval: 50}}\n"
                          "datasets: [synthetic-glyphs]\n");
  const int first = testing::spawn_metabench(
      {"sweep", dir.file("one.yaml"), "--db", db, "--lease", "2"}, dir.file("first.txt"));
  std::vector<pid_t> workers;
  for (int i = 0; i < 600 && workers.empty(); ++i) {
    sleep_ms(20);
    workers = workers_of(db);
  }
  ASSERT_EQ(workers.size(), 1u) << testing::read_text(dir.file("first.txt"));
  bool running = false;  // recorded, so that the takeover has a run to mark
  for (int i = 0; i < 600 && !running; ++i) {
    sleep_ms(20);
    running = tally(db).running == 1;
  }
  ASSERT_TRUE(running) << testing::read_text(dir.file("first.txt"));
  // Frozen at a moment they hold no lock: a process stopped inside a write
  // transaction blocks every writer until it resumes (others then report a
  // busy database after the timeout, exit 4), which is not the case here.
  bool frozen = false;
  for (int attempt = 0; attempt < 50 && !frozen; ++attempt) {
    kill(first, SIGSTOP);
    kill(workers[0], SIGSTOP);
    frozen = writable(db);
    if (!frozen) {
      kill(workers[0], SIGCONT);
      kill(first, SIGCONT);
      sleep_ms(37);
    }
  }
  ASSERT_TRUE(frozen) << "the sweep and its worker always held the write lock";
  const auto second = run_metabench({"sweep", dir.file("one.yaml"), "--db", db});
  kill(workers[0], SIGCONT);
  kill(first, SIGCONT);
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_NE(second.output.find("taking over"), std::string::npos) << second.output;
  EXPECT_NE(second.output.find("lease expired"), std::string::npos) << second.output;
  const int first_exit = testing::wait_exit_code(first);
  EXPECT_EQ(first_exit, 0) << testing::read_text(dir.file("first.txt"));
  Tally t = tally(db);
  EXPECT_EQ(t.completed, 1);
  EXPECT_EQ(t.by_status["interrupted"], 1);
  EXPECT_EQ(t.claims, 0);
}

// A sweep file without a required key is refused with the file and key.
TEST(SweepReliability, ASweepWithoutAlgorithmsNamesTheFileAndKey) {
  TempDir dir;
  testing::write_text(dir.file("bad.yaml"), "name: bad\ndatasets: [synthetic-glyphs]\n");
  const auto r = run_metabench({"sweep", dir.file("bad.yaml"), "--db", dir.file("b.sqlite")});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find(dir.file("bad.yaml") + ":1:1: the sweep has no 'algorithms' key"),
            std::string::npos)
      << r.output;
  EXPECT_EQ(r.output.find("internal error"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace metabench
