#include "core/blas_core.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "core/strings.h"
#include "core/system_info.h"
#include "metabench/errors.h"

namespace metabench {
namespace {

// Set by metabench whenever it sets or clears OPENBLAS_CORETYPE, to
// "<source>:<value>": how the restarted process (and those it starts) tell
// metabench's choice from the user's.
constexpr const char* kMarker = "METABENCH_BLAS_CORETYPE";
// Set just before a restart, so a process restarts at most once.
constexpr const char* kRestarted = "METABENCH_BLAS_RESTARTED";

std::vector<std::string>& saved_argv() {
  static std::vector<std::string> argv;
  return argv;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

bool has(const std::vector<std::string>& flags, const char* flag) {
  return std::find(flags.begin(), flags.end(), flag) != flags.end();
}

std::string environment(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// Starts this program again with the environment as it now is.
[[noreturn]] void restart() {
  const std::vector<std::string>& args = saved_argv();
  if (args.empty()) throw InternalError("apply_blas_coretype: main() did not save argv");
  setenv(kRestarted, "1", 1);
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::fflush(stdout);
  std::fflush(stderr);
  execv("/proc/self/exe", argv.data());
  throw EnvironmentError(std::string("cannot restart metabench to change the BLAS core: ") +
                         std::strerror(errno));
}

}  // namespace

std::string openblas_core() {
  using Text = char* (*)();
  auto core = reinterpret_cast<Text>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  return core ? trim(core()) : "";
}

void set_compute_threads(int threads) {
  at::set_num_threads(threads);
  using SetThreads = void (*)(int);
  if (auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) {
    set(threads);
  }
}

std::string matching_openblas_core(const std::vector<std::string>& flags) {
  if (has(flags, "avx512f") && has(flags, "avx512bw") && has(flags, "avx512dq") &&
      has(flags, "avx512vl")) {
    return has(flags, "avx512_bf16") ? "COOPERLAKE" : "SKYLAKEX";
  }
  if (has(flags, "avx2") && has(flags, "fma")) return "HASWELL";
  return "";
}

bool is_pre_avx2_core(const std::string& core) {
  static const std::vector<std::string> kOld = {
      "UNKNOWN",   "KATMAI", "COPPERMINE",  "NORTHWOOD", "PRESCOTT",  "BANIAS",     "ATOM",
      "CORE2",     "PENRYN", "DUNNINGTON",  "NEHALEM",   "ATHLON",    "OPTERON",    "OPTERON_SSE3",
      "BARCELONA", "NANO",   "SANDYBRIDGE", "BOBCAT",    "BULLDOZER", "PILEDRIVER", "STEAMROLLER"};
  return std::find(kOld.begin(), kOld.end(), upper(core)) != kOld.end();
}

const std::vector<std::string>& blas_coretype_choices() {
  static const std::vector<std::string> kChoices = {
      "auto",      "default",    "PRESCOTT",      "CORE2",     "PENRYN",  "DUNNINGTON",
      "NEHALEM",   "ATOM",       "OPTERON",       "BARCELONA", "BOBCAT",  "SANDYBRIDGE",
      "BULLDOZER", "PILEDRIVER", "STEAMROLLER",   "EXCAVATOR", "HASWELL", "ZEN",
      "SKYLAKEX",  "COOPERLAKE", "SAPPHIRERAPIDS"};
  return kChoices;
}

void save_argv_for_restart(int argc, char** argv) { saved_argv().assign(argv, argv + argc); }

void choose_blas_core_automatically() {
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr || std::getenv(kMarker) != nullptr ||
      std::getenv(kRestarted) != nullptr) {
    return;  // the user's choice, or one made already
  }
  const std::string core = openblas_core();
  if (core.empty() || !is_pre_avx2_core(core)) return;
  const std::vector<std::string> flags = cpu_flags();
  const std::string wanted = matching_openblas_core(flags);
  if (wanted.empty()) return;
  // Said on a terminal only: in a log the run record says it (runs.blas:
  // "chosen by auto"), and a one-line error stays one line.
  if (isatty(STDERR_FILENO)) {
    std::fprintf(stderr,
                 "metabench: OpenBLAS chose its %s kernels on this CPU, which has %s; running with "
                 "OPENBLAS_CORETYPE=%s (set OPENBLAS_CORETYPE or runtime.blas_coretype to choose "
                 "otherwise)\n",
                 core.c_str(), has(flags, "avx512f") ? "AVX-512" : "AVX2", wanted.c_str());
  }
  setenv("OPENBLAS_CORETYPE", wanted.c_str(), 1);
  setenv(kMarker, ("auto:" + wanted).c_str(), 1);
  try {
    restart();
  } catch (const EnvironmentError& e) {
    // Running on with the slow kernels beats not running.
    std::fprintf(stderr, "metabench: %s; continuing with %s\n", e.what(), core.c_str());
    unsetenv("OPENBLAS_CORETYPE");
  }
}

void apply_blas_coretype(const std::string& value) {
  if (value == "auto") {
    choose_blas_core_automatically();
    return;
  }
  const std::string core = openblas_core();
  if (core.empty()) {
    throw EnvironmentError("runtime.blas_coretype is '" + value +
                           "', but the BLAS this process loaded is not OpenBLAS; use 'auto'");
  }
  const std::string marker = environment(kMarker);
  const bool restarted = std::getenv(kRestarted) != nullptr;
  if (value == "default") {
    // OpenBLAS's own detection: no OPENBLAS_CORETYPE at load time.
    if (std::getenv("OPENBLAS_CORETYPE") == nullptr) return;
    unsetenv("OPENBLAS_CORETYPE");
    setenv(kMarker, "config:default", 1);
    restart();
  }
  if (upper(core) == value) {
    if (environment("OPENBLAS_CORETYPE") != value) setenv(kMarker, ("config:" + value).c_str(), 1);
    return;
  }
  if (restarted && marker == "config:" + value) {
    throw EnvironmentError("runtime.blas_coretype is '" + value + "', but OpenBLAS runs its " +
                           core + " kernels with OPENBLAS_CORETYPE=" + value +
                           " (this CPU may lack their instructions, or this OpenBLAS may not "
                           "have them); choose another core or 'auto'");
  }
  setenv("OPENBLAS_CORETYPE", value.c_str(), 1);
  setenv(kMarker, ("config:" + value).c_str(), 1);
  restart();
}

std::string blas_core_source() {
  const std::string marker = environment(kMarker);
  if (starts_with(marker, "auto:")) return "auto";
  if (starts_with(marker, "config:")) return "runtime.blas_coretype";
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return "OPENBLAS_CORETYPE";
  return "OpenBLAS";
}

}  // namespace metabench
