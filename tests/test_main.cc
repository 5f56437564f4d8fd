// The test binary's main: loads the plugins named in $METABENCH_TEST_PLUGINS
// (colon-separated) before the tests are listed, so that the registry-wide
// conformance tests also run every plugin's algorithms.  It also chooses
// OpenBLAS's core for the metabench processes the tests start, once, as
// `auto` would (core/blas_core.h), so that each of them does not restart
// itself to choose it; the tests of that choice clear the variable.  And it
// gives those processes one thread each (OMP_NUM_THREADS=1, unless set):
// CTest runs as many tests at once as there are CPUs, and processes that
// each take every CPU oversubscribe the machine, whose OpenMP barriers then
// spin against each other (the resume tests took up to 15 times as long).
// Tests of the thread defaults set the variable themselves.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "core/blas_core.h"
#include "core/strings.h"
#include "core/system_info.h"
#include "harness/config/plugins.h"
#include "tests/test_util.h"

int main(int argc, char** argv) {
  if (const char* plugins = std::getenv("METABENCH_TEST_PLUGINS")) {
    for (const auto& path : metabench::split(plugins, ':')) {
      if (!path.empty()) metabench::load_plugin(path);
    }
  }
  if (std::getenv("OPENBLAS_CORETYPE") == nullptr) {
    const std::string core = metabench::openblas_core();
    const std::string wanted = metabench::matching_openblas_core(metabench::cpu_flags());
    if (!core.empty() && metabench::is_pre_avx2_core(core) && !wanted.empty()) {
      setenv("OPENBLAS_CORETYPE", wanted.c_str(), 1);
      setenv(metabench::testing::kCoretypeSetByTests, "1", 1);
    }
  }
  if (std::getenv("OMP_NUM_THREADS") == nullptr) {
    setenv("OMP_NUM_THREADS", "1", 1);
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
