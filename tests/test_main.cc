// The test binary's main: loads the plugins named in $METABENCH_TEST_PLUGINS
// (colon-separated) before the tests are listed, so that the registry-wide
// conformance tests also run every plugin's algorithms.
#include <gtest/gtest.h>

#include <cstdlib>

#include "core/strings.h"
#include "harness/config/plugins.h"

int main(int argc, char** argv) {
  if (const char* plugins = std::getenv("METABENCH_TEST_PLUGINS")) {
    for (const auto& path : metabench::split(plugins, ':')) {
      if (!path.empty()) metabench::load_plugin(path);
    }
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
