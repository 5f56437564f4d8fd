// Helpers for tests: temporary directories, running the metabench binary as a
// user would, and small configs.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/config/experiment_config.h"
#include "metabench/algorithm.h"

namespace metabench::testing {

// An algorithm built as the harness builds it: config from --set style
// overrides, the config's backbone for `input_shape`, and a context.  Owns
// everything the algorithm refers to.
struct AlgorithmUnderTest {
  ExperimentConfig config;
  std::unique_ptr<Backbone> backbone;
  std::unique_ptr<Algorithm> algorithm;
};

std::unique_ptr<AlgorithmUnderTest> make_algorithm(const std::vector<std::string>& overrides,
                                                   const std::vector<int64_t>& input_shape,
                                                   TaskKind kind, uint64_t init_seed);

// A fresh directory under the system temp dir, removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

struct CommandResult {
  int exit_code = 0;
  std::string output;  // stdout and stderr together
};

// Runs the built metabench binary with `args` and waits for it.
CommandResult run_metabench(const std::vector<std::string>& args);

// Starts the metabench binary in the background, stdout and stderr to
// `output_path`; returns its pid.
int spawn_metabench(const std::vector<std::string>& args, const std::string& output_path);
// Waits for a spawned process; returns its exit code (128 + signal if killed).
int wait_exit_code(int pid);

// Runs the built metabench binary with `args` on a new pseudo-terminal (its
// stdout and stderr are a terminal, as a user's are) and returns what it
// wrote there; fails the test unless it exits with status 0.
std::string run_on_terminal(const std::vector<std::string>& args);

// Set by the test binary's main when it set OPENBLAS_CORETYPE for the
// processes the tests start (tests/test_main.cc), not the user.
constexpr const char* kCoretypeSetByTests = "METABENCH_TESTS_SET_OPENBLAS_CORETYPE";

// Sets (a value) or clears (nullopt) an environment variable for one scope,
// as the processes started in it see it; the old value comes back after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value);
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// The path of the built metabench binary; a file under the source tree.
std::string metabench_binary();
std::string source_path(const std::string& relative);

void write_text(const std::string& path, const std::string& text);
std::string read_text(const std::string& path);

}  // namespace metabench::testing
