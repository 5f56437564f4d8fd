#include "metabench/schema.h"

#include <cmath>
#include <sstream>

#include "core/strings.h"
#include "metabench/errors.h"

namespace metabench {

const char* field_type_name(FieldType type) {
  switch (type) {
    case FieldType::kInt:
      return "integer";
    case FieldType::kFloat:
      return "number";
    case FieldType::kBool:
      return "boolean";
    case FieldType::kString:
      return "string";
    case FieldType::kIntList:
      return "list of integers";
  }
  return "?";
}

namespace {

std::string number_text(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  std::ostringstream out;
  out.precision(10);
  out << v;
  return out.str();
}

}  // namespace

std::string value_to_string(const ConfigValue& value) {
  struct Visitor {
    std::string operator()(int64_t v) const { return std::to_string(v); }
    std::string operator()(double v) const {
      // The shortest text that reads back as exactly `v`.
      std::string text;
      for (int precision = 6; precision <= 17; ++precision) {
        std::ostringstream out;
        out.precision(precision);
        out << v;
        text = out.str();
        if (std::stod(text) == v) break;
      }
      // Keep floats recognisable as floats when read back.
      if (text.find_first_of(".eEn") == std::string::npos) text += ".0";
      return text;
    }
    std::string operator()(bool v) const { return v ? "true" : "false"; }
    std::string operator()(const std::string& v) const { return v; }
    std::string operator()(const std::vector<int64_t>& v) const {
      std::vector<std::string> parts;
      for (int64_t x : v) parts.push_back(std::to_string(x));
      return "[" + join(parts, ", ") + "]";
    }
  };
  return std::visit(Visitor{}, value);
}

std::string FieldSpec::expectation() const {
  std::string text;
  switch (type) {
    case FieldType::kInt:
      text = "an integer";
      break;
    case FieldType::kFloat:
      text = "a number";
      break;
    case FieldType::kBool:
      text = "true or false";
      break;
    case FieldType::kString:
      text = "a string";
      break;
    case FieldType::kIntList:
      text = "a list of integers";
      break;
  }
  if (!choices.empty()) return "one of " + join(choices, ", ");
  const bool has_min = !std::isinf(min), has_max = !std::isinf(max);
  if (has_min && has_max) {
    text += " in " + std::string(min_exclusive ? "(" : "[") + number_text(min) + ", " +
            number_text(max) + "]";
  } else if (has_min) {
    text += std::string(min_exclusive ? " > " : " >= ") + number_text(min);
  } else if (has_max) {
    text += " <= " + number_text(max);
  }
  if (type == FieldType::kIntList && (has_min || has_max)) text += " each";
  return text;
}

Schema& Schema::add(FieldSpec spec) {
  if (find(spec.path)) throw InternalError("schema key '" + spec.path + "' declared twice");
  fields_.push_back(std::move(spec));
  return *this;
}

Schema& Schema::add_int(const std::string& path, int64_t default_value, const std::string& doc) {
  return add({path, FieldType::kInt, default_value, -INFINITY, INFINITY, false, {}, true, doc});
}
Schema& Schema::add_float(const std::string& path, double default_value, const std::string& doc) {
  return add({path, FieldType::kFloat, default_value, -INFINITY, INFINITY, false, {}, true, doc});
}
Schema& Schema::add_bool(const std::string& path, bool default_value, const std::string& doc) {
  return add({path, FieldType::kBool, default_value, -INFINITY, INFINITY, false, {}, true, doc});
}
Schema& Schema::add_string(const std::string& path, const std::string& default_value,
                           const std::string& doc) {
  return add({path, FieldType::kString, default_value, -INFINITY, INFINITY, false, {}, true, doc});
}
Schema& Schema::add_int_list(const std::string& path, std::vector<int64_t> default_value,
                             const std::string& doc) {
  return add({path,
              FieldType::kIntList,
              std::move(default_value),
              -INFINITY,
              INFINITY,
              false,
              {},
              true,
              doc});
}

Schema& Schema::min(double value, bool exclusive) {
  fields_.back().min = value;
  fields_.back().min_exclusive = exclusive;
  return *this;
}
Schema& Schema::max(double value) {
  fields_.back().max = value;
  return *this;
}
Schema& Schema::choices(std::vector<std::string> values) {
  fields_.back().choices = std::move(values);
  return *this;
}
Schema& Schema::not_hashed() {
  fields_.back().affects_results = false;
  return *this;
}

Schema& Schema::omitted_at_default() {
  fields_.back().omitted_at_default = true;
  return *this;
}

void Schema::merge(const Schema& other, const std::string& prefix) {
  for (FieldSpec spec : other.fields_) {
    spec.path = prefix + "." + spec.path;
    add(std::move(spec));
  }
}

bool Schema::set_default(const std::string& path, const ConfigValue& value) {
  for (auto& f : fields_) {
    if (f.path == path && f.default_value.index() == value.index()) {
      f.default_value = value;
      return true;
    }
  }
  return false;
}

const FieldSpec* Schema::find(const std::string& path) const {
  for (const auto& f : fields_) {
    if (f.path == path) return &f;
  }
  return nullptr;
}

std::vector<std::string> Schema::paths() const {
  std::vector<std::string> out;
  for (const auto& f : fields_) out.push_back(f.path);
  return out;
}

const ConfigValue& ConfigValues::at(const std::string& path) const {
  auto it = values_.find(path);
  if (it == values_.end()) throw InternalError("config key '" + path + "' was never resolved");
  return it->second;
}

namespace {
template <typename T>
const T& typed(const ConfigValue& v, const std::string& path) {
  if (const T* p = std::get_if<T>(&v)) return *p;
  throw InternalError("config key '" + path + "' read with the wrong type");
}
}  // namespace

int64_t ConfigValues::get_int(const std::string& path) const {
  return typed<int64_t>(at(path), path);
}
double ConfigValues::get_float(const std::string& path) const {
  return typed<double>(at(path), path);
}
bool ConfigValues::get_bool(const std::string& path) const { return typed<bool>(at(path), path); }
const std::string& ConfigValues::get_string(const std::string& path) const {
  return typed<std::string>(at(path), path);
}
const std::vector<int64_t>& ConfigValues::get_int_list(const std::string& path) const {
  return typed<std::vector<int64_t>>(at(path), path);
}

}  // namespace metabench
