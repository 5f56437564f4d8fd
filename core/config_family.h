// Configuration families: runs whose resolved configs differ only in the
// seed and in keys that do not affect results (runtime.*, data.root, ...)
// belong to one family, and reports aggregate them over seeds.  The family
// hash is computed when a run starts, while the schema that says which keys
// do not affect results is at hand, and stored with the run, so a report
// never needs the schema, the registries or the stored YAML.
#pragma once

#include <functional>
#include <string>

namespace metabench {

// SHA-256 over "key=value\n" lines (keys in sorted dotted form, values as
// YAML) of the resolved config YAML `config_yaml`, leaving out the seed and
// every key for which `ignored` is true; its first 8 hex digits.  Throws
// InternalError when `config_yaml` is not a YAML map.
std::string config_family(const std::string& config_yaml,
                          const std::function<bool(const std::string& key)>& ignored);

}  // namespace metabench
