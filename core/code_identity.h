// Code identity: what produced a result.  A run's code identity is
// metabench's own (the source digest of its build, core/build_info.h) plus,
// for each plugin that provides one of the run's entries (its algorithm,
// dataset or backbone), that plugin's file name and SHA-256.  Two runs of the
// same config with equal code identities ran the same code; a sweep skips a
// cell only when its completed run has the identity the cell would get now
// (or, by default, reports that it was recorded by other code).
//
// The plugin loader (harness/config/plugins.cc) holds a PluginRegistration
// around each dlopen(); the registrations run inside it call
// note_registration() (metabench/registry.h), which attributes each new
// entry to the plugin being loaded.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace metabench {

struct PluginIdentity {
  std::string path;                   // absolute
  std::string sha256;                 // of the file's bytes, hex
  std::string version;                // METABENCH_PLUGIN_VERSION; "" when undeclared
  std::vector<std::string> provides;  // "algorithm cosproto", ... in registration order
};

// Attributes the registrations made during its lifetime to `plugin`.  The
// plugin joins the loaded list only on commit(); otherwise (a load that
// failed) it is forgotten.  One at a time: InternalError if nested.
class PluginRegistration {
 public:
  explicit PluginRegistration(PluginIdentity plugin);
  ~PluginRegistration();
  PluginRegistration(const PluginRegistration&) = delete;
  PluginRegistration& operator=(const PluginRegistration&) = delete;

  // What it has registered so far: "algorithm cosproto", ...
  const std::vector<std::string>& provides() const;
  // Records the plugin, with the version it declares, as loaded.
  void commit(const std::string& version);
};

// The plugins loaded so far, in load order.
const std::vector<PluginIdentity>& loaded_plugin_identities();

// The loaded plugin that registered `kind` `name` ("algorithm", "cosproto"),
// or nullptr when metabench itself provides it (or nobody does).
const PluginIdentity* plugin_providing(const std::string& kind, const std::string& name);

// What identifies metabench's own code in a code identity:
// "metabench:<first 12 hex digits of its build's source digest>".
std::string metabench_code_id();

// The code identity of a run using these entries ({kind, registered name}):
// "metabench:<12 hex>" followed by " <plugin file>:<12 hex of its SHA-256>"
// for each distinct plugin among their providers.
std::string code_identity(const std::vector<std::pair<std::string, std::string>>& entries);

}  // namespace metabench
