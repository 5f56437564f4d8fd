#include "harness/run/distributed.h"

#include <ATen/ATen.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#if METABENCH_C10D_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <thread>

#include "core/interrupt.h"
#include "core/strings.h"
#include "core/system_info.h"
#include "metabench/errors.h"

extern char** environ;

namespace metabench {
namespace {

std::optional<std::string> env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

int env_int(const char* name, const std::string& text, int lo, int hi) {
  char* end = nullptr;
  errno = 0;
  const long v = std::strtol(text.c_str(), &end, 10);
  if (errno != 0 || end == text.c_str() || *end != '\0' || v < lo || v > hi) {
    throw ConfigError(std::string("environment variable ") + name + "='" + text +
                      "': expected an integer in [" + std::to_string(lo) + ", " +
                      std::to_string(hi) + "]");
  }
  return static_cast<int>(v);
}

bool is_loopback(const std::string& addr) {
  return addr == "localhost" || addr.rfind("127.", 0) == 0 || addr == "::1";
}

// A TCP port free now on 127.0.0.1 (the kernel's choice); a race with
// another program taking it before rank 0 binds it is possible but rare.
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw EnvironmentError(std::string("socket(): ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const int err = errno;
    ::close(fd);
    throw EnvironmentError(std::string("cannot find a free port on 127.0.0.1: ") +
                           std::strerror(err));
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace

std::optional<Rendezvous> rendezvous_from_environment() {
  std::optional<std::string> world = env("WORLD_SIZE"), rank = env("RANK");
  const char* world_name = "WORLD_SIZE";
  const char* rank_name = "RANK";
  if (!world && env("SLURM_NTASKS") && env("MASTER_ADDR")) {
    world = env("SLURM_NTASKS");
    rank = env("SLURM_PROCID");
    world_name = "SLURM_NTASKS";
    rank_name = "SLURM_PROCID";
  }
  if (!world) return std::nullopt;
  Rendezvous r;
  r.world_size = env_int(world_name, *world, 1, 65536);
  if (r.world_size == 1) return std::nullopt;
  if (!rank) throw ConfigError(std::string(world_name) + " is set but " + rank_name + " is not");
  r.rank = env_int(rank_name, *rank, 0, r.world_size - 1);
  const std::optional<std::string> addr = env("MASTER_ADDR"), port = env("MASTER_PORT");
  if (!addr || !port) {
    throw ConfigError(std::string(world_name) +
                      " names a world of several processes but MASTER_ADDR or MASTER_PORT is "
                      "not set (expected the address and port of rank 0)");
  }
  r.master_addr = *addr;
  r.master_port = env_int("MASTER_PORT", *port, 1, 65535);
  return r;
}

#if METABENCH_C10D_GLOO

struct DistributedGroup::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
  int rank = 0, size = 1;
};

DistributedGroup::DistributedGroup(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DistributedGroup::~DistributedGroup() = default;

std::unique_ptr<DistributedGroup> DistributedGroup::join(const Rendezvous& r,
                                                         double timeout_seconds) {
  auto impl = std::make_unique<Impl>();
  impl->rank = r.rank;
  impl->size = r.world_size;
  const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(1000 * timeout_seconds));
  try {
    c10d::TCPStoreOptions options;
    options.port = static_cast<uint16_t>(r.master_port);
    options.isServer = r.rank == 0;
    options.numWorkers = static_cast<size_t>(r.world_size);
    options.waitWorkers = true;
    options.timeout = timeout;
    impl->store = c10::make_intrusive<c10d::TCPStore>(r.master_addr, options);
    auto gloo = c10d::ProcessGroupGloo::Options::create(timeout);
    if (const auto ifname = env("GLOO_SOCKET_IFNAME")) {
      gloo->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(*ifname));
    } else if (is_loopback(r.master_addr)) {
      gloo->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(r.master_addr));
    } else {
      gloo->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    }
    impl->group =
        c10::make_intrusive<c10d::ProcessGroupGloo>(impl->store, r.rank, r.world_size, gloo);
  } catch (const std::exception& e) {  // c10::Error, or the store's socket errors
    const auto* c10 = dynamic_cast<const c10::Error*>(&e);
    throw EnvironmentError("cannot join the process group at " + r.master_addr + ":" +
                           std::to_string(r.master_port) + " as rank " + std::to_string(r.rank) +
                           " of " + std::to_string(r.world_size) + ": " +
                           Error::one_line(c10 ? c10->what_without_backtrace() : e.what()));
  }
  return std::unique_ptr<DistributedGroup>(new DistributedGroup(std::move(impl)));
}

int DistributedGroup::rank() const { return impl_->rank; }
int DistributedGroup::size() const { return impl_->size; }

void DistributedGroup::all_reduce_sum(at::Tensor& flat) {
  // Gloo here reduces host tensors: a device tensor goes through the host.
  const bool host = flat.device().is_cpu();
  std::vector<at::Tensor> tensors{host ? flat : flat.cpu()};
  try {
    impl_->group->allreduce(tensors)->wait();
  } catch (const c10::Error& e) {
    throw EnvironmentError("the all-reduce over " + std::to_string(impl_->size) +
                           " processes failed (did another process stop?): " +
                           Error::one_line(e.what_without_backtrace()).substr(0, 300));
  } catch (const std::exception& e) {
    throw EnvironmentError("the all-reduce over " + std::to_string(impl_->size) +
                           " processes failed (did another process stop?): " +
                           Error::one_line(e.what()).substr(0, 300));
  }
  if (!host) flat.copy_(tensors[0]);
}

void DistributedGroup::publish(const std::string& key, const std::string& value) {
  impl_->store->set("metabench/" + key, std::vector<uint8_t>(value.begin(), value.end()));
}

std::string DistributedGroup::fetch(const std::string& key) {
  try {
    const std::vector<uint8_t> v = impl_->store->get("metabench/" + key);
    return std::string(v.begin(), v.end());
  } catch (const std::exception& e) {  // c10::Error, or the store's socket errors
    const auto* c10 = dynamic_cast<const c10::Error*>(&e);
    throw EnvironmentError(
        "rank " + std::to_string(impl_->rank) + " waited in vain for '" + key +
        "' from rank 0 (did it stop?): " +
        Error::one_line(c10 ? c10->what_without_backtrace() : e.what()).substr(0, 300));
  }
}

#else  // no c10d Gloo in this build

struct DistributedGroup::Impl {};
DistributedGroup::DistributedGroup(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DistributedGroup::~DistributedGroup() = default;
std::unique_ptr<DistributedGroup> DistributedGroup::join(const Rendezvous&, double) {
  throw EnvironmentError(
      "this metabench was built without c10d's Gloo process group (install libgloo-dev and "
      "rebuild), so a run cannot be split over processes");
}
int DistributedGroup::rank() const { return 0; }
int DistributedGroup::size() const { return 1; }
void DistributedGroup::all_reduce_sum(at::Tensor&) {}
void DistributedGroup::publish(const std::string&, const std::string&) {}
std::string DistributedGroup::fetch(const std::string&) { return ""; }

#endif

int launch_local_workers(int nproc, const std::vector<std::string>& argv) {
  const int port = free_port();
  std::map<pid_t, int> ranks;
  for (int rank = 0; rank < nproc; ++rank) {
    std::vector<std::string> environment;
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string entry = *e;
      const std::string name = entry.substr(0, entry.find('='));
      if (name != "MASTER_ADDR" && name != "MASTER_PORT" && name != "WORLD_SIZE" &&
          name != "RANK" && name != "LOCAL_RANK") {
        environment.push_back(entry);
      }
    }
    environment.push_back("MASTER_ADDR=127.0.0.1");
    environment.push_back("MASTER_PORT=" + std::to_string(port));
    environment.push_back("WORLD_SIZE=" + std::to_string(nproc));
    environment.push_back("RANK=" + std::to_string(rank));
    environment.push_back("LOCAL_RANK=" + std::to_string(rank));
    std::vector<char*> args, envp;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    for (const auto& e : environment) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) throw EnvironmentError(std::string("fork(): ") + std::strerror(errno));
    if (pid == 0) {
      ::execve(args[0], args.data(), envp.data());
      std::fprintf(stderr, "metabench: cannot start '%s': %s\n", args[0], std::strerror(errno));
      ::_exit(127);
    }
    ranks[pid] = rank;
  }
  int rank0_status = 0, other_status = 0;
  bool forwarded = false;
  // Once one rank has failed: when the others were told to stop.  A rank
  // blocked in the store (waiting for rank 0's word) may not notice
  // SIGTERM, so it gets SIGKILL after a grace period.
  double stop_sent = -1;
  constexpr double kGraceSeconds = 10;
  while (!ranks.empty()) {
    if (interrupt_requested() && !forwarded) {
      for (const auto& [child, rank] : ranks) {
        ::kill(child, interrupt_signal() ? interrupt_signal() : SIGTERM);
      }
      forwarded = true;
    }
    if (stop_sent >= 0 && now_seconds() - stop_sent > kGraceSeconds) {
      for (const auto& [child, rank] : ranks) ::kill(child, SIGKILL);
      stop_sent = now_seconds();
    }
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid < 0 && errno != EINTR) {
      throw EnvironmentError(std::string("waitpid(): ") + std::strerror(errno));
    }
    if (pid <= 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    const auto it = ranks.find(pid);
    if (it == ranks.end()) continue;
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (it->second == 0) {
      rank0_status = code;
    } else if (code != 0 && other_status == 0) {
      other_status = code;
    }
    ranks.erase(it);
    if (code != 0 && stop_sent < 0) {
      // The others would wait in the next all-reduce: stop them.
      for (const auto& [child, rank] : ranks) ::kill(child, SIGTERM);
      stop_sent = now_seconds();
    }
  }
  return rank0_status != 0 ? rank0_status : other_status;
}

}  // namespace metabench
