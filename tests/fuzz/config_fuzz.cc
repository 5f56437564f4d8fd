// Config resolution as `metabench run` does it: a YAML file read by
// RawConfig::from_file (with its size and nesting bounds), then
// resolve_experiment against the built-in registries (every algorithm,
// dataset and backbone).
#include <string>

#include "core/files.h"
#include "core/raw_config.h"
#include "harness/config/experiment_config.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace metabench;
  const std::string input = fuzz::bytes(data, size);
  if (input.find("plugins") != std::string::npos) return 0;  // loading code is not fuzzed
  const std::string path = fuzz::scratch_file("config.yaml");
  write_file_atomically(path, input);
  return fuzz::expect_only_user_errors([&] { resolve_experiment(RawConfig::from_file(path)); });
}
