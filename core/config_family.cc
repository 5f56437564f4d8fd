#include "core/config_family.h"

#include "metabench/sha256.h"

namespace metabench {

std::string config_family(const RawConfig& config,
                          const std::function<bool(const std::string& key)>& ignored) {
  Sha256 h;
  for (const auto& [path, entry] : config.entries()) {
    if (path == "seed" || ignored(path)) continue;
    h.update(path + "=" + YAML::Dump(entry.node) + "\n");
  }
  return h.hex_digest().substr(0, 8);
}

}  // namespace metabench
