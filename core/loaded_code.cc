#include "core/loaded_code.h"

#include <dlfcn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>

#include "core/process.h"

namespace metabench {
namespace {

bool same(const struct stat& s, dev_t device, ino_t inode, off_t size, const timespec& modified) {
  return s.st_dev == device && s.st_ino == inode && s.st_size == size &&
         s.st_mtim.tv_sec == modified.tv_sec && s.st_mtim.tv_nsec == modified.tv_nsec;
}

}  // namespace

LoadedCode LoadedCode::capture() {
  LoadedCode code;
  auto add = [&code](const std::string& path, const char* stat_path) {
    struct stat s {};
    if (stat(stat_path, &s) != 0) return;
    code.files_.push_back({path, s.st_dev, s.st_ino, s.st_size, s.st_mtim});
  };
  // /proc/self/exe is the file that was executed, even when its path now
  // names another (or none): its identity is the one to compare with.
  const std::string exe = self_executable();
  add(exe, "/proc/self/exe");
  Dl_info info{};
  if (dladdr(reinterpret_cast<const void*>(&LoadedCode::capture), &info) != 0 &&
      info.dli_fname != nullptr) {
    char resolved[PATH_MAX];
    const std::string library =
        realpath(info.dli_fname, resolved) != nullptr ? resolved : info.dli_fname;
    if (library != exe) add(library, library.c_str());
  }
  return code;
}

std::string LoadedCode::changed() const {
  for (const File& f : files_) {
    struct stat s {};
    if (stat(f.path.c_str(), &s) != 0 || !same(s, f.device, f.inode, f.size, f.modified)) {
      return f.path;
    }
  }
  return "";
}

}  // namespace metabench
