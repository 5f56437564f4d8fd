// Typed options for plugins, in the spirit of LibTorch's Options structs.
//
// An algorithm, dataset or backbone declares its options as a plain struct
// whose member initialisers are the defaults, and binds each member to a key
// of its scope (`algo.`, `data.` or `model.`):
//
//   struct MatchingNetOptions {
//     bool fce = false;
//     int64_t fce_steps = 5;
//   };
//   OptionsSchema<MatchingNetOptions> schema;
//   schema.add_bool("fce", &MatchingNetOptions::fce, "Full Context Embeddings")
//       .add_int("fce_steps", &MatchingNetOptions::fce_steps, "LSTM steps").min(1).max(100);
//
// The harness validates a config against schema.schema() (types, ranges,
// choices, unknown keys with suggestions), and the plugin receives the
// struct filled from the validated values by parse(): no key is ever looked
// up by string, so a misspelt key is a compile error, not a run-time one.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "metabench/schema.h"

namespace metabench {

// The validated values of one scope of a config ("algo", "data", "model"),
// addressed by keys without the scope's prefix.  Getters throw InternalError
// for a key the scope's schema does not have.
class ScopedOptions {
 public:
  ScopedOptions() = default;
  ScopedOptions(const ConfigValues* values, std::string scope)
      : values_(values), scope_(std::move(scope)) {}

  const std::string& scope() const { return scope_; }
  int64_t get_int(const std::string& key) const { return values().get_int(path(key)); }
  double get_float(const std::string& key) const { return values().get_float(path(key)); }
  bool get_bool(const std::string& key) const { return values().get_bool(path(key)); }
  const std::string& get_string(const std::string& key) const {
    return values().get_string(path(key));
  }
  const std::vector<int64_t>& get_int_list(const std::string& key) const {
    return values().get_int_list(path(key));
  }

 private:
  const ConfigValues& values() const;
  std::string path(const std::string& key) const { return scope_ + "." + key; }
  const ConfigValues* values_ = nullptr;
  std::string scope_;
};

// Keeps a parameter out of template argument deduction (std::type_identity
// before C++20), so that a lambda can be passed where a std::function of a
// type deduced from another argument is expected.
template <typename T>
struct NonDeduced {
  using type = T;
};

// Keys of one scope bound to the members of T.  Defaults are the members'
// values in `defaults` (T's member initialisers unless given).  The range
// and choice modifiers apply to the key added last, as in Schema.
template <typename T>
class OptionsSchema {
 public:
  explicit OptionsSchema(T defaults = T{}) : defaults_(std::move(defaults)) {}

  OptionsSchema& add_int(const std::string& key, int64_t T::*member, const std::string& doc) {
    schema_.add_int(key, defaults_.*member, doc);
    return bind(key, member, &ScopedOptions::get_int);
  }
  OptionsSchema& add_float(const std::string& key, double T::*member, const std::string& doc) {
    schema_.add_float(key, defaults_.*member, doc);
    return bind(key, member, &ScopedOptions::get_float);
  }
  OptionsSchema& add_bool(const std::string& key, bool T::*member, const std::string& doc) {
    schema_.add_bool(key, defaults_.*member, doc);
    return bind(key, member, &ScopedOptions::get_bool);
  }
  OptionsSchema& add_string(const std::string& key, std::string T::*member,
                            const std::string& doc) {
    schema_.add_string(key, defaults_.*member, doc);
    return bind(key, member, &ScopedOptions::get_string);
  }
  OptionsSchema& add_int_list(const std::string& key, std::vector<int64_t> T::*member,
                              const std::string& doc) {
    schema_.add_int_list(key, defaults_.*member, doc);
    return bind(key, member, &ScopedOptions::get_int_list);
  }

  OptionsSchema& min(double value, bool exclusive = false) {
    schema_.min(value, exclusive);
    return *this;
  }
  OptionsSchema& max(double value) {
    schema_.max(value);
    return *this;
  }
  OptionsSchema& choices(std::vector<std::string> values) {
    schema_.choices(std::move(values));
    return *this;
  }
  // The key does not change results (a speed or location setting): it is
  // left out of the config hash.
  OptionsSchema& not_hashed() {
    schema_.not_hashed();
    return *this;
  }

  // A key added after results were recorded: left out of the config hash
  // and the resolved YAML while at its default, so configs recorded before
  // it existed keep their hashes (Schema::omitted_at_default).
  OptionsSchema& omitted_at_default() {
    schema_.omitted_at_default();
    return *this;
  }

  // Keys without the scope's prefix, for the harness to validate against.
  const Schema& schema() const { return schema_; }

  // The struct filled from validated values (every key is present).
  T parse(const ScopedOptions& values) const {
    T out = defaults_;
    for (const auto& read : readers_) read(values, out);
    return out;
  }

 private:
  template <typename Member, typename Getter>
  OptionsSchema& bind(const std::string& key, Member T::*member, Getter getter) {
    readers_.push_back([key, member, getter](const ScopedOptions& values, T& out) {
      out.*member = (values.*getter)(key);
    });
    return *this;
  }

  T defaults_;
  Schema schema_;
  std::vector<std::function<void(const ScopedOptions&, T&)>> readers_;
};

// What AlgorithmInfo, DatasetInfo and BackboneInfo share: the entry's own
// keys and the factory of Product from Context (whose `options` member holds
// the entry's scope), set by factory() with or without typed options.
template <typename Info, typename Product, typename Context>
struct EntryFactory {
  using Factory = std::function<std::unique_ptr<Product>(const Context&)>;

  Schema options;  // the entry's own keys, without the scope's prefix
  Factory create;

  // An entry without options of its own.
  Info& factory(Factory make) {
    create = std::move(make);
    return static_cast<Info&>(*this);
  }
  // An entry with typed options: `make` receives them parsed and validated.
  template <typename T>
  Info& factory(
      OptionsSchema<T> schema,
      typename NonDeduced<std::function<std::unique_ptr<Product>(const Context&, const T&)>>::type
          make) {
    options = schema.schema();
    create = [schema = std::move(schema), make = std::move(make)](const Context& ctx) {
      return make(ctx, schema.parse(ctx.options));
    };
    return static_cast<Info&>(*this);
  }
};

}  // namespace metabench
