// metabench's entry point: dispatches to a subcommand and is the one place,
// besides the per-run handler, that catches exceptions.  Exit statuses:
// 0 success, 1 internal error or failed runs, 2 invalid input, 3 nothing to
// report, 130 interrupted.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "core/strings.h"
#include "harness/cli/commands.h"
#include "metabench/errors.h"
#include "metabench/registry.h"

namespace {

constexpr const char* kUsage =
    "usage: metabench COMMAND [OPTIONS]\n"
    "\n"
    "A reproducible benchmark suite for few-shot meta-learning.\n"
    "\n"
    "commands:\n"
    "  run CONFIG.yaml     run one experiment and record it in the results database\n"
    "  sweep SWEEP.yaml    run (or resume) every cell of a sweep matrix\n"
    "  eval                evaluate a trained checkpoint on another dataset's test episodes\n"
    "  report              print a comparison table from the results database\n"
    "  data list|download  list datasets with downloads; download, verify and unpack one\n"
    "  list WHAT           list registered algorithms, datasets, backbones or config options\n"
    "\n"
    "`metabench COMMAND --help` describes each command's options.\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace metabench;
  const std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.empty()) {
      std::fputs(kUsage, stderr);
      return 2;
    }
    if (!registration_problems().empty()) {
      throw InternalError("invalid built-in registrations: " + join(registration_problems(), "; "));
    }
    const std::string& command = args[0];
    if (command == "--help" || command == "-h" || command == "help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    const Args rest(args.begin() + 1, args.end());
    if (command == "run") return command_run(rest);
    if (command == "sweep") return command_sweep(rest);
    if (command == "report") return command_report(rest);
    if (command == "list") return command_list(rest);
    if (command == "eval") return command_eval(rest);
    if (command == "data") return command_data(rest);
    const std::vector<std::string> commands = {"run", "sweep", "eval", "report", "list", "data"};
    throw ConfigError("unknown command '" + command + "'" + did_you_mean(command, commands) +
                      "; expected one of " + join(commands, ", ") + " (see metabench --help)");
  } catch (const Interrupted&) {
    std::fprintf(stderr,
                 "metabench: interrupted; completed runs are kept, run the same command again "
                 "to resume\n");
    return 130;
  } catch (const NoResults& e) {
    std::fprintf(stderr, "metabench: %s\n", e.what());
    return 3;
  } catch (const UserError& e) {
    std::fprintf(stderr, "metabench: error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "metabench: internal error: %s\n", e.what());
    return 1;
  }
}
