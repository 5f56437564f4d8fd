// Unvalidated config layers.  A RawConfig is a flat map from dotted key paths
// ("optim.meta_lr") to YAML leaf nodes, each remembering where it came from
// ("configs/quick/maml.yaml:12:3", "--set optim.meta_lr=0.01") so that
// validation errors can point at the exact file and line.  Layers are
// overlaid in order; the last one to set a key wins.
#pragma once

#include <yaml-cpp/yaml.h>

#include <map>
#include <string>

namespace metabench {

struct RawEntry {
  YAML::Node node;     // a scalar or a sequence
  std::string origin;  // human-readable location for error messages
  std::string file;    // the file it came from; empty for --set and sweep cells
};

class RawConfig {
 public:
  // Parses a YAML file whose top level is a map.  Throws ConfigError naming
  // the file for a missing file, a YAML syntax error or a non-map document.
  static RawConfig from_file(const std::string& path);
  // Flattens a YAML map; `file` labels the origins.
  static RawConfig from_node(const YAML::Node& map, const std::string& file,
                             const std::string& prefix = "");

  // Applies "a.b=value", where value is parsed as YAML ("5", "0.1", "[40, 40]").
  void apply_set(const std::string& assignment);
  void set(const std::string& path, const YAML::Node& node, const std::string& origin,
           const std::string& file = "");
  void overlay(const RawConfig& other);
  void erase(const std::string& path) { entries_.erase(path); }

  const RawEntry* find(const std::string& path) const;
  const std::map<std::string, RawEntry>& entries() const { return entries_; }

 private:
  void flatten(const YAML::Node& node, const std::string& prefix, const std::string& file);
  std::map<std::string, RawEntry> entries_;
};

// Loads a YAML file, turning yaml-cpp's exceptions into ConfigError with the
// path and line.
YAML::Node load_yaml_file(const std::string& path);

// "file:line:col" for a node parsed from `file`.
std::string node_origin(const YAML::Node& node, const std::string& file);

}  // namespace metabench
