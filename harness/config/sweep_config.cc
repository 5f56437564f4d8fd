#include "harness/config/sweep_config.h"

#include <filesystem>
#include <set>

#include "core/strings.h"
#include "harness/config/plugins.h"
#include "metabench/algorithm.h"
#include "metabench/dataset.h"
#include "metabench/errors.h"

namespace metabench {
namespace {

const std::vector<std::string> kSweepKeys = {"name",     "plugins",  "base", "algorithms",
                                             "datasets", "settings", "seeds"};
const std::vector<std::string> kShorthand = {"ways",       "shots",       "queries",
                                             "train_ways", "train_shots", "train_queries"};

struct Axis {
  std::string name;
  RawConfig config;     // config file and `set` of this entry
  YAML::Node settings;  // datasets only: optional own settings
};

std::string resolve_relative(const std::string& sweep_path, const std::string& path) {
  const std::filesystem::path p(path);
  if (p.is_absolute()) return path;
  return (std::filesystem::path(sweep_path).parent_path() / p).lexically_normal().string();
}

std::vector<Axis> read_axis(const YAML::Node& root, const std::string& key,
                            const std::string& file) {
  const YAML::Node list = root[key];
  if (!list) {
    throw ConfigError(node_origin(root, file) + ": the sweep has no '" + key +
                      "' key; expected a non-empty list of registry names or {name: ...} maps");
  }
  if (!list.IsSequence() || list.size() == 0) {
    throw ConfigError(node_origin(list, file) + ": '" + key +
                      "' must be a non-empty list of names or {name: ...} maps");
  }
  std::vector<Axis> out;
  for (const auto& item : list) {
    Axis axis;
    if (item.IsScalar()) {
      axis.name = item.Scalar();
    } else if (item.IsMap()) {
      for (const auto& field : item) {
        const std::string k = field.first.Scalar();
        const YAML::Node& v = field.second;
        if (k == "name" && v.IsScalar()) {
          axis.name = v.Scalar();
        } else if (k == "config" && v.IsScalar()) {
          axis.config.overlay(RawConfig::from_file(resolve_relative(file, v.Scalar())));
        } else if (k == "set" && v.IsMap()) {
          axis.config.overlay(RawConfig::from_node(v, file));
        } else if (k == "settings" && key == "datasets" && v.IsSequence()) {
          axis.settings = v;
        } else {
          const std::string allowed =
              key == "datasets" ? "name, config, set, settings" : "name, config, set";
          throw ConfigError(node_origin(field.first, file) + ": in '" + key + "', key '" + k +
                            "' is unknown or has the wrong form; expected " + allowed +
                            " (name and config: strings; set: a map; settings: a list)");
        }
      }
      if (axis.name.empty()) {
        throw ConfigError(node_origin(item, file) + ": an entry of '" + key + "' has no name");
      }
    } else {
      throw ConfigError(node_origin(item, file) + ": entries of '" + key +
                        "' must be names or maps");
    }
    out.push_back(std::move(axis));
  }
  return out;
}

RawConfig read_setting(const YAML::Node& setting, const std::string& file) {
  if (!setting.IsMap()) {
    throw ConfigError(node_origin(setting, file) +
                      ": a setting must be a map such as {ways: 5, shots: 1}");
  }
  RawConfig raw;
  for (const auto& field : setting) {
    std::string key = field.first.Scalar();
    for (const auto& s : kShorthand) {
      if (key == s) key = "episode." + s;
    }
    raw.set(key, field.second, node_origin(field.second, file));
  }
  return raw;
}

}  // namespace

Sweep load_sweep(const std::string& path, const std::vector<std::string>& overrides) {
  const YAML::Node root = load_yaml_file(path);
  if (!root.IsMap())
    throw ConfigError(path + ": expected a map with keys " + join(kSweepKeys, ", "));
  for (const auto& field : root) {
    const std::string key = field.first.Scalar();
    bool known = false;
    for (const auto& k : kSweepKeys) known = known || k == key;
    if (!known) {
      throw ConfigError(node_origin(field.first, path) + ": unknown sweep key '" + key + "'" +
                        did_you_mean(key, kSweepKeys) + "; expected " + join(kSweepKeys, ", "));
    }
  }
  if (root["plugins"]) {
    RawConfig listed;
    listed.set("plugins", root["plugins"], node_origin(root["plugins"], path), path);
    load_plugins_from(listed);
  }
  Sweep sweep;
  sweep.name = root["name"] && root["name"].IsScalar()
                   ? root["name"].Scalar()
                   : std::filesystem::path(path).stem().string();
  RawConfig base;
  if (root["base"]) {
    if (!root["base"].IsMap())
      throw ConfigError(node_origin(root["base"], path) + ": 'base' must be a map of config keys");
    base = RawConfig::from_node(root["base"], path);
  }
  const std::vector<Axis> algorithms = read_axis(root, "algorithms", path);
  const std::vector<Axis> datasets = read_axis(root, "datasets", path);
  std::vector<int64_t> seeds{1};
  if (root["seeds"]) {
    seeds.clear();
    if (!root["seeds"].IsSequence() || root["seeds"].size() == 0) {
      throw ConfigError(node_origin(root["seeds"], path) + ": 'seeds' must be a list of integers");
    }
    for (const auto& s : root["seeds"]) {
      int64_t v;
      if (!s.IsScalar() || !YAML::convert<int64_t>::decode(s, v) || v < 0) {
        throw ConfigError(node_origin(s, path) + ": seeds must be integers >= 0, got '" +
                          (s.IsScalar() ? s.Scalar() : std::string("a collection")) + "'");
      }
      seeds.push_back(v);
    }
  }
  RawConfig cli;
  for (const auto& o : overrides) cli.apply_set(o);
  std::set<std::string> hashes;

  for (const Axis& dataset : datasets) {
    const YAML::Node settings = dataset.settings.IsSequence() ? dataset.settings : root["settings"];
    std::vector<RawConfig> setting_layers;
    if (settings) {
      if (!settings.IsSequence()) {
        throw ConfigError(node_origin(settings, path) + ": 'settings' must be a list of maps");
      }
      for (const auto& s : settings) setting_layers.push_back(read_setting(s, path));
    } else {
      setting_layers.emplace_back();
    }
    for (const Axis& algorithm : algorithms) {
      const AlgorithmInfo* a = AlgorithmRegistry::instance().find(algorithm.name);
      const DatasetInfo* d = DatasetRegistry::instance().find(dataset.name);
      if (a && d) {
        const bool ok =
            d->kind == TaskKind::kRegression ? a->supports_regression : a->supports_classification;
        if (!ok) {
          sweep.skipped.push_back(algorithm.name + " x " + dataset.name + ": " + algorithm.name +
                                  " does not support " + task_kind_name(d->kind));
          continue;
        }
      }
      for (const RawConfig& setting : setting_layers) {
        for (int64_t seed : seeds) {
          RawConfig raw = base;
          raw.overlay(algorithm.config);
          raw.overlay(dataset.config);
          raw.overlay(setting);
          const std::string origin = path + " (sweep cell)";
          raw.set("algorithm", YAML::Node(algorithm.name), origin);
          raw.set("dataset", YAML::Node(dataset.name), origin);
          raw.set("seed", YAML::Node(seed), origin);
          raw.overlay(cli);
          load_plugins_from(raw);
          ExperimentConfig cell = resolve_experiment(raw);
          // Two cells with one resolved config are one cell (e.g. seeds
          // made equal by --set seed=1).
          if (!hashes.insert(cell.hash).second) {
            ++sweep.duplicates;
            continue;
          }
          sweep.cells.push_back(std::move(cell));
        }
      }
    }
  }
  return sweep;
}

}  // namespace metabench
