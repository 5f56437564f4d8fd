// The sweep's status line: cells done, running (each with its phase and
// progress), left, and an ETA for the whole sweep.
//
// Each child run reports its phase to a small file (report_phase_progress()
// in progress.h, through $METABENCH_PROGRESS_FILE); the sweep reads those.
// The ETA assumes a cell takes as long as the completed cells of the same
// algorithm, dataset and episode setting took (else as long as the
// completed cells' mean): the cells left, plus what the running ones have
// still to go, divided by the jobs.  There is no ETA before the first cell
// completes.
//
// On a terminal the line is redrawn in place on stderr at most once a
// second, and every other line (the sweep's, and its children's, which the
// sweep relays) is written above it, so two jobs never interleave bars.
// Elsewhere (a log file, CI) the line is printed after cells end, once the
// sweep has started the cells that take their places.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace metabench {

class SweepStatus {
 public:
  // `keys[i]` groups cell i with the cells expected to take as long;
  // `labels[i]` names it.
  SweepStatus(std::string sweep, std::vector<std::string> keys, std::vector<std::string> labels,
              int jobs, bool terminal);
  ~SweepStatus();

  bool terminal() const { return terminal_; }
  // Cell `cell` was started, with its progress file (may be "").
  void started(size_t cell, const std::string& progress_file, double now);
  // It ended (completed, failed or diverged) after running since started().
  void ended(size_t cell, double now);
  // It was completed before this sweep reached it.
  void skipped(size_t cell);
  // It returned to the queue (held elsewhere, or its claim was lost).
  void requeued(size_t cell);

  // Writes `line` (no newline) above the status line on a terminal, plainly
  // elsewhere; stdout.
  void print(const std::string& line);
  // Redraws the status line on a terminal, at most once a second (or now
  // when `force`); no-op elsewhere.
  void tick(double now, bool force = false);
  // Asks for the status line as a line of its own when not on a terminal
  // (a cell ended); it is printed at the next settled(), once the sweep has
  // started the cells that take the ended ones' places, so that a log with
  // two jobs reads "2 running", not the moment between.
  void log_line();
  // The sweep has started every cell it can start now: prints the line
  // log_line() asked for, if any.
  void settled(double now);
  // Prints a line still asked for and erases the status line (the sweep is
  // ending).
  void clear(double now);

  // The line's text, e.g. "quickstart: 12/48 done, 2 running (maml ...
  // train 120/150; ...), 34 left, ETA 6m 10s".
  std::string text(double now) const;
  // Seconds the sweep has still to go; negative when there is no estimate.
  double eta_seconds(double now) const;

 private:
  // Erases the status line from the terminal, if drawn.
  void erase();
  struct Running {
    std::string progress_file;
    double start = 0;
  };
  double expected_seconds(size_t cell) const;

  std::string sweep_;
  std::vector<std::string> keys_, labels_;
  int jobs_;
  bool terminal_;
  std::vector<bool> finished_;  // ended or skipped
  size_t ended_ = 0, skipped_ = 0;
  std::map<size_t, Running> running_;
  std::map<std::string, std::pair<double, int>> durations_;  // key -> (sum, count)
  double all_sum_ = 0;
  int all_count_ = 0;
  double last_draw_ = -1;
  bool log_pending_ = false;  // log_line() asked for a line settled() prints
  bool drawn_ = false;
};

}  // namespace metabench
