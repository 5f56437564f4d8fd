#include "harness/core/registry.h"

namespace metabench {

std::vector<std::string>& registration_problems() {
  static std::vector<std::string> problems;
  return problems;
}

}  // namespace metabench
