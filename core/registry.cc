#include "metabench/registry.h"

#include "core/strings.h"

namespace metabench {

std::string unknown_entry_message(const std::string& kind, const std::string& name,
                                  const std::vector<std::string>& registered,
                                  const std::string& origin) {
  return origin + "unknown " + kind + " '" + name + "'" + did_you_mean(name, registered) +
         "; registered: " + join(registered, ", ");
}

std::vector<std::string>& registration_problems() {
  static std::vector<std::string> problems;
  return problems;
}

}  // namespace metabench
