// Exception hierarchy of metabench.
//
// UserError and its subclasses report a problem with what the user gave us
// (a config file, a command-line flag, a dataset on disk, a database path):
// `main` prints the message on one line and exits with status 2.  Anything
// else (InternalError, or a std::exception from a library) is a bug or an
// environment failure and exits with status 1.  Interrupted is thrown when
// the user asks a run to stop (SIGINT/SIGTERM); the run is recorded as
// interrupted, not failed.  EnvironmentError (a database busy beyond its
// timeout, a full disk) exits with status 4.
//
// Messages must say what was expected and what was found, and name the file,
// key or path involved.
#pragma once

#include <stdexcept>
#include <string>

namespace metabench {

// Every message is one line: control characters in it (a line break in a
// YAML key, a file name, a library's text) are written as \xNN, UTF-8 kept.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(one_line(what)) {}
  explicit Error(const char* what) : Error(std::string(what)) {}

  static std::string one_line(const std::string& text) {
    static const char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
      const auto u = static_cast<unsigned char>(c);
      if (u >= 0x20 && u != 0x7F) {
        out += c;
      } else {
        out += "\\x";
        out += kHex[u >> 4];
        out += kHex[u & 0xF];
      }
    }
    return out;
  }
};

// The user's input is wrong; fixing the input fixes the problem.
class UserError : public Error {
 public:
  using Error::Error;
};

// A configuration file, a --set override or a command-line argument is invalid.
class ConfigError : public UserError {
 public:
  using UserError::UserError;
};

// A dataset is missing, malformed, or too small for the requested episodes.
class DatasetError : public UserError {
 public:
  using UserError::UserError;
};

// The results database cannot be opened or is not one this version can use.
class StoreError : public UserError {
 public:
  using UserError::UserError;
};

// A query (a report, a filter) matched nothing; not an error in the input as
// such, so `main` gives it its own exit status (3).
class NoResults : public UserError {
 public:
  using UserError::UserError;
};

// A broken invariant inside metabench: a bug, never the user's fault.
class InternalError : public Error {
 public:
  using Error::Error;
};

// The environment failed, not the input: a resource metabench needs stayed
// unavailable (a results database locked by another process for longer than
// the busy timeout, a full disk).  Retrying later may succeed; `main` exits
// with status 4.
class EnvironmentError : public Error {
 public:
  using Error::Error;
};

// Training diverged: a loss became NaN or infinite.  Not an error of the
// input or of metabench but a result: the run is recorded as 'diverged'
// with the message (where, and the last finite loss), the sweep goes on,
// and `metabench run` exits with status 5.  An algorithm may throw it too.
class Diverged : public Error {
 public:
  using Error::Error;
};

// The user (a signal) or metabench itself (a lost claim, see `why`) asked
// the current run to stop.
class Interrupted : public Error {
 public:
  Interrupted() : Error("interrupted by signal") {}
  explicit Interrupted(const std::string& why) : Error(why) {}
};

}  // namespace metabench
