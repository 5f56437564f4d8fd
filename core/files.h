// File helpers.  write_file_atomically() never leaves a half-written file at
// `path`: it writes a temporary file beside it, flushes it to disk and renames
// it into place, so a crash keeps either the old or the new content.
#pragma once

#include <string>

namespace metabench {

// Reads a whole file; throws UserError naming the path when it cannot.
std::string read_file(const std::string& path);

void write_file_atomically(const std::string& path, const std::string& content);

// Creates `dir` and its parents; throws UserError naming the path on failure.
void make_directories(const std::string& dir);

}  // namespace metabench
