#include "core/system_info.h"

#include <dlfcn.h>
#include <link.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "core/build_info.h"
#include "core/blas_core.h"
#include "core/strings.h"

namespace metabench {
namespace {

// The value of the first /proc/cpuinfo line starting with `field`, or "".
std::string cpuinfo_field(const std::string& field) {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    const size_t colon = line.find(':');
    if (starts_with(line, field) && colon != std::string::npos) return trim(line.substr(colon + 1));
  }
  return "";
}

std::string cpu_model() {
  const std::string model = cpuinfo_field("model name");
  return model.empty() ? "unknown" : model;
}

// Paths of the shared objects loaded in this process.
std::vector<std::string> loaded_objects() {
  std::vector<std::string> paths;
  dl_iterate_phdr(
      [](struct dl_phdr_info* info, size_t, void* data) {
        if (info->dlpi_name && info->dlpi_name[0] != '\0') {
          static_cast<std::vector<std::string>*>(data)->push_back(info->dlpi_name);
        }
        return 0;
      },
      &paths);
  return paths;
}

std::string resolved(const std::string& path) {
  char buffer[PATH_MAX];
  return realpath(path.c_str(), buffer) ? std::string(buffer) : path;
}

std::string file_name(const std::string& path) {
  return std::filesystem::path(path).filename().string();
}

std::string blas_library() {
  std::string found;
  for (const std::string& path : loaded_objects()) {
    const std::string name = file_name(path);
    if (starts_with(name, "libopenblas") || starts_with(name, "libblas") ||
        starts_with(name, "libmkl_rt") || starts_with(name, "libblis")) {
      found = resolved(path);
      break;
    }
  }
  if (found.empty()) return "none loaded";
  // OpenBLAS says which kernels it chose for this CPU.
  using Text = char* (*)();
  auto config = reinterpret_cast<Text>(dlsym(RTLD_DEFAULT, "openblas_get_config"));
  auto core = reinterpret_cast<Text>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  if (config && core) {
    found += " (" + trim(config()) + "; core " + trim(core()) + ", chosen by " +
             blas_core_source() + ")";
  }
  return found;
}

std::string allocator() {
  for (const std::string& path : loaded_objects()) {
    const std::string name = file_name(path);
    if (starts_with(name, "libtcmalloc")) return "tcmalloc (" + name + ")";
    if (starts_with(name, "libjemalloc")) return "jemalloc (" + name + ")";
    if (starts_with(name, "libmimalloc")) return "mimalloc (" + name + ")";
  }
  return "glibc malloc";
}

std::string cpu_isa() {
  const std::vector<std::string> flags = cpu_flags();
  if (flags.empty()) return "unknown";  // not x86 Linux (aarch64 reports "Features")
  std::vector<std::string> present;
  for (const char* isa : {"sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl",
                          "avx512_vnni", "avx512_bf16", "amx_tile", "amx_bf16"}) {
    if (std::find(flags.begin(), flags.end(), isa) != flags.end()) present.push_back(isa);
  }
  return present.empty() ? "none of sse4_2..amx" : join(present, " ");
}

std::string& invocation_text() {
  static std::string text;
  return text;
}

}  // namespace

std::vector<std::string> cpu_flags() {
  const std::string line = cpuinfo_field("flags");
  if (line.empty()) return {};
  return split(line, ' ');
}

void set_invocation(const std::vector<std::string>& argv) {
  if (const char* inherited = std::getenv(kInvocationVariable)) {
    invocation_text() = inherited;
    return;
  }
  std::vector<std::string> quoted;
  for (const std::string& arg : argv) quoted.push_back(shell_quote(arg));
  invocation_text() = join(quoted, " ");
}

const std::string& invocation() { return invocation_text(); }

std::string build_commit_label() {
  const BuildInfo& b = build_info();
  return std::string(b.commit) + (b.dirty ? "-dirty" : "");
}

SystemInfo collect_system_info() {
  SystemInfo info;
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  info.host = host;
  info.cpu_model = cpu_model();
  info.hardware_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  info.git_commit = build_commit_label();
  info.metabench_version = build_info().version;
  info.blas = blas_library();
  info.allocator = allocator();
  info.cpu_isa = cpu_isa();
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
