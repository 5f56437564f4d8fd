// What a plugin declares about itself.  Runs record, for every loaded
// plugin, its path, the SHA-256 of its file and the version it declares
// here; a sweep notices when a cell was recorded by a plugin file other
// than the one loaded now (docs/plugins.md, "Code identity").
//
// Usage, once in one source file of the plugin (at namespace scope):
//   METABENCH_PLUGIN_VERSION("1.2.0");
// Declaring no version is allowed (it is recorded as empty); declaring it
// twice in one library fails to link.
#pragma once

#define METABENCH_PLUGIN_VERSION(version)                                                    \
  extern "C" __attribute__((visibility("default"))) const char* metabench_plugin_version() { \
    return version;                                                                          \
  }                                                                                          \
  static_assert(true, "require a semicolon")
