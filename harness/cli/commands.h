// The metabench subcommands.  Each takes its arguments (after the subcommand
// name), handles its own --help, and returns the process exit status; errors
// are thrown (see core/errors.h) and turned into exit statuses by main().
#pragma once

#include <boost/program_options.hpp>
#include <string>
#include <vector>

namespace metabench {

using Args = std::vector<std::string>;

int command_run(const Args& args);
int command_sweep(const Args& args);
int command_report(const Args& args);
int command_list(const Args& args);
int command_eval(const Args& args);
int command_data(const Args& args);
int command_db(const Args& args);
int command_slurm(const Args& args);

constexpr const char* kDefaultDatabase = "results/metabench.sqlite";

// "data.root=<absolute DIR>": the --set assignment a --data-root flag stands
// for, absolute so that sweep workers and checkpoints agree on it.
std::string data_root_assignment(const std::string& dir);

// Parses `args` against `options` (and positional names), turning Boost's
// exceptions into ConfigError that name the command.  Returns false after
// printing help when --help was given.
bool parse_command_line(const std::string& command, const std::string& usage,
                        boost::program_options::options_description& options,
                        const boost::program_options::positional_options_description& positional,
                        const Args& args, boost::program_options::variables_map& values);

}  // namespace metabench
