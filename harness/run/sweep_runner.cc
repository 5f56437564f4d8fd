#include "harness/run/sweep_runner.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <thread>

#include "core/files.h"
#include "core/interrupt.h"
#include "core/strings.h"
#include "core/system_info.h"
#include "harness/config/plugins.h"
#include "harness/config/sweep_config.h"
#include "harness/run/experiment_runner.h"
#include "metabench/errors.h"
#include "results/store.h"

namespace metabench {
namespace {

constexpr int kExitInterrupted = 130;

struct Child {
  std::string label;
  std::string config_file;
};

pid_t spawn(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) throw InternalError(std::string("fork failed: ") + std::strerror(errno));
  if (pid == 0) {
    execv(args[0], args.data());
    std::fprintf(stderr, "metabench: cannot execute '%s': %s\n", args[0], std::strerror(errno));
    _exit(127);
  }
  return pid;
}

std::string exit_description(int status) {
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "exited with status " + std::to_string(WEXITSTATUS(status));
}

}  // namespace

SweepResult run_sweep(const SweepOptions& options) {
  // Validate every cell before touching the database.
  const Sweep sweep = load_sweep(options.sweep_path, options.overrides);
  ResultsStore store(options.db_path, ResultsStore::Access::kReadWrite);
  const SystemInfo system = collect_system_info();
  const int64_t orphans = store.close_orphaned_runs(system.host, 0, "");
  if (orphans > 0) {
    std::printf("marked %lld run(s) left 'running' by a killed process as interrupted\n",
                static_cast<long long>(orphans));
  }
  for (const auto& s : sweep.skipped) std::printf("not applicable: %s\n", s.c_str());

  const int jobs = std::max(1, options.jobs);
  bool threads_given = false;
  for (const auto& o : options.overrides) threads_given |= starts_with(o, "runtime.threads=");
  const int threads_per_job = std::max(1, system.hardware_threads / jobs);

  SweepResult result;
  result.cells = static_cast<int>(sweep.cells.size());
  const double start = now_seconds();
  std::map<pid_t, Child> running;
  const std::string temp_dir = std::filesystem::absolute(options.db_path).parent_path().string();

  auto reap = [&](bool block) {
    int status = 0;
    const pid_t pid = waitpid(-1, &status, block ? 0 : WNOHANG);
    if (pid <= 0) return;  // EINTR (a signal) or nothing finished yet
    const Child child = running.at(pid);
    running.erase(pid);
    std::remove(child.config_file.c_str());
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      ++result.completed;
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == kExitInterrupted) {
      // The child recorded its own interruption.
    } else {
      ++result.failed;
      // A child that crashed could not record its end; do it for it.
      store.close_orphaned_runs(system.host, pid, "worker " + exit_description(status));
      std::printf("run failed: %s (%s)\n", child.label.c_str(), exit_description(status).c_str());
    }
    std::fflush(stdout);
  };

  // The cells record the sweep's command line, not their own.
  setenv(kInvocationVariable, invocation().c_str(), 1);
  std::vector<std::string> changed;  // cells completed by other code
  int index = 0;
  for (const ExperimentConfig& cell : sweep.cells) {
    ++index;
    const std::string label = describe_experiment(cell);
    const std::string code = code_identity(cell);
    const std::vector<ResultsStore::CompletedRun> done = store.completed_runs(cell.hash);
    const auto same = std::find_if(done.begin(), done.end(),
                                   [&](const auto& run) { return run.code_id == code; });
    if (same != done.end()) {
      ++result.skipped;
      std::printf("[%d/%d] skip %s: completed as run %lld\n", index, result.cells, label.c_str(),
                  static_cast<long long>(same->run_id));
      continue;
    }
    if (!done.empty()) {
      changed.push_back(label + " (run " + std::to_string(done.back().run_id) + ", code " +
                        done.back().code_id + ")");
      if (!options.rerun_changed) {
        ++result.skipped;
        std::printf("[%d/%d] skip %s: completed as run %lld by other code (%s; now %s)\n", index,
                    result.cells, label.c_str(), static_cast<long long>(done.back().run_id),
                    done.back().code_id.c_str(), code.c_str());
        continue;
      }
    }
    while (static_cast<int>(running.size()) >= jobs && !interrupt_requested()) reap(true);
    if (interrupt_requested()) break;
    // Private and unpredictable (mkstemps), beside the database.
    const std::string config_file = make_temp_file(temp_dir, ".metabench-cell", ".yaml", cell.yaml);
    std::vector<std::string> argv = {options.executable, "run",     config_file, "--db",
                                     options.db_path,    "--sweep", sweep.name};
    for (const auto& plugin : loaded_plugins()) {
      argv.push_back("--plugin");
      argv.push_back(plugin);
    }
    if (!threads_given && jobs > 1) {
      argv.push_back("--set");
      argv.push_back("runtime.threads=" + std::to_string(threads_per_job));
    }
    std::printf("[%d/%d] %s\n", index, result.cells, label.c_str());
    std::fflush(stdout);
    running[spawn(argv)] = Child{label, config_file};
  }
  while (!running.empty()) {
    if (interrupt_requested()) {
      for (const auto& item : running) kill(item.first, SIGINT);
    }
    reap(true);
  }
  std::printf("sweep %s: %d cells, %d run, %d skipped (already completed), %d failed, in %s\n",
              sweep.name.c_str(), result.cells, result.completed, result.skipped, result.failed,
              human_duration(now_seconds() - start).c_str());
  result.changed = static_cast<int>(changed.size());
  if (!changed.empty()) {
    // Name a few; the database has them all (runs.code_id).
    constexpr size_t kNamed = 10;
    std::vector<std::string> named(changed.begin(),
                                   changed.begin() + std::min(changed.size(), kNamed));
    if (changed.size() > kNamed) {
      named.push_back("and " + std::to_string(changed.size() - kNamed) +
                      " more (their runs.code_id differs from this build's)");
    }
    std::printf("%d cell(s) were recorded by other code: %s; %s\n", result.changed,
                join(named, "; ").c_str(),
                options.rerun_changed
                    ? "they were run again with this code, beside the old runs"
                    : "their results were kept (--rerun-changed runs them again as new runs)");
  }
  std::fflush(stdout);
  throw_if_interrupted();
  return result;
}

}  // namespace metabench
