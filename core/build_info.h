// The identity of this build of metabench, captured when it was compiled
// (cmake/build_info.cmake regenerates the definition on every build): its
// version, the git commit and dirty state of the tree it was built from, and
// a digest of the sources compiled into it.  Runs record these, so what a
// result says about its code comes from the binary that produced it, not
// from whatever the source tree holds when it runs.
#pragma once

#include <string>

namespace metabench {

struct BuildInfo {
  const char* version;  // metabench's version, "0.1.0"
  const char* commit;   // 40 hex digits, or "unknown" outside a git checkout
  bool dirty;           // tracked changes or untracked, unignored files at build time
  // SHA-256 (hex) over the compiled-in sources' paths and contents and the
  // build settings: equal digests mean the same code, whatever the commit.
  const char* source_digest;
  const char* settings;  // compiler, build type, flags, LibTorch version
};

// Defined in the generated build_info.cc.
const BuildInfo& build_info();

// "<commit>" or "<commit>-dirty" ("unknown" outside git): the runs table's
// git_commit column.  Defined in system_info.cc.
std::string build_commit_label();

}  // namespace metabench
