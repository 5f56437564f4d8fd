// Sweep resolution (harness/config/sweep_config.h) of arbitrary sweep files,
// with the built-in registries.  `plugins:` entries are refused here:
// loading a shared library is not what is being fuzzed.
#include <unistd.h>

#include <cstdio>
#include <string>

#include "core/files.h"
#include "harness/config/sweep_config.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace metabench;
  const std::string input = fuzz::bytes(data, size);
  if (input.find("plugins") != std::string::npos) return 0;
  const std::string path = fuzz::scratch_file("sweep.yaml");
  write_file_atomically(path, input);
  return fuzz::expect_only_user_errors([&] { load_sweep(path, {}); });
}
