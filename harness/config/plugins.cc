#include "harness/config/plugins.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "core/code_identity.h"
#include "core/strings.h"
#include "metabench/algorithm.h"
#include "metabench/backbone.h"
#include "metabench/dataset.h"
#include "metabench/errors.h"
#include "metabench/sha256.h"

namespace metabench {
namespace {

// Whether a plugin's registrations include something a config can name.
bool provides_an_entry(const std::vector<std::string>& provides) {
  for (const std::string& entry : provides) {
    for (const char* kind : {AlgorithmInfo::kKind, DatasetInfo::kKind, BackboneInfo::kKind}) {
      if (starts_with(entry, std::string(kind) + " ")) return true;
    }
  }
  return false;
}

}  // namespace

std::vector<std::string> loaded_plugins() {
  std::vector<std::string> paths;
  for (const PluginIdentity& p : loaded_plugin_identities()) paths.push_back(p.path);
  return paths;
}

void load_plugin(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    throw UserError("plugin '" + path +
                    "': no such file (expected a shared library built "
                    "against metabench, see docs/plugins.md)");
  }
  const std::string absolute = fs::canonical(path, ec).string();
  for (const PluginIdentity& p : loaded_plugin_identities()) {
    if (p.path == absolute) return;
  }

  // The hash is of the file about to be loaded: a file replaced after this
  // point is still recorded as the one read here.
  PluginIdentity identity;
  identity.path = absolute;
  identity.sha256 = sha256_file(absolute);
  const size_t problems_before = registration_problems().size();
  PluginRegistration registration(identity);
  void* handle = dlopen(absolute.c_str(), RTLD_NOW | RTLD_GLOBAL);
  if (!handle) {
    const char* error = dlerror();
    throw UserError("cannot load plugin '" + path + "': " + (error ? error : "unknown error"));
  }
  std::vector<std::string>& problems = registration_problems();
  if (problems.size() > problems_before) {
    const std::vector<std::string> mine(problems.begin() + problems_before, problems.end());
    problems.resize(problems_before);
    throw UserError("plugin '" + path + "': " + join(mine, "; ") +
                    " (the name is taken by metabench or an earlier plugin; choose another)");
  }
  if (!provides_an_entry(registration.provides())) {
    throw UserError("plugin '" + path +
                    "' registers no algorithm, dataset or backbone "
                    "(expected a METABENCH_REGISTER_ALGORITHM in it, see docs/plugins.md)");
  }
  using VersionFunction = const char* (*)();
  auto version = reinterpret_cast<VersionFunction>(dlsym(handle, "metabench_plugin_version"));
  const std::string declared = version && version() ? version() : "";
  registration.commit(declared);
  // Plugins are code run with the user's permissions: say what was loaded.
  std::fprintf(stderr, "metabench: loaded plugin %s (sha256 %s, version %s)\n", absolute.c_str(),
               identity.sha256.c_str(), declared.empty() ? "undeclared" : declared.c_str());
}

void load_plugins_from(RawConfig& raw) {
  const RawEntry* entry = raw.find("plugins");
  if (!entry) return;
  const YAML::Node list = entry->node;
  const std::string origin = entry->origin;
  const std::string file = entry->file;
  if (!list.IsSequence()) {
    throw ConfigError(origin + ": key 'plugins': expected a list of shared-library paths");
  }
  for (const auto& item : list) {
    if (!item.IsScalar()) {
      throw ConfigError(origin + ": key 'plugins': expected a list of shared-library paths");
    }
    std::filesystem::path p(item.Scalar());
    if (p.is_relative() && !file.empty()) p = std::filesystem::path(file).parent_path() / p;
    load_plugin(p.string());
  }
  raw.erase("plugins");
}

}  // namespace metabench
