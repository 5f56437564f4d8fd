#include "core/process.h"

#include <sched.h>
#include <sys/random.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/strings.h"
#include "metabench/errors.h"

namespace metabench {
namespace {

std::string first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return trim(line);
}

// A positive integer environment variable, or 0 when unset or malformed.
int positive_env(const char* name) {
  const char* text = std::getenv(name);
  if (!text || !*text) return 0;
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  // SLURM_CPUS_PER_TASK is a plain integer; OMP_NUM_THREADS may be a list
  // ("4,2"), whose first entry is the outer level's.
  if (end == text || value <= 0 || (*end != '\0' && *end != ',')) return 0;
  return static_cast<int>(std::min<long>(value, 1 << 16));
}

// The CPU limit of this process's cgroup (v2 cpu.max "QUOTA PERIOD"), rounded
// up; 0 when there is none.
int cgroup_cpu_limit() {
  std::ifstream cgroup("/proc/self/cgroup");
  std::string line, path;
  while (std::getline(cgroup, line)) {
    if (starts_with(line, "0::")) path = line.substr(3);
  }
  if (path.empty()) return 0;
  std::istringstream max(first_line("/sys/fs/cgroup" + path + "/cpu.max"));
  std::string quota;
  double period = 0;
  if (!(max >> quota >> period) || quota == "max" || period <= 0) return 0;
  const double q = std::atof(quota.c_str());
  return q > 0 ? static_cast<int>(std::ceil(q / period)) : 0;
}

}  // namespace

const std::string& host_identity() {
  static const std::string id = [] {
    char host[256] = {0};
    gethostname(host, sizeof(host) - 1);
    const std::string boot = first_line("/proc/sys/kernel/random/boot_id");
    return std::string(host) + "/" + (boot.empty() ? "unknown-boot" : boot.substr(0, 8));
  }();
  return id;
}

std::string process_start_time(int64_t pid) {
  if (pid <= 0) return "";
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return "";
  // The command name (field 2) is in parentheses and may contain spaces:
  // count fields after the last ')'.
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return "";
  std::istringstream fields(stat.substr(close + 1));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
    // A zombie (its parent died without reaping it) or dead process holds
    // nothing any more.
    if (i == 3 && (field == "Z" || field == "X" || field == "x")) return "";
    if (i == 22) return field;
  }
  return "";
}

bool process_gone(const std::string& host, int64_t pid, const std::string& start) {
  if (host != host_identity()) return false;
  const std::string now = process_start_time(pid);
  return now.empty() || now != start;
}

double unix_seconds() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

std::string random_uuid() {
  unsigned char bytes[16];
  size_t got = 0;
  while (got < sizeof(bytes)) {
    const ssize_t n = getrandom(bytes + got, sizeof(bytes) - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw EnvironmentError(std::string("getrandom failed: ") + std::strerror(errno));
    got += static_cast<size_t>(n);
  }
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0F) | 0x40);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
  char text[37];
  std::snprintf(text, sizeof(text),
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", bytes[0],
                bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8],
                bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]);
  return text;
}

int usable_cpus(std::string* source) {
  auto decided = [&](int n, const char* why) {
    if (source) *source = why;
    return std::max(1, n);
  };
  if (const int omp = positive_env("OMP_NUM_THREADS")) return decided(omp, "OMP_NUM_THREADS");
  cpu_set_t set;
  CPU_ZERO(&set);
  int cpus = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : 0;
  const char* why = "CPU affinity";
  if (cpus <= 0) {
    cpus = static_cast<int>(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
    why = "online CPUs";
  }
  const int quota = cgroup_cpu_limit();
  if (quota > 0 && quota < cpus) {
    cpus = quota;
    why = "cgroup CPU quota";
  }
  const int slurm = positive_env("SLURM_CPUS_PER_TASK");
  if (slurm > 0 && slurm < cpus) {
    cpus = slurm;
    why = "SLURM_CPUS_PER_TASK";
  }
  return decided(cpus, why);
}

std::string self_executable() {
  char buffer[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", buffer, sizeof(buffer) - 1);
  if (n <= 0) throw InternalError("cannot locate the metabench executable (/proc/self/exe)");
  return std::string(buffer, static_cast<size_t>(n));
}

}  // namespace metabench
