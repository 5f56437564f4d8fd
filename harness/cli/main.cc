// metabench's entry point: dispatches to a subcommand and is the one place,
// besides the per-run handler, that catches exceptions.  Exit statuses:
// 0 success, 1 internal error or failed runs, 2 invalid input, 3 nothing to
// report, 4 environment error (a database busy beyond its timeout, a full
// disk), 5 the run diverged (recorded as such), 130 interrupted.  Every
// error is one line: control characters in a message (from a file name, a
// library) are written as \xNN.
#include <ATen/Context.h>
#include <torch/csrc/api/include/torch/version.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "core/blas_core.h"
#include "core/build_info.h"
#include "core/code_identity.h"
#include "core/strings.h"
#include "core/system_info.h"
#include "harness/cli/commands.h"
#include "metabench/errors.h"
#include "metabench/registry.h"
#include "results/claims.h"

namespace {

constexpr const char* kUsage =
    "usage: metabench COMMAND [OPTIONS]\n"
    "\n"
    "A reproducible benchmark suite for few-shot meta-learning.\n"
    "\n"
    "commands:\n"
    "  run CONFIG.yaml     run one experiment and record it in the results database\n"
    "  sweep SWEEP.yaml    run (or resume) every cell of a sweep matrix, or one --shard of it\n"
    "  slurm SWEEP.yaml    run a sweep as a Slurm job array, one shard database per task\n"
    "  eval                evaluate a trained checkpoint on another dataset's test episodes\n"
    "  report              print a comparison table from the results database\n"
    "  data list|download  list datasets with downloads; download, verify and unpack one\n"
    "  list WHAT           list registered algorithms, datasets, backbones or config options\n"
    "  db ACTION           check, upgrade, merge or prune results databases\n"
    "\n"
    "`metabench COMMAND --help` describes each command's options; `metabench --version`\n"
    "prints the build's identity.\n"
    "\n"
    "Plugins (--plugin PATH, or `plugins:` in a config or sweep file) are shared libraries:\n"
    "loading one runs its code with your permissions. Load only plugins you trust.\n";

// What this binary is: the identity captured when it was built, the
// LibTorch it runs on, the BLAS it loaded and the devices it can use.
void print_version() {
  using namespace metabench;
  const BuildInfo& b = build_info();
  const SystemInfo system = collect_system_info();
  std::printf("metabench %s\n", b.version);
  std::printf("commit:        %s\n", build_commit_label().c_str());
  std::printf("source digest: %s (code id %s)\n", b.source_digest, metabench_code_id().c_str());
  std::printf("built with:    %s\n", b.settings);
  std::printf("LibTorch:      %s\n", TORCH_VERSION);
  std::printf("BLAS:          %s\n", system.blas.c_str());
  std::printf("allocator:     %s\n", system.allocator.c_str());
  std::printf("CPU:           %s (%s)\n", system.cpu_model.c_str(), system.cpu_isa.c_str());
  std::printf("devices:       cpu%s\n",
              at::hasCUDA() ? ", cuda (available)" : ", cuda: not available in this build");
}

}  // namespace

int main(int argc, char** argv) {
  using namespace metabench;
  const std::vector<std::string> args(argv + 1, argv + argc);
  std::vector<std::string> shown = {"metabench"};
  shown.insert(shown.end(), args.begin(), args.end());
  set_invocation(shown);
  try {
    if (args.empty()) {
      std::fputs(kUsage, stderr);
      return 2;
    }
    if (!registration_problems().empty()) {
      throw InternalError("invalid built-in registrations: " + join(registration_problems(), "; "));
    }
    const std::string& command = args[0];
    if (command == "--version" || command == "version") {
      print_version();
      return 0;
    }
    if (command == "--help" || command == "-h" || command == "help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    // Sweeps get OpenBLAS's right kernels first, so their cells inherit
    // them (this may start the program again; core/blas_core.h); runs and
    // evaluations decide once their config is known.
    save_argv_for_restart(argc, argv);
    if (command == "sweep" || command == "slurm") choose_blas_core_automatically();
    const Args rest(args.begin() + 1, args.end());
    if (command == "run") return command_run(rest);
    if (command == "sweep") return command_sweep(rest);
    if (command == "report") return command_report(rest);
    if (command == "list") return command_list(rest);
    if (command == "eval") return command_eval(rest);
    if (command == "data") return command_data(rest);
    if (command == "db") return command_db(rest);
    if (command == "slurm") return command_slurm(rest);
    const std::vector<std::string> commands = {"run",  "sweep", "eval", "report",
                                               "list", "data",  "db",   "slurm"};
    throw ConfigError("unknown command '" + command + "'" + did_you_mean(command, commands) +
                      "; expected one of " + join(commands, ", ") + " (see metabench --help)");
  } catch (const Interrupted&) {
    std::fprintf(stderr,
                 "metabench: interrupted; completed runs are kept, run the same command again "
                 "to resume%s\n",
                 (!args.empty() && args[0] == "run")
                     ? " (with --resume: from the run's last snapshot)"
                     : "");
    return 130;
  } catch (const Diverged& e) {
    std::fprintf(stderr, "metabench: the run diverged and is recorded as 'diverged': %s\n",
                 e.what());
    return 5;
  } catch (const ClaimLost& e) {
    std::fprintf(stderr, "metabench: interrupted: %s\n", e.what());
    return 130;
  } catch (const EnvironmentError& e) {
    std::fprintf(stderr, "metabench: environment error: %s\n", printable(e.what()).c_str());
    return 4;
  } catch (const NoResults& e) {
    std::fprintf(stderr, "metabench: %s\n", printable(e.what()).c_str());
    return 3;
  } catch (const UserError& e) {
    std::fprintf(stderr, "metabench: error: %s\n", printable(e.what()).c_str());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "metabench: internal error: %s\n", printable(e.what()).c_str());
    return 1;
  }
}
