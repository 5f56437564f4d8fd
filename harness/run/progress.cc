#include "harness/run/progress.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "core/strings.h"
#include "core/system_info.h"

namespace metabench {

ProgressBar::ProgressBar(std::string label, int64_t total, bool enabled)
    : label_(std::move(label)),
      total_(total),
      enabled_(enabled && isatty(STDERR_FILENO)),
      start_(now_seconds()) {}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::update(int64_t done, const std::string& status) {
  if (!enabled_) return;
  const double now = now_seconds();
  if (now - last_draw_ < 0.1 && done < total_) return;
  last_draw_ = now;
  constexpr int kWidth = 24;
  const double fraction = total_ > 0 ? static_cast<double>(done) / total_ : 1.0;
  const int filled = static_cast<int>(fraction * kWidth);
  const double elapsed = now - start_;
  const double eta = done > 0 ? elapsed * (total_ - done) / done : 0.0;
  std::string bar(filled, '#');
  bar.append(kWidth - filled, '.');
  std::fprintf(stderr, "\r\033[K%s [%s] %lld/%lld %s ETA %s", label_.c_str(), bar.c_str(),
               static_cast<long long>(done), static_cast<long long>(total_), status.c_str(),
               human_duration(eta).c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void report_phase_progress(const char* phase, int64_t done, int64_t total) {
  static const char* const file = std::getenv(kProgressFileVariable);
  static double last = -1;
  if (file == nullptr || *file == '\0') return;
  const double now = now_seconds();
  if (done < total && last >= 0 && now - last < 1.0) return;
  last = now;
  // Written beside the file and renamed over it, so a reader never sees
  // half a line.  Best effort: progress is not worth failing a run for.
  const std::string temp = std::string(file) + ".tmp";
  if (FILE* out = std::fopen(temp.c_str(), "w")) {
    std::fprintf(out, "%s %lld %lld\n", phase, static_cast<long long>(done),
                 static_cast<long long>(total));
    if (std::fclose(out) == 0) std::rename(temp.c_str(), file);
  }
}

void ProgressBar::finish() {
  if (drawn_) {
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
    drawn_ = false;
  }
}

}  // namespace metabench
