// File helpers.  write_file_atomically() never leaves a half-written file at
// `path`: it writes a private temporary file beside it (mkstemp), flushes it
// to disk (fsync, checked, as is close), renames it into place and flushes
// the folder, so a crash keeps either the old or the new content, and a
// failure removes the temporary file.
#pragma once

#include <string>
#include <vector>

namespace metabench {

// Reads a whole file; throws UserError naming the path when it cannot.
std::string read_file(const std::string& path);

void write_file_atomically(const std::string& path, const std::string& content);

// Removes the temporary files write_file_atomically(path, ...) left beside
// `path` when its process was killed mid-write; returns how many.  Call
// only while no other process writes `path` (e.g. under the run's claim).
int remove_stale_temporaries(const std::string& path);

// The name of the network filesystem `path` (a file or folder that exists)
// is on ("nfs", "cifs", "lustre", "gpfs", "beegfs", "ceph", "afs"), or
// "" for a local one (FUSE is not told apart: sshfs and local overlays
// share its magic number).  SQLite's WAL mode is unsafe across hosts there.
std::string network_filesystem(const std::string& path);

// Creates `dir` and its parents; throws UserError naming the path on failure.
void make_directories(const std::string& dir);

// A new, private (0700) folder `parent/PREFIX-XXXXXX` with an unpredictable
// name (mkdtemp); UserError naming `parent` on failure.
std::string make_temp_directory(const std::string& parent, const std::string& prefix);

// A new private (0600) file `parent/PREFIX-XXXXXXSUFFIX` (mkstemps) holding
// `content`; UserError naming `parent` on failure.
std::string make_temp_file(const std::string& parent, const std::string& prefix,
                           const std::string& suffix, const std::string& content);

// Runs `argv[0]` (looked up in PATH) with `argv` as its argument vector,
// never through a shell, with stdin from /dev/null and stdout and stderr
// appended to `log`; waits for it.  Returns its exit status (128 + signal
// when killed); throws UserError when it cannot be started, naming it.
int run_program(const std::vector<std::string>& argv, const std::string& log);

}  // namespace metabench
