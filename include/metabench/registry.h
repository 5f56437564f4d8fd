// Registries of named entries (algorithms, datasets, backbones, report
// formats), filled by static registration objects as in google/benchmark.
//
// Registration happens before main() or while a plugin is being loaded; the
// translation units holding registrations are linked as an OBJECT library so
// the linker keeps them.  One template serves every kind of entry: an entry
// type has a `name` (a stable identifier, stored in results: never rename
// one), optional `aliases`, and a static `kKind` naming the kind in messages
// ("algorithm").  Each kind has its own macro (METABENCH_REGISTER_ALGORITHM,
// ...), all defined through METABENCH_REGISTER_ENTRY.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "metabench/errors.h"

// Builds unique names for static registration objects.
#define METABENCH_CONCAT_INNER(a, b) a##b
#define METABENCH_CONCAT(a, b) METABENCH_CONCAT_INNER(a, b)

namespace metabench {

// The message for a name nobody registered: "<origin>unknown <kind> '<name>'
// (did you mean 'x'?); registered: a, b, c".
std::string unknown_entry_message(const std::string& kind, const std::string& name,
                                  const std::vector<std::string>& registered,
                                  const std::string& origin);

template <typename Entry>
class Registry {
 public:
  static Registry& instance() {
    static Registry registry;
    return registry;
  }

  // A duplicate name or alias is a bug in the registering code and throws
  // InternalError; nothing is added then.
  void add(Entry entry) {
    const std::string name = entry.name;
    std::vector<std::string> keys = {name};
    for (const auto& alias : aliases_of(entry)) keys.push_back(alias);
    for (const auto& key : keys) {
      if (entries_.count(key) || aliases_.count(key)) {
        throw InternalError("'" + key + "' is registered twice");
      }
    }
    for (size_t i = 1; i < keys.size(); ++i) aliases_.emplace(keys[i], name);
    entries_.emplace(name, std::move(entry));
  }

  // The entry registered under `name` or one of its aliases; nullptr if none.
  const Entry* find(const std::string& name) const {
    auto alias = aliases_.find(name);
    auto it = entries_.find(alias == aliases_.end() ? name : alias->second);
    return it == entries_.end() ? nullptr : &it->second;
  }

  // Throws ConfigError naming the kind (Entry::kKind), the nearest and all
  // known names; `origin` ("file:line:col: ") prefixes the message.
  const Entry& get(const std::string& name, const std::string& origin = "") const {
    if (const Entry* e = find(name)) return *e;
    throw ConfigError(unknown_entry_message(Entry::kKind, name, names(), origin));
  }

  // Registered names (not aliases), sorted.
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& item : entries_) out.push_back(item.first);
    return out;
  }

  std::vector<const Entry*> entries() const {
    std::vector<const Entry*> out;
    for (const auto& item : entries_) out.push_back(&item.second);
    return out;
  }

 private:
  template <typename E>
  static auto aliases_of(const E& e) -> decltype(e.aliases) {
    return e.aliases;
  }
  template <typename... Ignored>
  static std::vector<std::string> aliases_of(const Ignored&...) {
    return {};
  }

  std::map<std::string, Entry> entries_;
  std::map<std::string, std::string> aliases_;  // alias -> name
};

// Problems met by static registrations (a duplicate name), collected rather
// than thrown: registrations run before main() or inside dlopen(), where an
// exception cannot be caught.  main() and the plugin loader check this list.
std::vector<std::string>& registration_problems();

// Called after each successful registration; attributes the entry to the
// plugin being loaded, if any, for the code identity runs record.
void note_registration(const char* kind, const std::string& name);

// Adds `entry` to its registry, or records why it could not.
template <typename Entry>
struct Registration {
  explicit Registration(Entry entry) {
    try {
      const std::string name = entry.name;
      Registry<Entry>::instance().add(std::move(entry));
      note_registration(Entry::kKind, name);
    } catch (const std::exception& e) {
      registration_problems().push_back(std::string(Entry::kKind) + " " + e.what());
    }
  }
};

}  // namespace metabench

// Usage: METABENCH_REGISTER_ENTRY(::metabench::AlgorithmInfo, AlgorithmInfo(...)...);
#define METABENCH_REGISTER_ENTRY(Entry, ...)                                        \
  static ::metabench::Registration<Entry> METABENCH_CONCAT(metabench_registration_, \
                                                           __COUNTER__)(__VA_ARGS__)
