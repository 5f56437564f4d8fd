#include "core/files.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "metabench/errors.h"

namespace metabench {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UserError("cannot read '" + path + "': " + std::strerror(errno));
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

namespace {

// Writes all of `content` to `fd` (the open file `path`); on failure closes
// and removes the file and throws UserError naming it.
void write_all(int fd, const std::string& path, const std::string& content) {
  size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(path.c_str());
      throw UserError("cannot write '" + path + "': " + std::strerror(err));
    }
    written += static_cast<size_t>(n);
  }
}

}  // namespace

int remove_stale_temporaries(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  const std::string prefix = "." + target.filename().string() + ".tmp-";
  int removed = 0;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    // mkstemp's six characters exactly: nothing else matches by accident.
    if (name.size() == prefix.size() + 6 && name.compare(0, prefix.size(), prefix) == 0) {
      std::error_code remove_error;
      if (fs::remove(it->path(), remove_error)) ++removed;
    }
  }
  return removed;
}

void write_file_atomically(const std::string& path, const std::string& content) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const std::string dir = target.parent_path().empty() ? "." : target.parent_path().string();
  // Unpredictable, private, beside the target (a rename stays in one
  // filesystem); removed on every failure.
  std::string temp = dir + "/." + target.filename().string() + ".tmp-XXXXXX";
  const int fd = mkstemp(temp.data());
  if (fd < 0) throw UserError("cannot write in '" + dir + "': " + std::strerror(errno));
  auto fail = [&](const std::string& what, int err) {
    ::unlink(temp.c_str());
    throw UserError("cannot " + what + " '" + temp + "' (for '" + path +
                    "'): " + std::strerror(err));
  };
  write_all(fd, temp, content);  // closes and removes the file on failure
  if (::fchmod(fd, 0644) != 0 || ::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    fail("flush", err);
  }
  if (::close(fd) != 0) fail("close", errno);
  if (std::rename(temp.c_str(), path.c_str()) != 0) fail("rename", errno);
  // The rename is durable only once the folder's entry is on disk.
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dir_fd < 0 || ::fsync(dir_fd) != 0) {
    const int err = errno;
    if (dir_fd >= 0) ::close(dir_fd);
    throw UserError("cannot flush folder '" + dir + "' after writing '" + path +
                    "': " + std::strerror(err));
  }
  ::close(dir_fd);
}

std::string make_temp_directory(const std::string& parent, const std::string& prefix) {
  make_directories(parent);
  std::string path = (parent.empty() ? std::string(".") : parent) + "/" + prefix + "-XXXXXX";
  if (!mkdtemp(path.data())) {
    throw UserError("cannot create a temporary folder in '" + parent +
                    "': " + std::strerror(errno));
  }
  return path;
}

std::string make_temp_file(const std::string& parent, const std::string& prefix,
                           const std::string& suffix, const std::string& content) {
  make_directories(parent);
  std::string path =
      (parent.empty() ? std::string(".") : parent) + "/" + prefix + "-XXXXXX" + suffix;
  const int fd = mkstemps(path.data(), static_cast<int>(suffix.size()));
  if (fd < 0) {
    throw UserError("cannot create a temporary file in '" + parent + "': " + std::strerror(errno));
  }
  write_all(fd, path, content);
  ::close(fd);
  return path;
}

int run_program(const std::vector<std::string>& argv, const std::string& log) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = 0;
  const int err = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0) {
    throw UserError("cannot start '" + argv[0] + "': " + std::strerror(err));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR)
      throw UserError("cannot wait for '" + argv[0] + "': " + std::strerror(errno));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string network_filesystem(const std::string& path) {
  struct statfs fs {};
  if (::statfs(path.c_str(), &fs) != 0) return "";
  // Magic numbers from statfs(2) and the filesystems' sources.
  switch (static_cast<unsigned long>(fs.f_type)) {
    case 0x6969UL:
      return "nfs";
    case 0x517BUL:
      return "smb";
    case 0xFF534D42UL:
      return "cifs";
    case 0xFE534D42UL:
      return "smb2";
    case 0x0BD00BD0UL:
      return "lustre";
    case 0x47504653UL:
      return "gpfs";
    case 0x19830326UL:
      return "beegfs";
    case 0x00C36400UL:
      return "ceph";
    case 0x564C0000UL:
      return "afs";
    default:
      return "";
  }
}

void make_directories(const std::string& dir) {
  if (dir.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw UserError("cannot create directory '" + dir + "': " + ec.message());
}

}  // namespace metabench
