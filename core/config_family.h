// Configuration families: runs whose resolved configs differ only in the
// seed and in keys that do not affect results (runtime.*, data.root, ...)
// belong to one family, and reports aggregate them over seeds.  The family
// hash is computed when a run starts, while the schema that says which keys
// do not affect results is at hand, and stored with the run, so a report
// never needs the schema, the registries or the stored YAML.
#pragma once

#include <functional>
#include <string>

#include "core/raw_config.h"

namespace metabench {

// SHA-256 over "key=value\n" lines (dotted keys in sorted order, values as
// YAML) of the resolved config `config`, leaving out the seed and every key
// for which `ignored` is true; its first 8 hex digits.  Runs and the schema
// migration both compute it from the resolved config as stored (its YAML,
// flattened by RawConfig::from_node), so the two agree to the byte.
std::string config_family(const RawConfig& config,
                          const std::function<bool(const std::string& key)>& ignored);

}  // namespace metabench
