// Provenance and resource figures recorded with every run: where the code came
// from (the git commit this binary was built from, core/build_info.h), what it ran on (host, CPU,
// LibTorch version) and how much memory the process used.
#pragma once

#include <string>
#include <vector>

namespace metabench {

struct SystemInfo {
  std::string host;
  std::string cpu_model;
  int hardware_threads = 1;
  // The commit the binary was built from (40 hex digits), "-dirty" appended
  // when the tree had local changes then; "unknown" outside git.
  std::string git_commit;
  std::string metabench_version;
  // What can change speed (and, for BLAS, the last bits of results): the
  // BLAS library actually loaded (resolved path; OpenBLAS adds its version
  // and the kernel it chose, e.g. "Haswell", or a misdetected "Prescott"),
  // the allocator in the process, and the CPU's vector instruction sets.
  std::string blas, allocator, cpu_isa;
};

// The command line that started this process's work, shell-quoted for
// display (never executed): set by main() from argv, or inherited from the
// sweep that started this process (through $METABENCH_INVOCATION), so a
// sweep's cells record the sweep's command.  "" until set.
void set_invocation(const std::vector<std::string>& argv);
const std::string& invocation();
// The environment variable a sweep sets for its children.
constexpr const char* kInvocationVariable = "METABENCH_INVOCATION";

// The CPU's feature flags from /proc/cpuinfo ("avx2", "avx512f", ...);
// empty where it has none (not x86 Linux).
std::vector<std::string> cpu_flags();

// Gathers the fields above; cheap enough to call once per run.
SystemInfo collect_system_info();

// Peak resident set size of this process so far, in MiB (getrusage).
double peak_rss_mb();

// Seconds since an arbitrary fixed point (steady clock).
double now_seconds();

// The current UTC time as ISO 8601, e.g. "2026-11-22T03:33:13Z".
std::string utc_timestamp();

}  // namespace metabench
