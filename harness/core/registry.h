// A name -> entry registry filled by static registration objects, as in
// google/benchmark.  Registration happens before main(); the translation
// units holding registrations are linked as an OBJECT library so the linker
// keeps them.  Names are stable identifiers: they are stored in results.
#pragma once

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "harness/core/errors.h"
#include "harness/core/strings.h"

// Builds unique names for static registration objects.
#define METABENCH_CONCAT_INNER(a, b) a##b
#define METABENCH_CONCAT(a, b) METABENCH_CONCAT_INNER(a, b)

namespace metabench {

template <typename Entry>
class Registry {
 public:
  static Registry& instance() {
    static Registry registry;
    return registry;
  }

  // Entry must have a `name` member.  A duplicate name is a bug in the
  // registering code and throws InternalError.
  void add(Entry entry) {
    const std::string name = entry.name;
    if (entries_.count(name)) {
      throw InternalError("'" + name + "' is registered twice");
    }
    entries_.emplace(name, std::move(entry));
  }

  const Entry* find(const std::string& name) const {
    auto it = entries_.find(name);
    return it == entries_.end() ? nullptr : &it->second;
  }

  // Throws ConfigError naming `what` ("algorithm", ...), the nearest and
  // all known names; `origin` ("file:line:col: ") prefixes the message.
  const Entry& get(const std::string& name, const std::string& what,
                   const std::string& origin = "") const {
    if (const Entry* e = find(name)) return *e;
    throw ConfigError(origin + "unknown " + what + " '" + name + "'" + did_you_mean(name, names()) +
                      "; registered: " + join(names(), ", "));
  }

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
  std::map<std::string, Entry> entries_;
};

// Problems met by static registrations (a duplicate name), collected rather
// than thrown: registrations run before main() or inside dlopen(), where an
// exception cannot be caught.  main() and the plugin loader check this list.
std::vector<std::string>& registration_problems();

template <typename Entry>
void register_entry(Entry entry, const char* kind) {
  try {
    Registry<Entry>::instance().add(std::move(entry));
  } catch (const std::exception& e) {
    registration_problems().push_back(std::string(kind) + " " + e.what());
  }
}

}  // namespace metabench
