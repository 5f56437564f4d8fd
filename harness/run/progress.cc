#include "harness/run/progress.h"

#include <unistd.h>

#include <cstdio>

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

void ProgressBar::finish() {
  if (drawn_) {
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
    drawn_ = false;
  }
}

}  // namespace metabench
