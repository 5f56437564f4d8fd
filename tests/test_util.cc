#include "tests/test_util.h"

#include <gtest/gtest.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace metabench::testing {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "metabench-test-XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string metabench_binary() { return METABENCH_BINARY; }

std::string source_path(const std::string& relative) {
  return std::string(METABENCH_SOURCE_DIR) + "/" + relative;
}

namespace {
// 'text' for sh, with embedded single quotes closed, escaped and reopened.
std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}
}  // namespace

CommandResult run_metabench(const std::vector<std::string>& args) {
  std::string command = shell_quote(metabench_binary());
  for (const auto& a : args) command += " " + shell_quote(a);
  command += " 2>&1";
  CommandResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) throw std::runtime_error("popen failed");
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) result.output.append(buffer, n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

int spawn_metabench(const std::vector<std::string>& args, const std::string& output_path) {
  const std::string binary = metabench_binary();
  std::vector<char*> argv{const_cast<char*>(binary.c_str())};
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    if (!freopen(output_path.c_str(), "w", stdout) || !freopen(output_path.c_str(), "a", stderr)) {
      _exit(126);
    }
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

int wait_exit_code(int pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::unique_ptr<AlgorithmUnderTest> make_algorithm(const std::vector<std::string>& overrides,
                                                   const std::vector<int64_t>& input_shape,
                                                   TaskKind kind, uint64_t init_seed) {
  auto out = std::make_unique<AlgorithmUnderTest>();
  out->config = resolve_assignments(overrides);
  out->backbone = create_backbone(out->config, input_shape);
  AlgorithmContext ctx = algorithm_context(out->config);
  ctx.backbone = out->backbone.get();
  ctx.kind = kind;
  ctx.init_seed = init_seed;
  out->algorithm = AlgorithmRegistry::instance().get(out->config.algorithm).create(ctx);
  return out;
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string run_on_terminal(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {metabench_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> raw;
  for (auto& a : argv) raw.push_back(a.data());
  raw.push_back(nullptr);
  int master = -1;
  const pid_t pid = forkpty(&master, nullptr, nullptr, nullptr);
  if (pid == 0) {
    execv(raw[0], raw.data());
    _exit(127);
  }
  EXPECT_GT(pid, 0);
  std::string output;
  char buffer[4096];
  ssize_t n;
  // Reading ends with EIO once the child has exited and closed the terminal.
  while ((n = read(master, buffer, sizeof(buffer))) > 0) output.append(buffer, n);
  close(master);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << output;
  return output;
}

ScopedEnv::ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
  if (const char* old = std::getenv(name)) old_ = old;
  if (value) {
    setenv(name, value->c_str(), 1);
  } else {
    unsetenv(name);
  }
}

ScopedEnv::~ScopedEnv() {
  if (old_) {
    setenv(name_, old_->c_str(), 1);
  } else {
    unsetenv(name_);
  }
}

}  // namespace metabench::testing
