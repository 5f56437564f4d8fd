// The sweep's status line (harness/run/sweep_status.h): its counts and ETA
// from measured cell durations, the phases its children report, and,
// through a real pseudo-terminal, one status line redrawn in place with
// every run's output intact above it; in a log, a status line once ended
// cells are replaced.
#include "harness/run/sweep_status.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "tests/test_util.h"

namespace metabench {
namespace {

TEST(SweepStatus, TheEtaComesFromCompletedCellsOfTheSameFamily) {
  // Two families: "a" (cells 0, 1, 2) and "b" (cell 3); two jobs.
  SweepStatus status("demo", {"a", "a", "a", "b"}, {"a1", "a2", "a3", "b1"}, 2, false);
  EXPECT_LT(status.eta_seconds(0), 0) << "no estimate before a cell completes";
  EXPECT_NE(status.text(0).find("ETA after the first cell"), std::string::npos);
  status.started(0, "", 0);
  status.started(1, "", 0);
  status.ended(0, 30);  // family a: 30 s
  // Left: cell 1 (a, running for 30 s of 30: nearly done), cell 2 (a: 30 s)
  // and cell 3 (b, never seen: the mean of all, 30 s); 60 s over 2 jobs.
  EXPECT_DOUBLE_EQ(status.eta_seconds(30), 30);
  status.started(2, "", 30);
  status.ended(1, 40);  // family a now averages 35 s
  status.started(3, "", 40);
  // Cell 2 has 35 - 10 s to go, cell 3 35 - 0: the longest remains, 35 s.
  EXPECT_DOUBLE_EQ(status.eta_seconds(40), 35);
  const std::string text = status.text(40);
  EXPECT_NE(text.find("demo: 2/4 done, 2 running (a3; b1), 0 left, ETA 35.0s"), std::string::npos)
      << text;
}

TEST(SweepStatus, SkippedCellsCountAsDoneAndRunningCellsShowTheirPhase) {
  testing::TempDir dir;
  SweepStatus status("demo", {"a", "a", "a"}, {"a1", "a2", "a3"}, 1, false);
  status.skipped(0);
  status.started(1, dir.file("p"), 0);
  testing::write_text(dir.file("p"), "test 300 600\n");
  const std::string text = status.text(5);
  EXPECT_NE(text.find("demo: 1/3 done (1 before), 1 running (a2 test 300/600), 1 left"),
            std::string::npos)
      << text;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0, end;
  while ((end = text.find('\n', start)) != std::string::npos) {
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  if (start < text.size()) lines.push_back(text.substr(start));
  return lines;
}

TEST(SweepStatusProcess, OnATerminalOneStatusLineStaysBelowIntactRunLines) {
  testing::TempDir dir;
  const std::string output = testing::run_on_terminal(
      {"sweep", testing::source_path("configs/sweeps/smoke.yaml"), "--db", dir.file("r.sqlite"),
       "--jobs", "2", "--set", "optim.iterations=60"});
  const std::string erase = "\r\033[K";
  ASSERT_NE(output.find(erase + "smoke: "), std::string::npos) << output;
  int completed = 0, statuses_with_phase = 0;
  for (const std::string& raw : lines_of(output)) {
    // What remains on the screen of this line: the text after its last
    // erase (a status line drawn, then erased for the line that follows).
    const size_t at = raw.rfind(erase);
    const std::string shown = at == std::string::npos ? raw : raw.substr(at + erase.size());
    if (shown.find(" completed: ") != std::string::npos) {
      ++completed;
      EXPECT_EQ(shown.rfind("run ", 0), 0u) << "a run's line was cut or interleaved: " << shown;
    }
    for (size_t p = raw.find(erase + "smoke: "); p != std::string::npos;
         p = raw.find(erase + "smoke: ", p + 1)) {
      const std::string drawn = raw.substr(p, raw.find(erase, p + 1) - p);
      if (drawn.find(" train ") != std::string::npos || drawn.find(" test ") != std::string::npos ||
          drawn.find(" validate ") != std::string::npos) {
        ++statuses_with_phase;
      }
    }
  }
  EXPECT_EQ(completed, 6) << output;
  EXPECT_GT(statuses_with_phase, 0) << "no status line showed a running cell's phase: " << output;
  // Nothing is left drawn at the end: the summary is the last line.
  EXPECT_NE(lines_of(output).back().find("sweep smoke: 6 cells, 6 run"), std::string::npos)
      << output;
}

TEST(SweepStatusProcess, InALogEndedCellsPrintTheStatusLineOnceReplaced) {
  testing::TempDir dir;
  const testing::CommandResult r =
      testing::run_metabench({"sweep", testing::source_path("configs/sweeps/smoke.yaml"), "--db",
                              dir.file("r.sqlite"), "--jobs", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("\033["), std::string::npos) << "no terminal codes in a log";
  int statuses = 0, last_done = 0;
  for (const std::string& line : lines_of(r.output)) {
    if (line.rfind("smoke: ", 0) != 0) continue;
    ++statuses;
    int done = 0, total = 0, running = 0, left = 0;
    ASSERT_EQ(std::sscanf(line.c_str(), "smoke: %d/%d done, %d running", &done, &total, &running),
              3)
        << line;
    const size_t comma = line.rfind(", ", line.find(" left, ETA "));
    ASSERT_NE(line.find(" left, ETA "), std::string::npos) << line;
    left = std::atoi(line.c_str() + comma + 2);
    // A line is printed once the ended cells' places are taken: while cells
    // are left, both jobs are running.
    if (left > 0) EXPECT_EQ(running, 2) << r.output;
    EXPECT_GT(done, last_done) << "one line per settled ending: " << r.output;
    last_done = done;
  }
  // Two cells may end within one poll and share a line.
  EXPECT_GE(statuses, 3) << r.output;
  EXPECT_LE(statuses, 6) << r.output;
  EXPECT_NE(r.output.find("smoke: 6/6 done, 0 running, 0 left, ETA 0.0s"), std::string::npos)
      << r.output;
}

}  // namespace
}  // namespace metabench
