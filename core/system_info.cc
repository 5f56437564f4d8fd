#include "core/system_info.h"

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <thread>

#include "core/strings.h"

#ifndef METABENCH_SOURCE_DIR
#define METABENCH_SOURCE_DIR "."
#endif
#ifndef METABENCH_VERSION
#define METABENCH_VERSION "0.0.0"
#endif
#ifndef METABENCH_BUILD_COMMIT
#define METABENCH_BUILD_COMMIT "unknown"
#endif

namespace metabench {
namespace {

std::string run_command(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return out;
  char buffer[256];
  while (fgets(buffer, sizeof(buffer), pipe)) out += buffer;
  if (pclose(pipe) != 0) return "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

// The commit of the source tree this binary was built from, read at run time
// so that a commit made after the build is still reported correctly; falls back
// to the commit seen at configure time when the tree is not a git checkout.
std::string git_commit() {
  const std::string dir = METABENCH_SOURCE_DIR;
  std::string commit = run_command("git -C '" + dir + "' rev-parse HEAD 2>/dev/null");
  if (commit.empty()) return METABENCH_BUILD_COMMIT;
  const std::string status =
      run_command("git -C '" + dir + "' status --porcelain --untracked-files=no 2>/dev/null");
  if (!status.empty()) commit += "-dirty";
  return commit;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (starts_with(line, "model name")) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  }
  return "unknown";
}

}  // namespace

SystemInfo collect_system_info() {
  SystemInfo info;
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  info.host = host;
  info.cpu_model = cpu_model();
  info.hardware_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  info.git_commit = git_commit();
  info.metabench_version = METABENCH_VERSION;
  return info;
}

double peak_rss_mb() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

double now_seconds() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

std::string utc_timestamp() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

}  // namespace metabench
