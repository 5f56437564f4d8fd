// Config schemas and values: the set of keys a config may contain, with
// type, default, allowed range or choices, and a one-line description; and
// the validated values of one config.
//
// The core schema (episode shape, optimisation, evaluation, runtime) is
// extended by the chosen algorithm's options under `algo.`, the dataset's
// under `data.` and the backbone's under `model.`, so a plugin declares its
// own keys and gets validation, defaults and documentation for free.  Every
// key has a default.  Plugins declare their keys through OptionsSchema
// (metabench/options.h), which binds each key to a field of an options
// struct, rather than through Schema directly.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace metabench {

enum class FieldType { kInt, kFloat, kBool, kString, kIntList };

const char* field_type_name(FieldType type);

using ConfigValue = std::variant<int64_t, double, bool, std::string, std::vector<int64_t>>;

// Renders a value as YAML flow text ("0.001", "true", "conv4", "[40, 40]").
std::string value_to_string(const ConfigValue& value);

struct FieldSpec {
  std::string path;  // dotted, e.g. "optim.meta_lr"
  FieldType type = FieldType::kString;
  ConfigValue default_value;
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_exclusive = false;        // the range is (min, max] instead of [min, max]
  std::vector<std::string> choices;  // kString only; empty means free text
  bool affects_results = true;       // false: excluded from the config hash
  std::string doc;
  // A key added after results were recorded: at its default it is left out
  // of the config hash and of the resolved YAML, so every config that does
  // not use it keeps the hash (and family) it had before the key existed,
  // and sweeps still recognise their completed cells.
  bool omitted_at_default = false;

  // Describes what a valid value looks like, e.g. "an integer in [1, 1000]".
  std::string expectation() const;
};

// An ordered list of FieldSpecs with chained builders:
//   Schema().add_int("ways", 5, "classes per episode").min(1).max(1000)
class Schema {
 public:
  Schema& add_int(const std::string& path, int64_t default_value, const std::string& doc);
  Schema& add_float(const std::string& path, double default_value, const std::string& doc);
  Schema& add_bool(const std::string& path, bool default_value, const std::string& doc);
  Schema& add_string(const std::string& path, const std::string& default_value,
                     const std::string& doc);
  Schema& add_int_list(const std::string& path, std::vector<int64_t> default_value,
                       const std::string& doc);
  // Modifiers apply to the field added last.
  Schema& min(double value, bool exclusive = false);
  Schema& max(double value);
  Schema& choices(std::vector<std::string> values);
  Schema& not_hashed();
  Schema& omitted_at_default();

  // Replaces the default of `path`; false when there is no such key or the
  // value has the wrong type.
  bool set_default(const std::string& path, const ConfigValue& value);

  // Appends `other`'s fields with `prefix` + "." prepended to their paths.
  void merge(const Schema& other, const std::string& prefix);

  const FieldSpec* find(const std::string& path) const;
  std::vector<std::string> paths() const;
  const std::vector<FieldSpec>& fields() const { return fields_; }

 private:
  Schema& add(FieldSpec spec);
  std::vector<FieldSpec> fields_;
};

// The validated, complete set of values of one config: every schema key is
// present.  Getters throw InternalError on a missing key or a type mismatch
// (the schema guarantees neither happens for validated configs).
class ConfigValues {
 public:
  void set(const std::string& path, ConfigValue value) { values_[path] = std::move(value); }
  bool has(const std::string& path) const { return values_.count(path) > 0; }
  int64_t get_int(const std::string& path) const;
  double get_float(const std::string& path) const;
  bool get_bool(const std::string& path) const;
  const std::string& get_string(const std::string& path) const;
  const std::vector<int64_t>& get_int_list(const std::string& path) const;
  const std::map<std::string, ConfigValue>& all() const { return values_; }

 private:
  const ConfigValue& at(const std::string& path) const;
  std::map<std::string, ConfigValue> values_;
};

}  // namespace metabench
