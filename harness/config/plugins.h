// Out-of-tree plugins: shared libraries whose static registrations
// (METABENCH_REGISTER_ALGORITHM, _DATASET, _BACKBONE) add entries to the
// registries when the library is loaded.  A plugin links against
// libmetabench (find_package(metabench)), so it shares the registries.
#pragma once

#include <string>
#include <vector>

#include "core/raw_config.h"

namespace metabench {

// Loads the plugin at `path`.  Throws UserError naming the file when it does
// not exist, cannot be loaded, registers nothing, or registers a name that is
// already taken.  Loading the same file (by canonical path) twice is a no-op.
// The plugin's SHA-256 and declared version (metabench/plugin.h) are kept
// for the runs' code identity (core/code_identity.h).
void load_plugin(const std::string& path);

// Absolute paths of the plugins loaded so far, in order (a sweep passes them
// on to the processes that run its cells).
std::vector<std::string> loaded_plugins();

// Loads the plugins listed under the key `plugins` of `raw` (paths relative
// to the file that lists them) and removes the key, which is not a config
// key proper: plugins add names, they do not change results.
void load_plugins_from(RawConfig& raw);

}  // namespace metabench
