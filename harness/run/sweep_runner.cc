#include "harness/run/sweep_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "core/files.h"
#include "core/interrupt.h"
#include "core/loaded_code.h"
#include "core/process.h"
#include "core/strings.h"
#include "core/system_info.h"
#include "harness/config/plugins.h"
#include "harness/config/sweep_config.h"
#include "harness/run/experiment_runner.h"
#include "harness/run/progress.h"
#include "harness/run/sweep_status.h"
#include "metabench/errors.h"
#include "results/claims.h"
#include "results/store.h"

namespace metabench {
namespace {

constexpr int kExitInterrupted = 130;
constexpr int kExitDiverged = 5;

struct Child {
  size_t cell = 0;
  std::string config_file, run_uuid, progress_file;
  int output = -1;      // the read end of its output pipe (on a terminal), else -1
  std::string partial;  // output after its last newline
};

std::string short_label(const ExperimentConfig& c) {
  return c.algorithm + "/" + c.dataset + " " + std::to_string(c.test_shape.ways) + "w" +
         std::to_string(c.test_shape.shots) + "s s" + std::to_string(c.seed);
}

std::vector<std::string> family_keys(const std::vector<ExperimentConfig>& cells) {
  std::vector<std::string> keys;
  for (const auto& c : cells) keys.push_back(c.family);
  return keys;
}

std::vector<std::string> short_labels(const std::vector<ExperimentConfig>& cells) {
  std::vector<std::string> labels;
  for (const auto& c : cells) labels.push_back(short_label(c));
  return labels;
}

bool progress_disabled(const std::vector<std::string>& overrides) {
  for (const auto& o : overrides) {
    if (o == "runtime.progress=false" || o == "runtime.progress=0") return true;
  }
  return false;
}

// Starts `argv` with the environment plus `extra_env` ("NAME=value").
// With `output_fd` >= 0 (a pipe's write end) its stdout and stderr go there;
// it then ignores SIGPIPE, so a sweep that dies does not kill its runs.
pid_t spawn(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env,
            int output_fd, int parent_fd) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // Built before fork(): the child only calls async-signal-safe functions.
  std::vector<char*> env;
  for (char** e = environ; *e != nullptr; ++e) env.push_back(*e);
  for (const auto& e : extra_env) env.push_back(const_cast<char*>(e.c_str()));
  env.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) throw InternalError(std::string("fork failed: ") + std::strerror(errno));
  if (pid == 0) {
    if (output_fd >= 0) {
      signal(SIGPIPE, SIG_IGN);
      dup2(output_fd, STDOUT_FILENO);
      dup2(output_fd, STDERR_FILENO);
      close(output_fd);
      close(parent_fd);
    }
    execve(args[0], args.data(), env.data());
    const char message[] = "metabench: cannot execute the metabench binary\n";
    if (write(STDERR_FILENO, message, sizeof(message) - 1) < 0) _exit(127);
    _exit(127);
  }
  return pid;
}

std::string exit_description(int status) {
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "exited with status " + std::to_string(WEXITSTATUS(status));
}

// One sweep in progress: the cells still to claim, those other processes
// hold, and the children running the rest.
class SweepRun {
 public:
  SweepRun(const SweepOptions& options, std::string name, std::vector<ExperimentConfig> cells)
      : options_(options),
        sweep_name_(std::move(name)),
        cells_(std::move(cells)),
        store_(options.db_path, ResultsStore::Access::kReadWrite),
        jobs_(std::max(1, options.jobs)),
        lease_(options.lease_seconds > 0 ? options.lease_seconds : default_lease_seconds()),
        temp_dir_(std::filesystem::absolute(options.db_path).parent_path().string()),
        status_(sweep_name_, family_keys(cells_), short_labels(cells_), jobs_,
                isatty(STDOUT_FILENO) && isatty(STDERR_FILENO) &&
                    !progress_disabled(options.overrides)) {
    for (size_t i = 0; i < cells_.size(); ++i) queue_.push_back(i);
    for (const auto& o : options.overrides) threads_given_ |= starts_with(o, "runtime.threads=");
    threads_per_job_ = std::max(1, usable_cpus() / (jobs_ * std::max(1, options_.nproc)));
  }

  SweepResult run() {
    result_.cells = static_cast<int>(cells_.size());
    if (const int64_t orphans = close_orphaned_runs(store_.database())) {
      status_.print(format("marked %lld run(s) left 'running' by a killed process as interrupted",
                           static_cast<long long>(orphans)));
    }
    double last_poll = 0;
    while (!interrupt_requested()) {
      reap(false);
      if (static_cast<int>(running_.size()) < jobs_ && !queue_.empty() && stale_code()) {
        // Start nothing more; the running cells loaded the code before it
        // changed and finish as they are.
        not_started_ = queue_.size() + waiting_.size();
        queue_.clear();
        waiting_.clear();
        continue;
      }
      if (static_cast<int>(running_.size()) < jobs_ && !queue_.empty()) {
        const size_t cell = queue_.front();
        queue_.pop_front();
        start(cell);
        continue;
      }
      if (queue_.empty() && waiting_.empty() && running_.empty()) break;
      if (queue_.empty() && !waiting_.empty() && static_cast<int>(running_.size()) < jobs_) {
        if (!options_.wait && running_.empty()) break;
        if (now_seconds() - last_poll >= 1.0) {  // ask again about the held cells
          last_poll = now_seconds();
          queue_.insert(queue_.end(), waiting_.begin(), waiting_.end());
          waiting_.clear();
          continue;
        }
      }
      // Nothing more can start now.
      status_.settled(now_seconds());
      relay_output();
      status_.tick(now_seconds());
      std::this_thread::sleep_for(std::chrono::milliseconds(100));  // a signal cuts it short
    }
    if (interrupt_requested()) {
      for (const auto& item : running_) kill(item.first, SIGINT);
    }
    while (!running_.empty()) {
      relay_output();
      reap(false);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    status_.clear(now_seconds());
    if (!changed_file_.empty() && !interrupt_requested()) {
      throw EnvironmentError(format(
          "sweep %s: %s changed on disk while the sweep ran (rebuilt?): a cell started now "
          "would load it under this sweep's code, so %zu cell(s) were not started; the cells "
          "already run are recorded: run the sweep again to run the rest with the new build",
          sweep_name_.c_str(), changed_file_.c_str(), not_started_));
    }
    result_.held = static_cast<int>(waiting_.size());
    for (size_t cell : waiting_) {
      status_.print(format("not run: %s is held by another process (%s)", label(cell).c_str(),
                           held_by_[cell].c_str()));
    }
    return result_;
  }

  const std::vector<std::string>& changed() const { return changed_; }

 private:
  // True once the executable or libmetabench has changed on disk since the
  // sweep started (core/loaded_code.h).
  bool stale_code() {
    if (changed_file_.empty()) changed_file_ = code_.changed();
    return !changed_file_.empty();
  }

  std::string label(size_t cell) const { return describe_experiment(cells_[cell]); }
  std::string prefix(size_t cell) const {
    return "[" + std::to_string(cell + 1) + "/" + std::to_string(cells_.size()) + "] ";
  }

  // Claims and starts `cell`, or notes why not.
  void start(size_t cell) {
    const ExperimentConfig& cfg = cells_[cell];
    ClaimRequest request;
    request.cell = cfg.hash;
    request.code_id = code_identity(cfg);
    request.rerun_changed = options_.rerun_changed;
    request.lease_seconds = lease_;
    request.holder = ClaimHolder::self();
    const ClaimAttempt a = claim_cell(store_.database(), request);
    const long long run = static_cast<long long>(a.completed_run_id);
    switch (a.outcome) {
      case ClaimAttempt::Outcome::kCompleted:
        if (held_by_.count(cell)) {
          ++result_.elsewhere;
          status_.skipped(cell);
          status_.print(format("%sdone %s: completed as run %lld by %s", prefix(cell).c_str(),
                               label(cell).c_str(), run, held_by_[cell].c_str()));
        } else {
          ++result_.skipped;
          status_.skipped(cell);
          status_.print(format("%sskip %s: %s as run %lld", prefix(cell).c_str(),
                               label(cell).c_str(), a.completed_status.c_str(), run));
        }
        break;
      case ClaimAttempt::Outcome::kCompletedByOtherCode:
        ++result_.skipped;
        status_.skipped(cell);
        changed_.push_back(label(cell) + " (run " + std::to_string(run) + ", code " +
                           a.completed_code_id + ")");
        status_.print(format("%sskip %s: completed as run %lld by other code (%s; now %s)",
                             prefix(cell).c_str(), label(cell).c_str(), run,
                             a.completed_code_id.c_str(), request.code_id.c_str()));
        break;
      case ClaimAttempt::Outcome::kHeld:
        if (!held_by_.count(cell)) {
          status_.print(
              format("%sheld %s: being run by %s; %s", prefix(cell).c_str(), label(cell).c_str(),
                     a.held.holder.describe().c_str(),
                     options_.wait ? "waiting for it after the other cells" : "not waiting"));
        }
        held_by_[cell] = a.held.holder.describe();
        waiting_.push_back(cell);
        break;
      case ClaimAttempt::Outcome::kClaimed:
        if (a.completed_run_id != 0) {  // completed by other code only: rerun_changed
          changed_.push_back(label(cell) + " (run " + std::to_string(run) + ", code " +
                             a.completed_code_id + ")");
        }
        if (a.took_over) {
          status_.print(format("%staking over %s: %s", prefix(cell).c_str(), label(cell).c_str(),
                               a.took_over_reason.c_str()));
        }
        spawn_child(cell, a.run_uuid);
        break;
    }
    std::fflush(stdout);
  }

  void spawn_child(size_t cell, const std::string& run_uuid) {
    // Private and unpredictable (mkstemps), beside the database.
    const std::string config_file =
        make_temp_file(temp_dir_, ".metabench-cell", ".yaml", cells_[cell].yaml);
    std::vector<std::string> argv = {options_.executable, "run",     config_file, "--db",
                                     options_.db_path,    "--claim", run_uuid};
    argv.push_back("--sweep");
    argv.push_back(sweep_name_);
    // A cell whose last run was interrupted continues from its snapshot.
    argv.push_back("--resume");
    if (options_.nproc > 1) {
      argv.push_back("--nproc");
      argv.push_back(std::to_string(options_.nproc));
    }
    for (const auto& plugin : loaded_plugins()) {
      argv.push_back("--plugin");
      argv.push_back(plugin);
    }
    if (!threads_given_ && jobs_ > 1) {
      argv.push_back("--set");
      argv.push_back("runtime.threads=" + std::to_string(threads_per_job_));
    }
    status_.print(prefix(cell) + label(cell));
    Child child{cell, config_file, run_uuid};
    child.progress_file = config_file + ".progress";
    int fds[2] = {-1, -1};
    if (status_.terminal()) {
      if (pipe2(fds, O_CLOEXEC) != 0) {
        throw EnvironmentError(std::string("cannot create a pipe: ") + std::strerror(errno));
      }
      child.output = fds[0];
      fcntl(fds[0], F_SETFL, O_NONBLOCK);
    }
    const pid_t pid = spawn(argv, {std::string(kProgressFileVariable) + "=" + child.progress_file},
                            fds[1], fds[0]);
    if (fds[1] >= 0) close(fds[1]);
    running_[pid] = child;
    status_.started(cell, child.progress_file, now_seconds());
  }

  // Collects finished children (blocking: waits for one).
  void reap(bool block) {
    int status = 0;
    pid_t pid;
    while ((pid = waitpid(-1, &status, block ? 0 : WNOHANG)) > 0) {
      const auto it = running_.find(pid);
      if (it == running_.end()) continue;
      Child child = it->second;
      running_.erase(it);
      finished(child, status);
      if (block) return;
    }
  }

  // Prints the children's complete output lines above the status line.
  void relay_output() {
    for (auto& item : running_) drain(item.second, false);
  }

  // Reads what `child` wrote so far; `last`: it has exited, so print its
  // unfinished line too and close the pipe.
  void drain(Child& child, bool last) {
    if (child.output < 0) return;
    char buffer[4096];
    ssize_t n;
    while ((n = read(child.output, buffer, sizeof(buffer))) > 0) {
      child.partial.append(buffer, static_cast<size_t>(n));
    }
    size_t newline;
    while ((newline = child.partial.find('\n')) != std::string::npos) {
      status_.print(child.partial.substr(0, newline));
      child.partial.erase(0, newline + 1);
    }
    if (last) {
      if (!child.partial.empty()) status_.print(child.partial);
      child.partial.clear();
      close(child.output);
      child.output = -1;
    }
  }

  void finished(Child& child, int status) {
    drain(child, true);
    std::remove(child.config_file.c_str());
    std::remove(child.progress_file.c_str());
    std::remove((child.progress_file + ".tmp").c_str());
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      ++result_.completed;
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == kExitDiverged) {
      ++result_.diverged;  // recorded by the child; a result, not a failure
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == kExitInterrupted) {
      // The child recorded its interruption.  Not asked to stop, it lost its
      // claim to another process: wait for that one.
      if (!interrupt_requested()) waiting_.push_back(child.cell);
      status_.requeued(child.cell);
    } else {
      const auto state = store_.run_state(child.run_uuid);
      if (state && state->status == "completed") {
        ++result_.completed;  // killed after its run was recorded: nothing lost
        status_.print(format("note: the worker of %s %s after run %lld was recorded",
                             label(child.cell).c_str(), exit_description(status).c_str(),
                             static_cast<long long>(state->run_id)));
      } else {
        ++result_.failed;
        // A child that crashed could not record its end; do it for it.
        store_.abandon_claim(child.run_uuid, "worker " + exit_description(status));
        status_.print(format("run failed: %s (%s)", label(child.cell).c_str(),
                             exit_description(status).c_str()));
      }
    }
    if (!(WIFEXITED(status) && WEXITSTATUS(status) == kExitInterrupted)) {
      status_.ended(child.cell, now_seconds());
      status_.log_line();
    }
    std::fflush(stdout);
  }

 private:
  const SweepOptions& options_;
  const std::string sweep_name_;
  std::vector<ExperimentConfig> cells_;
  ResultsStore store_;
  const int jobs_;
  const double lease_;
  const std::string temp_dir_;
  bool threads_given_ = false;
  int threads_per_job_ = 1;
  std::deque<size_t> queue_;
  std::vector<size_t> waiting_;
  std::map<size_t, std::string> held_by_;
  std::map<pid_t, Child> running_;
  std::vector<std::string> changed_;
  LoadedCode code_ = LoadedCode::capture();
  std::string changed_file_;  // what changed, once it has
  size_t not_started_ = 0;
  SweepResult result_;
  SweepStatus status_;
};

}  // namespace

SweepResult run_sweep(const SweepOptions& options) {
  // Validate every cell before touching the database.
  Sweep sweep = load_sweep(options.sweep_path, options.overrides);
  for (const auto& s : sweep.skipped) std::printf("not applicable: %s\n", s.c_str());
  if (sweep.duplicates > 0) {
    std::printf("%d cell(s) of the matrix repeat another cell's resolved config; each runs once\n",
                sweep.duplicates);
  }
  std::vector<ExperimentConfig> cells;
  for (size_t k = 0; k < sweep.cells.size(); ++k) {
    if (static_cast<int>(k % options.shard_count) == options.shard_index) {
      cells.push_back(std::move(sweep.cells[k]));
    }
  }
  if (options.shard_count > 1) {
    std::printf("shard %d/%d: %zu of the %zu distinct cells\n", options.shard_index,
                options.shard_count, cells.size(), sweep.cells.size());
  }
  // The cells record the sweep's command line, not their own.
  setenv(kInvocationVariable, invocation().c_str(), 1);
  const double start = now_seconds();
  SweepRun run(options, sweep.name, std::move(cells));
  SweepResult result = run.run();
  result.duplicates = sweep.duplicates;
  std::printf("sweep %s: %d cells, %d run, %d skipped (already completed), %d failed",
              sweep.name.c_str(), result.cells, result.completed, result.skipped, result.failed);
  if (result.diverged > 0) std::printf(", %d diverged", result.diverged);
  if (result.elsewhere > 0) std::printf(", %d completed by other processes", result.elsewhere);
  if (result.held > 0) std::printf(", %d held by other processes", result.held);
  std::printf(", in %s\n", human_duration(now_seconds() - start).c_str());
  const std::vector<std::string>& changed = run.changed();
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
