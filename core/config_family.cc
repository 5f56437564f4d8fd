#include "core/config_family.h"

#include <yaml-cpp/yaml.h>

#include <map>

#include "metabench/errors.h"
#include "metabench/sha256.h"

namespace metabench {
namespace {

void flatten(const YAML::Node& node, const std::string& prefix,
             std::map<std::string, YAML::Node>& out) {
  for (const auto& item : node) {
    const std::string path =
        prefix.empty() ? item.first.Scalar() : prefix + "." + item.first.Scalar();
    if (item.second.IsMap()) {
      flatten(item.second, path, out);
    } else {
      out.emplace(path, item.second);
    }
  }
}

}  // namespace

std::string config_family(const std::string& config_yaml,
                          const std::function<bool(const std::string& key)>& ignored) {
  YAML::Node root;
  try {
    root = YAML::Load(config_yaml);
  } catch (const YAML::Exception& e) {
    throw InternalError(std::string("a resolved config is not valid YAML: ") + e.what());
  }
  if (!root.IsMap()) throw InternalError("a resolved config is not a YAML map");
  std::map<std::string, YAML::Node> leaves;
  flatten(root, "", leaves);
  Sha256 h;
  for (const auto& [path, node] : leaves) {
    if (path == "seed" || ignored(path)) continue;
    h.update(path + "=" + YAML::Dump(node) + "\n");
  }
  return h.hex_digest().substr(0, 8);
}

}  // namespace metabench
