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

}  // namespace metabench
