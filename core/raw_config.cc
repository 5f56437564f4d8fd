#include "core/raw_config.h"

#include <algorithm>
#include <filesystem>

#include "core/files.h"
#include "metabench/errors.h"

namespace metabench {

std::string node_origin(const YAML::Node& node, const std::string& file) {
  const YAML::Mark mark = node.Mark();
  if (mark.line < 0) return file;
  return file + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

YAML::Node load_yaml_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    throw ConfigError(path + ": no such file (expected a YAML config file)");
  }
  if (std::filesystem::is_directory(path, ec)) {
    throw ConfigError(path + ": is a directory (expected a YAML config file)");
  }
  // yaml-cpp recurses once per level of nesting, without a limit: a small
  // hostile file of brackets would overflow the stack.  Config and sweep
  // files are small and shallow; bound both before parsing.
  constexpr uintmax_t kMaxBytes = 1 << 20;
  constexpr int kMaxFlowDepth = 64;
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (!ec && size > kMaxBytes) {
    throw ConfigError(path + ": " + std::to_string(size) + " bytes; a config or sweep file of at "
                      "most 1 MiB is expected");
  }
  const std::string text = read_file(path);
  int depth = 0, deepest = 0;
  char quote = 0;
  for (const char c : text) {
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    } else if (c == '\n') {
      quote = 0;  // a quote never spans lines in the files metabench reads
    }
  }
  if (deepest > kMaxFlowDepth) {
    throw ConfigError(path + ": brackets nested " + std::to_string(deepest) +
                      " deep; at most " + std::to_string(kMaxFlowDepth) + " are accepted");
  }
  try {
    return YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw ConfigError(path + ":" + std::to_string(e.mark.line + 1) + ":" +
                      std::to_string(e.mark.column + 1) + ": malformed YAML: " + e.msg);
  } catch (const YAML::BadFile&) {
    throw ConfigError(path + ": cannot be read (expected a readable YAML config file)");
  }
}

RawConfig RawConfig::from_file(const std::string& path) {
  const YAML::Node root = load_yaml_file(path);
  if (root.IsNull())
    throw ConfigError(path + ": the file is empty (expected a map of config keys)");
  if (!root.IsMap()) {
    throw ConfigError(node_origin(root, path) + ": expected a map of config keys at the top level");
  }
  return from_node(root, path);
}

RawConfig RawConfig::from_node(const YAML::Node& map, const std::string& file,
                               const std::string& prefix) {
  RawConfig raw;
  raw.flatten(map, prefix, file);
  return raw;
}

void RawConfig::flatten(const YAML::Node& node, const std::string& prefix,
                        const std::string& file) {
  if (node.IsMap()) {
    for (const auto& item : node) {
      if (!item.first.IsScalar()) {
        throw ConfigError(node_origin(item.first, file) + ": config keys must be plain names");
      }
      const std::string key = item.first.Scalar();
      const std::string path = prefix.empty() ? key : prefix + "." + key;
      if (item.second.IsNull()) {
        throw ConfigError(node_origin(item.first, file) + ": key '" + path + "' has no value");
      }
      flatten(item.second, path, file);
    }
    return;
  }
  if (node.IsNull()) {
    throw ConfigError(node_origin(node, file) + ": key '" + prefix + "' has no value");
  }
  set(prefix, node, node_origin(node, file), file);
}

void RawConfig::apply_set(const std::string& assignment) {
  const size_t eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw ConfigError("--set '" + assignment + "': expected KEY=VALUE, e.g. optim.meta_lr=0.001");
  }
  const std::string key = assignment.substr(0, eq);
  const std::string text = assignment.substr(eq + 1);
  YAML::Node value;
  try {
    value = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ConfigError("--set '" + assignment + "': the value is not valid YAML: " + e.msg);
  }
  if (value.IsNull()) throw ConfigError("--set '" + assignment + "': the value is empty");
  const std::string origin = "--set " + assignment;
  if (value.IsMap()) {
    // "--set optim={meta_lr: 0.1}" sets every key of the map.
    RawConfig nested;
    nested.flatten(value, key, origin);
    for (auto& [path, entry] : nested.entries_) {
      entry.origin = origin;
      entry.file.clear();
    }
    overlay(nested);
    return;
  }
  set(key, value, origin);
}

void RawConfig::set(const std::string& path, const YAML::Node& node, const std::string& origin,
                    const std::string& file) {
  // A key set as a section replaces the section's children and vice versa.
  for (auto it = entries_.begin(); it != entries_.end();) {
    const std::string& p = it->first;
    const bool child =
        p.size() > path.size() && p.compare(0, path.size(), path) == 0 && p[path.size()] == '.';
    const bool parent =
        path.size() > p.size() && path.compare(0, p.size(), p) == 0 && path[p.size()] == '.';
    it = (child || parent) ? entries_.erase(it) : std::next(it);
  }
  // Not `entries_[path] = ...`: assigning a YAML::Node writes through to the
  // node it refers to, which other configs share (a sweep's layers), so an
  // override in one cell would leak into the next.  Replace the handle.
  entries_.erase(path);
  entries_.emplace(path, RawEntry{node, origin, file});
}

void RawConfig::overlay(const RawConfig& other) {
  for (const auto& [path, entry] : other.entries_) set(path, entry.node, entry.origin, entry.file);
}

const RawEntry* RawConfig::find(const std::string& path) const {
  auto it = entries_.find(path);
  return it == entries_.end() ? nullptr : &it->second;
}

}  // namespace metabench
