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

PluginRegistration::PluginRegistration(PluginIdentity plugin) {
  if (state().loading) {
    throw InternalError("plugin '" + plugin.path + "' loaded while '" + state().loading->path +
                        "' is still being loaded");
  }
  state().loading = std::move(plugin);
}

PluginRegistration::~PluginRegistration() { state().loading.reset(); }

const std::vector<std::string>& PluginRegistration::provides() const {
  return state().loading->provides;
}

void PluginRegistration::commit(const std::string& version) {
  state().loading->version = version;
  state().loaded.push_back(*state().loading);
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
