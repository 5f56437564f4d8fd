#include "harness/run/sweep_status.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>

#include "core/strings.h"

namespace metabench {
namespace {

// "train 120/150" from a progress file ("train 120 150\n"); "" when it is
// missing or being replaced.
std::string phase_of(const std::string& file) {
  if (file.empty()) return "";
  std::ifstream in(file);
  std::string phase;
  long long done = 0, total = 0;
  if (!(in >> phase >> done >> total)) return "";
  return phase + " " + std::to_string(done) + "/" + std::to_string(total);
}

}  // namespace

SweepStatus::SweepStatus(std::string sweep, std::vector<std::string> keys,
                         std::vector<std::string> labels, int jobs, bool terminal)
    : sweep_(std::move(sweep)),
      keys_(std::move(keys)),
      labels_(std::move(labels)),
      jobs_(std::max(1, jobs)),
      terminal_(terminal),
      finished_(keys_.size(), false) {}

SweepStatus::~SweepStatus() { erase(); }

void SweepStatus::started(size_t cell, const std::string& progress_file, double now) {
  running_[cell] = Running{progress_file, now};
}

void SweepStatus::ended(size_t cell, double now) {
  const auto it = running_.find(cell);
  if (it != running_.end()) {
    const double seconds = now - it->second.start;
    auto& d = durations_[keys_[cell]];
    d.first += seconds;
    d.second += 1;
    all_sum_ += seconds;
    all_count_ += 1;
    running_.erase(it);
  }
  if (!finished_[cell]) ++ended_;
  finished_[cell] = true;
}

void SweepStatus::skipped(size_t cell) {
  if (!finished_[cell]) ++skipped_;
  finished_[cell] = true;
}

void SweepStatus::requeued(size_t cell) { running_.erase(cell); }

double SweepStatus::expected_seconds(size_t cell) const {
  const auto it = durations_.find(keys_[cell]);
  if (it != durations_.end() && it->second.second > 0) return it->second.first / it->second.second;
  return all_count_ > 0 ? all_sum_ / all_count_ : -1;
}

double SweepStatus::eta_seconds(double now) const {
  if (all_count_ == 0) return -1;
  double work = 0, longest = 0;
  for (size_t cell = 0; cell < keys_.size(); ++cell) {
    if (finished_[cell]) continue;
    const auto it = running_.find(cell);
    const double expected = expected_seconds(cell);
    // A running cell past its expectation is assumed nearly done.
    const double still =
        it == running_.end() ? expected : std::max(0.0, expected - (now - it->second.start));
    work += still;
    longest = std::max(longest, still);
  }
  // Cells run `jobs` at a time, and the sweep lasts at least as long as its
  // longest cell still to go.
  const size_t unfinished = keys_.size() - ended_ - skipped_;
  return std::max(longest, work / std::min<double>(jobs_, std::max<size_t>(1, unfinished)));
}

std::string SweepStatus::text(double now) const {
  const size_t left = keys_.size() - ended_ - skipped_ - running_.size();
  std::string t = sweep_ + ": " + std::to_string(ended_ + skipped_) + "/" +
                  std::to_string(keys_.size()) + " done";
  if (skipped_ > 0) t += " (" + std::to_string(skipped_) + " before)";
  t += ", " + std::to_string(running_.size()) + " running";
  std::vector<std::string> parts;
  for (const auto& [cell, r] : running_) {
    const std::string phase = phase_of(r.progress_file);
    parts.push_back(labels_[cell] + (phase.empty() ? "" : " " + phase));
  }
  if (!parts.empty()) t += " (" + join(parts, "; ") + ")";
  t += ", " + std::to_string(left) + " left";
  const double eta = eta_seconds(now);
  t += eta < 0 ? ", ETA after the first cell" : ", ETA " + human_duration(eta);
  return t;
}

void SweepStatus::print(const std::string& line) {
  if (terminal_ && drawn_) {
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
    drawn_ = false;
  }
  std::fputs((line + "\n").c_str(), stdout);
  std::fflush(stdout);
  if (terminal_) last_draw_ = -1;  // redraw at the next tick
}

void SweepStatus::tick(double now, bool force) {
  if (!terminal_ || (!force && last_draw_ >= 0 && now - last_draw_ < 1.0)) return;
  last_draw_ = now;
  std::string t = text(now);
  // One terminal line: a wrapped line could not be redrawn in place.
  constexpr size_t kWidth = 159;
  if (t.size() > kWidth) t = t.substr(0, kWidth - 3) + "...";
  std::fprintf(stderr, "\r\033[K%s", t.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void SweepStatus::log_line() {
  if (!terminal_) log_pending_ = true;
}

void SweepStatus::settled(double now) {
  if (!log_pending_) return;
  log_pending_ = false;
  print(text(now));
}

void SweepStatus::clear(double now) {
  settled(now);
  erase();
}

void SweepStatus::erase() {
  if (terminal_ && drawn_) {
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
    drawn_ = false;
  }
}

}  // namespace metabench
