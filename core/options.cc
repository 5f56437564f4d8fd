#include "metabench/options.h"

#include "metabench/errors.h"

namespace metabench {

const ConfigValues& ScopedOptions::values() const {
  if (!values_) throw InternalError("options of scope '" + scope_ + "' read before they were set");
  return *values_;
}

}  // namespace metabench
