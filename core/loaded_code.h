// The files this process's code was loaded from, and whether they have
// changed on disk since.
//
// A sweep starts each cell as a new `metabench run` process.  The metabench
// executable finds libmetabench through its RUNPATH (the build folder), so
// a cell started after `ninja -C build` rebuilt the library would load the
// new library under the old executable: mismatched code that crashes
// (killed by signal 11) or records runs under a code identity the sweep did
// not have.  A sweep captures its LoadedCode when it starts and asks
// changed() before starting each cell.
#pragma once

#include <sys/types.h>

#include <ctime>
#include <string>
#include <vector>

namespace metabench {

class LoadedCode {
 public:
  // The executable (/proc/self/exe) and the shared library holding
  // metabench's code (found with dladdr; none when it is linked into the
  // executable), as they are now.
  static LoadedCode capture();

  // The path of the first of those files that has been replaced, removed
  // or modified (device, inode, size or modification time differ) since
  // capture(), or "" when none has.
  std::string changed() const;

 private:
  struct File {
    std::string path;
    dev_t device = 0;
    ino_t inode = 0;
    off_t size = 0;
    timespec modified{};
  };
  std::vector<File> files_;
};

}  // namespace metabench
