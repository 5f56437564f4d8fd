// Shared by the libFuzzer targets: each target feeds the bytes to one reader
// of untrusted input and accepts only the errors that reader documents (a
// UserError: bad input named in one line).  Anything else (a crash, a
// sanitizer report, an InternalError, another exception, a leak) is a bug.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>

#include "core/files.h"
#include "metabench/errors.h"

namespace metabench::fuzz {

inline std::string bytes(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// The path of a scratch file `name` in a private folder of this process,
// removed when the fuzzer exits.
inline std::string scratch_file(const std::string& name) {
  static const std::string dir = [] {
    static std::string made = make_temp_directory("/tmp", "metabench-fuzz");
    std::atexit([] { std::filesystem::remove_all(made); });
    return made;
  }();
  return dir + "/" + name;
}

// Runs `body`; a UserError is a correct rejection, anything else aborts so
// that libFuzzer records the input.
template <typename Body>
int expect_only_user_errors(Body&& body) {
  try {
    body();
  } catch (const UserError& e) {
    const std::string what = e.what();
    if (what.find('\n') != std::string::npos) {
      std::fprintf(stderr, "error message is not one line: %s\n", what.c_str());
      std::abort();
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "not a user error: %s\n", e.what());
    std::abort();
  }
  return 0;
}

}  // namespace metabench::fuzz
