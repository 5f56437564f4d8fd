#include <filesystem>
#include <iostream>

#include "harness/cli/commands.h"
#include "metabench/errors.h"

namespace po = boost::program_options;

namespace metabench {

bool parse_command_line(const std::string& command, const std::string& usage,
                        po::options_description& options,
                        const po::positional_options_description& positional, const Args& args,
                        po::variables_map& values) {
  options.add_options()("help,h", "show this help");
  try {
    po::store(po::command_line_parser(args).options(options).positional(positional).run(), values);
    if (values.count("help")) {
      std::cout << "usage: metabench " << command << " " << usage << "\n\n" << options << "\n";
      return false;
    }
    po::notify(values);
  } catch (const po::error& e) {
    throw ConfigError("metabench " + command + ": " + e.what() + " (see metabench " + command +
                      " --help)");
  }
  return true;
}

std::string data_root_assignment(const std::string& dir) {
  return "data.root=" + std::filesystem::absolute(dir).string();
}

}  // namespace metabench
