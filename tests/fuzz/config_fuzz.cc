// Config resolution: YAML text -> RawConfig -> resolve_experiment, against
// the built-in registries (every algorithm, dataset and backbone).
#include <yaml-cpp/yaml.h>

#include "core/raw_config.h"
#include "harness/config/experiment_config.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace metabench;
  return fuzz::expect_only_user_errors([&] {
    YAML::Node node;
    try {
      node = YAML::Load(fuzz::bytes(data, size));
    } catch (const YAML::Exception& e) {
      return;  // the file readers turn this into a ConfigError naming the file
    }
    resolve_experiment(RawConfig::from_node(node, "fuzz.yaml"));
  });
}
