#include "metabench/registry.h"

#include "core/code_identity.h"
#include "core/strings.h"

namespace metabench {

std::string unknown_entry_message(const std::string& kind, const std::string& name,
                                  const std::vector<std::string>& registered,
                                  const std::string& origin) {
  std::string message = origin + "unknown " + kind + " '" + name + "'" +
                        did_you_mean(name, registered) + "; registered: " + join(registered, ", ");
  if (kind == "algorithm" || kind == "dataset" || kind == "backbone") {
    std::vector<std::string> plugins;
    for (const PluginIdentity& p : loaded_plugin_identities()) plugins.push_back(p.path);
    message +=
        " (if a plugin provides it, load it with --plugin PATH or `plugins:` in the "
        "config; plugins loaded: " +
        (plugins.empty() ? std::string("none") : join(plugins, ", ")) + ")";
  }
  return message;
}

std::vector<std::string>& registration_problems() {
  static std::vector<std::string> problems;
  return problems;
}

}  // namespace metabench
