#include "core/code_identity.h"

#include <algorithm>
#include <filesystem>
#include <optional>

#include "core/build_info.h"
#include "metabench/errors.h"
#include "metabench/registry.h"

namespace metabench {
namespace {

struct State {
  std::vector<PluginIdentity> loaded;
  std::optional<PluginIdentity> loading;
};

State& state() {
  static State s;
  return s;
}

}  // namespace

std::string metabench_code_id() {
  return "metabench:" + std::string(build_info().source_digest).substr(0, 12);
}

void note_registration(const char* kind, const std::string& name) {
  State& s = state();
  if (s.loading) s.loading->provides.push_back(std::string(kind) + " " + name);
}

void begin_plugin(PluginIdentity plugin) {
  if (state().loading) throw InternalError("begin_plugin: a plugin is already being loaded");
  state().loading = std::move(plugin);
}

void finish_plugin(bool loaded, const std::string& version) {
  State& s = state();
  if (!s.loading) throw InternalError("finish_plugin without begin_plugin");
  if (loaded) {
    s.loading->version = version;
    s.loaded.push_back(std::move(*s.loading));
  }
  s.loading.reset();
}

const std::vector<PluginIdentity>& loaded_plugin_identities() { return state().loaded; }

const PluginIdentity* plugin_providing(const std::string& kind, const std::string& name) {
  const std::string entry = kind + " " + name;
  for (const PluginIdentity& p : state().loaded) {
    if (std::find(p.provides.begin(), p.provides.end(), entry) != p.provides.end()) return &p;
  }
  return nullptr;
}

std::string code_identity(const std::vector<std::pair<std::string, std::string>>& entries) {
  std::string id = metabench_code_id();
  std::vector<const PluginIdentity*> seen;
  for (const auto& [kind, name] : entries) {
    const PluginIdentity* p = plugin_providing(kind, name);
    if (!p || std::find(seen.begin(), seen.end(), p) != seen.end()) continue;
    seen.push_back(p);
    id += " " + std::filesystem::path(p->path).filename().string() + ":" + p->sha256.substr(0, 12);
  }
  return id;
}

}  // namespace metabench
