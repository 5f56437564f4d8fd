// A one-line progress bar with ETA on stderr, drawn only when stderr is a
// terminal and at most ten times a second, so it costs nothing in logs or CI.
#pragma once

#include <cstdint>
#include <string>

namespace metabench {

class ProgressBar {
 public:
  ProgressBar(std::string label, int64_t total, bool enabled);
  ~ProgressBar();
  // `status` is shown after the bar, e.g. "loss 0.52 acc 81.2%".
  void update(int64_t done, const std::string& status);
  // Erases the bar so the next line starts clean.
  void finish();

 private:
  std::string label_;
  int64_t total_;
  bool enabled_;
  double start_;
  double last_draw_ = 0;
  bool drawn_ = false;
};

// The variable a sweep sets to the file where its child reports progress.
constexpr const char* kProgressFileVariable = "METABENCH_PROGRESS_FILE";

// Reports that this run's `phase` ("train", "validate", "test") is at
// `done` of `total`, for the sweep that started it (sweep_status.h): writes
// "PHASE DONE TOTAL" to $METABENCH_PROGRESS_FILE (replaced atomically), at
// most once a second and at a phase's end.  No-op when the variable is unset.
void report_phase_progress(const char* phase, int64_t done, int64_t total);

}  // namespace metabench
