// Out-of-tree plugins, for real: install metabench, build examples/plugin as
// its own CMake project against the installation, load the library, run it,
// run the conformance tests on it, and check the loader's error messages.
#include <gtest/gtest.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "tests/test_util.h"

namespace metabench {
namespace {

using testing::run_metabench;
using testing::TempDir;

testing::CommandResult shell(const std::string& command) {
  testing::CommandResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) result.output.append(buffer, n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  return result;
}

std::string self_path() {
  char buffer[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", buffer, sizeof(buffer) - 1);
  return std::string(buffer, n > 0 ? static_cast<size_t>(n) : 0);
}

// Installs metabench and builds the example plugin once for all tests.  A
// failure here fails every test that needs it (never a silent skip).
struct PluginBuild {
  TempDir dir;
  bool ok = false;
  std::string log;
  std::string plugin;
};

const PluginBuild& plugin_build() {
  static PluginBuild* build = [] {
    auto* b = new PluginBuild();
    const std::string prefix = b->dir.file("install");
    for (const std::string& command :
         {"cmake --install '" + std::string(METABENCH_BUILD_DIR) + "' --prefix '" + prefix + "'",
          "cmake -S '" + testing::source_path("examples/plugin") + "' -B '" + b->dir.file("build") +
              "' -DCMAKE_PREFIX_PATH='" + prefix + "'",
          "cmake --build '" + b->dir.file("build") + "'"}) {
      const auto r = shell(command);
      b->log += "$ " + command + "\n" + r.output;
      if (r.exit_code != 0) return b;
    }
    b->plugin = b->dir.file("build/libfinetune.so");
    b->ok = true;
    return b;
  }();
  return *build;
}

class PluginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const PluginBuild& build = plugin_build();
    ASSERT_TRUE(build.ok) << "installing metabench or building examples/plugin failed:\n"
                          << build.log;
    dir_ = &build.dir;
    plugin_ = build.plugin;
  }
  const TempDir* dir_ = nullptr;
  std::string plugin_;
};

TEST_F(PluginTest, InstalledPackageHasHeadersLibraryAndConfig) {
  const std::string prefix = dir_->file("install");
  // The public plugin API and nothing else: internals (core/, nn/, harness/,
  // ...) are not installed.
  EXPECT_TRUE(std::filesystem::exists(prefix + "/include/metabench/algorithm.h"));
  for (const auto& entry : std::filesystem::recursive_directory_iterator(prefix + "/include")) {
    EXPECT_TRUE(entry.is_directory() ||
                entry.path().parent_path() == std::filesystem::path(prefix + "/include/metabench"))
        << "installed header outside include/metabench/: " << entry.path();
    EXPECT_NE(entry.path().filename(), "small_bmm.h");
  }
  EXPECT_FALSE(std::filesystem::exists(prefix + "/include/metabench/nn"));
  EXPECT_TRUE(std::filesystem::exists(prefix + "/lib/cmake/metabench/metabenchConfig.cmake"));
  EXPECT_TRUE(std::filesystem::exists(prefix + "/bin/metabench"));
  ASSERT_TRUE(std::filesystem::exists(plugin_));
}

TEST_F(PluginTest, LoadsFromTheCommandLineAndFromYaml) {
  const auto list = run_metabench({"list", "algorithms", "--plugin", plugin_});
  ASSERT_EQ(list.exit_code, 0) << list.output;
  EXPECT_NE(list.output.find("finetune "), std::string::npos) << list.output;
  EXPECT_NE(list.output.find("maml "), std::string::npos);

  const std::string db = dir_->file("r.sqlite");
  const auto run = run_metabench({"run", testing::source_path("configs/smoke/protonet.yaml"),
                                  "--plugin", plugin_, "--set", "algorithm=finetune", "--db", db});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("completed: finetune synthetic-glyphs"), std::string::npos);

  testing::write_text(dir_->file("sweep.yaml"),
                      "name: plugin\nplugins: [build/libfinetune.so]\nalgorithms:\n"
                      "  - {name: finetune, config: " +
                          testing::source_path("configs/smoke/protonet.yaml") +
                          "}\ndatasets: [synthetic-glyphs]\nseeds: [1, 2]\n");
  const auto sweep = run_metabench({"sweep", dir_->file("sweep.yaml"), "--db", db});
  ASSERT_EQ(sweep.exit_code, 0) << sweep.output;
  EXPECT_NE(sweep.output.find("2 cells, 1 run, 1 skipped"), std::string::npos) << sweep.output;
}

TEST_F(PluginTest, ConformanceTestsRunOnThePlugin) {
  const auto r = shell("METABENCH_TEST_PLUGINS='" + plugin_ + "' '" + self_path() +
                       "' --gtest_filter='*Conformance*finetune*'");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("[       OK ] EveryRegisteredAlgorithm/Conformance."
                          "LearnsAnEasyClassificationTaskFarAboveChance/finetune"),
            std::string::npos)
      << r.output;
}

TEST_F(PluginTest, LoadErrorsNameTheFile) {
  const std::string missing = dir_->file("nope.so");
  auto r = run_metabench({"list", "algorithms", "--plugin", missing});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("plugin '" + missing + "': no such file"), std::string::npos) << r.output;

  testing::write_text(dir_->file("text.so"), "not a library\n");
  r = run_metabench({"list", "algorithms", "--plugin", dir_->file("text.so")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("cannot load plugin '" + dir_->file("text.so") + "'"), std::string::npos)
      << r.output;

  testing::write_text(dir_->file("empty.cc"), "int metabench_example_nothing() { return 0; }\n");
  const auto compiled = shell("c++ -shared -fPIC -o '" + dir_->file("empty.so") + "' '" +
                              dir_->file("empty.cc") + "'");
  ASSERT_EQ(compiled.exit_code, 0) << compiled.output;
  r = run_metabench({"list", "algorithms", "--plugin", dir_->file("empty.so")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("plugin '" + dir_->file("empty.so") +
                          "' registers no algorithm, dataset or backbone"),
            std::string::npos)
      << r.output;

  const std::string copy = dir_->file("libfinetune-copy.so");
  std::filesystem::copy_file(plugin_, copy, std::filesystem::copy_options::overwrite_existing);
  r = run_metabench({"list", "algorithms", "--plugin", plugin_, "--plugin", copy});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("plugin '" + copy + "': algorithm 'finetune' is registered twice"),
            std::string::npos)
      << r.output;
}

}  // namespace
}  // namespace metabench
