// Provenance and resource figures recorded with every run: where the code came
// from (the git commit this binary was built from, core/build_info.h), what it ran on (host, CPU,
// LibTorch version) and how much memory the process used.
#pragma once

#include <string>

namespace metabench {

struct SystemInfo {
  std::string host;
  std::string cpu_model;
  int hardware_threads = 1;
  // The commit the binary was built from (40 hex digits), "-dirty" appended
  // when the tree had local changes then; "unknown" outside git.
  std::string git_commit;
  std::string metabench_version;
};

// Gathers the fields above; cheap enough to call once per run.
SystemInfo collect_system_info();

// Peak resident set size of this process so far, in MiB (getrusage).
double peak_rss_mb();

// Seconds since an arbitrary fixed point (steady clock).
double now_seconds();

// The current UTC time as ISO 8601, e.g. "2026-11-22T03:33:13Z".
std::string utc_timestamp();

}  // namespace metabench
