// Out-of-tree plugins, for real: install metabench, build examples/plugin as
// its own CMake project against the installation, load the library, run it,
// run the conformance tests on it, and check the loader's error messages.
// The walk-through plugin of docs/plugins.md is built from the page's own
// code blocks, so the page cannot drift from the API.
#include <gtest/gtest.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>

#include "core/strings.h"
#include "metabench/sha256.h"
#include "results/store.h"
#include "tests/test_util.h"

namespace metabench {
namespace {

using testing::run_metabench;
using testing::TempDir;

// Runs `command` through the shell.  A nested GoogleTest run's "[  SKIPPED ]"
// lines are defused in the output: printed in this test's failure message,
// they would make CTest (whose skip pattern is that text) report the
// failing test as skipped.
testing::CommandResult shell(const std::string& command) {
  testing::CommandResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) result.output.append(buffer, n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  for (size_t at; (at = result.output.find("[  SKIPPED ]")) != std::string::npos;) {
    result.output.replace(at, 12, "[  (skipped) ]");
  }
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
    b->plugin = b->dir.file("build/libnearest.so");
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
  EXPECT_NE(list.output.find("nearest "), std::string::npos) << list.output;
  EXPECT_NE(list.output.find("maml "), std::string::npos);

  const std::string db = dir_->file("r.sqlite");
  const auto run = run_metabench({"run", testing::source_path("configs/smoke/protonet.yaml"),
                                  "--plugin", plugin_, "--set", "algorithm=nearest", "--db", db});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("completed: nearest synthetic-glyphs"), std::string::npos);

  testing::write_text(dir_->file("sweep.yaml"),
                      "name: plugin\nplugins: [build/libnearest.so]\nalgorithms:\n"
                      "  - {name: nearest, config: " +
                          testing::source_path("configs/smoke/protonet.yaml") +
                          "}\ndatasets: [synthetic-glyphs]\nseeds: [1, 2]\n");
  const auto sweep = run_metabench({"sweep", dir_->file("sweep.yaml"), "--db", db});
  ASSERT_EQ(sweep.exit_code, 0) << sweep.output;
  EXPECT_NE(sweep.output.find("2 cells, 1 run, 1 skipped"), std::string::npos) << sweep.output;
}

TEST_F(PluginTest, ConformanceTestsRunOnThePlugin) {
  const auto r = shell("METABENCH_TEST_PLUGINS='" + plugin_ + "' '" + self_path() +
                       "' --gtest_filter='*Conformance*nearest*'");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("[       OK ] EveryRegisteredAlgorithm/Conformance."
                          "LearnsAnEasyClassificationTaskFarAboveChance/nearest"),
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

  const std::string copy = dir_->file("libnearest-copy.so");
  std::filesystem::copy_file(plugin_, copy, std::filesystem::copy_options::overwrite_existing);
  r = run_metabench({"list", "algorithms", "--plugin", plugin_, "--plugin", copy});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("plugin '" + copy + "': algorithm 'nearest' is registered twice"),
            std::string::npos)
      << r.output;
}

// The files of a Markdown page's code blocks whose info string names one
// ("```cpp file=cosproto.cc"), each the concatenation of its blocks in page
// order.
std::map<std::string, std::string> files_in_markdown(const std::string& markdown) {
  std::map<std::string, std::string> files;
  std::string* current = nullptr;
  bool in_block = false;
  for (const std::string& line : split(markdown, '\n')) {
    if (starts_with(line, "```")) {
      if (in_block) {
        in_block = false;
        current = nullptr;
        continue;
      }
      in_block = true;
      const size_t at = line.find("file=");
      if (at != std::string::npos) current = &files[line.substr(at + 5)];
      continue;
    }
    if (current) *current += line + "\n";
  }
  return files;
}

// docs/plugins.md's plugin, extracted and built once against the
// installation plugin_build() made.
struct WalkthroughBuild {
  bool ok = false;
  std::string log, dir, plugin;
  std::map<std::string, std::string> files;
};

const WalkthroughBuild& walkthrough_build() {
  static WalkthroughBuild* build = [] {
    auto* w = new WalkthroughBuild();
    const PluginBuild& installed = plugin_build();
    if (!installed.ok) {
      w->log = installed.log;
      return w;
    }
    w->dir = installed.dir.file("walkthrough");
    w->files = files_in_markdown(testing::read_text(testing::source_path("docs/plugins.md")));
    std::filesystem::create_directories(w->dir);
    for (const auto& [name, text] : w->files) testing::write_text(w->dir + "/" + name, text);
    for (const std::string& command :
         {"cmake -S '" + w->dir + "' -B '" + w->dir + "/build' -DCMAKE_PREFIX_PATH='" +
              installed.dir.file("install") + "'",
          "cmake --build '" + w->dir + "/build'"}) {
      const auto r = shell(command);
      w->log += "$ " + command + "\n" + r.output;
      if (r.exit_code != 0) return w;
    }
    w->plugin = w->dir + "/build/libcosproto.so";
    w->ok = true;
    return w;
  }();
  return *build;
}

class WalkthroughTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const WalkthroughBuild& w = walkthrough_build();
    ASSERT_TRUE(w.ok) << "building docs/plugins.md's code blocks failed:\n" << w.log;
    w_ = &w;
  }
  const WalkthroughBuild* w_ = nullptr;
};

int64_t count(ResultsStore& store, const std::string& sql) {
  Statement s = store.database().prepare(sql);
  return s.step() ? s.column_int(0) : -1;
}

TEST_F(WalkthroughTest, DocBuildsLoadsRunsItsSweepAndPassesConformance) {
  EXPECT_EQ(w_->files.size(), 3u) << "expected CMakeLists.txt, cosproto.cc and sweep.yaml";
  const auto list = run_metabench({"list", "algorithms", "--plugin", w_->plugin});
  ASSERT_EQ(list.exit_code, 0) << list.output;
  EXPECT_NE(list.output.find("cosproto "), std::string::npos) << list.output;
  // Plugins are code: what was loaded is said, with its checksum and version.
  EXPECT_NE(list.output.find("metabench: loaded plugin "), std::string::npos) << list.output;
  EXPECT_NE(
      list.output.find("libcosproto.so (sha256 " + sha256_file(w_->plugin) + ", version 1.0.0)"),
      std::string::npos)
      << list.output;

  // The algorithm asked about is the default of `algorithm`, and its own
  // default for a shared key shows.
  const auto options =
      run_metabench({"list", "options", "--algorithm", "cosproto", "--plugin", w_->plugin});
  ASSERT_EQ(options.exit_code, 0) << options.output;
  EXPECT_NE(options.output.find("\nalgorithm "), std::string::npos) << options.output;
  for (const std::string& row : split(options.output, '\n')) {
    if (starts_with(row, "algorithm ")) EXPECT_NE(row.find(" cosproto "), std::string::npos) << row;
    if (starts_with(row, "optim.meta_batch ")) EXPECT_NE(row.find(" 1 "), std::string::npos) << row;
  }
  EXPECT_NE(options.output.find("algo.init_scale"), std::string::npos) << options.output;

  // The page's sweep, as written, from its folder.
  const std::string db = w_->dir + "/cosproto.sqlite";
  const auto sweep = run_metabench({"sweep", w_->dir + "/sweep.yaml", "--db", db});
  ASSERT_EQ(sweep.exit_code, 0) << sweep.output;
  EXPECT_NE(sweep.output.find("4 cells, 4 run, 0 skipped"), std::string::npos) << sweep.output;
  ResultsStore store(db, ResultsStore::Access::kReadOnly);
  // Every run records the loaded plugin; only cosproto's code identity has it.
  EXPECT_EQ(count(store, "SELECT count(*) FROM run_plugins WHERE version = '1.0.0' AND sha256 = '" +
                             sha256_file(w_->plugin) + "' AND provides = 'algorithm cosproto'"),
            4);
  EXPECT_EQ(count(store,
                  "SELECT count(*) FROM run_summary WHERE algorithm = 'cosproto' AND code_id LIKE "
                  "'metabench:% libcosproto.so:%'"),
            2);
  EXPECT_EQ(count(store,
                  "SELECT count(*) FROM run_summary WHERE algorithm = 'protonet' AND code_id LIKE "
                  "'metabench:%' AND code_id NOT LIKE '% %'"),
            2);

  // A bad combination of its options is rejected with its check's message.
  const auto bad =
      run_metabench({"run", testing::source_path("configs/smoke/protonet.yaml"), "--plugin",
                     w_->plugin, "--set", "algorithm=cosproto", "--set", "algo.learn_scale=false",
                     "--set", "algo.init_scale=1", "--db", w_->dir + "/bad.sqlite"});
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_NE(bad.output.find("with algo.learn_scale false"), std::string::npos) << bad.output;

  const auto r = shell("METABENCH_TEST_PLUGINS='" + w_->plugin + "' '" + self_path() +
                       "' --gtest_filter='*Conformance*cosproto*'");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("[       OK ] EveryRegisteredAlgorithm/Conformance."
                          "LearnsAnEasyClassificationTaskFarAboveChance/cosproto"),
            std::string::npos)
      << r.output;
}

// Edit the plugin, re-run its sweep: the changed cells are named and kept;
// --rerun-changed runs them again beside the old runs; the built-in
// algorithm's cells are not affected.
TEST_F(WalkthroughTest, AnEditedPluginIsNoticedAndRerunOnRequest) {
  namespace fs = std::filesystem;
  const std::string dir = w_->dir + "-edited";
  fs::create_directories(dir + "/lib");
  std::string sweep_yaml = w_->files.at("sweep.yaml");
  sweep_yaml =
      sweep_yaml.replace(sweep_yaml.find("build/libcosproto.so"), 20, "lib/libcosproto.so");
  sweep_yaml = sweep_yaml.replace(sweep_yaml.find("seeds: [1, 2]"), 13, "seeds: [1]");
  testing::write_text(dir + "/sweep.yaml", sweep_yaml);
  const std::string plugin = dir + "/lib/libcosproto.so";
  fs::copy_file(w_->plugin, plugin, fs::copy_options::overwrite_existing);
  const std::string db = dir + "/r.sqlite";
  auto sweep = run_metabench({"sweep", dir + "/sweep.yaml", "--db", db});
  ASSERT_EQ(sweep.exit_code, 0) << sweep.output;
  ASSERT_NE(sweep.output.find("2 cells, 2 run, 0 skipped"), std::string::npos) << sweep.output;

  // The edit: a new version, rebuilt.
  std::string source = w_->files.at("cosproto.cc");
  source.replace(source.find("METABENCH_PLUGIN_VERSION(\"1.0.0\")"), 33,
                 "METABENCH_PLUGIN_VERSION(\"1.0.1\")");
  fs::create_directories(dir + "/src");
  testing::write_text(dir + "/src/cosproto.cc", source);
  testing::write_text(dir + "/src/CMakeLists.txt", w_->files.at("CMakeLists.txt"));
  const auto built =
      shell("cmake -S '" + dir + "/src' -B '" + dir + "/build' -DCMAKE_PREFIX_PATH='" +
            plugin_build().dir.file("install") + "' && cmake --build '" + dir + "/build'");
  ASSERT_EQ(built.exit_code, 0) << built.output;
  fs::copy_file(dir + "/build/libcosproto.so", plugin, fs::copy_options::overwrite_existing);

  sweep = run_metabench({"sweep", dir + "/sweep.yaml", "--db", db});
  ASSERT_EQ(sweep.exit_code, 0) << sweep.output;
  EXPECT_NE(sweep.output.find("2 cells, 0 run, 2 skipped"), std::string::npos) << sweep.output;
  EXPECT_NE(sweep.output.find("1 cell(s) were recorded by other code: cosproto synthetic-glyphs "
                              "5-way 1-shot seed 1 (run "),
            std::string::npos)
      << sweep.output;
  EXPECT_NE(sweep.output.find("--rerun-changed runs them again"), std::string::npos);

  sweep = run_metabench({"sweep", dir + "/sweep.yaml", "--db", db, "--rerun-changed"});
  ASSERT_EQ(sweep.exit_code, 0) << sweep.output;
  EXPECT_NE(sweep.output.find("2 cells, 1 run, 1 skipped"), std::string::npos) << sweep.output;
  {
    ResultsStore store(db, ResultsStore::Access::kReadOnly);
    EXPECT_EQ(count(store, "SELECT count(*) FROM runs WHERE status = 'completed'"), 3);
    EXPECT_EQ(count(store, "SELECT count(DISTINCT code_id) FROM runs WHERE algorithm = 'cosproto'"),
              2);
    EXPECT_EQ(count(store,
                    "SELECT count(*) FROM run_plugins JOIN runs USING (run_id) WHERE algorithm = "
                    "'cosproto' AND version = '1.0.1'"),
              1);
  }
  const auto report = run_metabench({"report", "--db", db});
  ASSERT_EQ(report.exit_code, 0) << report.output;
  EXPECT_NE(report.output.find("| cosproto [code metabench:"), std::string::npos) << report.output;

  // Now the current code has its run: nothing to report or run.
  sweep = run_metabench({"sweep", dir + "/sweep.yaml", "--db", db});
  ASSERT_EQ(sweep.exit_code, 0) << sweep.output;
  EXPECT_NE(sweep.output.find("2 cells, 0 run, 2 skipped"), std::string::npos) << sweep.output;
  EXPECT_EQ(sweep.output.find("other code"), std::string::npos) << sweep.output;
}

TEST(PluginMessages, AnUnknownAlgorithmHintsAtPlugins) {
  const auto r = run_metabench({"run", testing::source_path("configs/smoke/protonet.yaml"), "--set",
                                "algorithm=cosproto", "--db", "/nonexistent/r.sqlite"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("unknown algorithm 'cosproto'"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("load it with --plugin PATH or `plugins:` in the config; plugins "
                          "loaded: none"),
            std::string::npos)
      << r.output;
}

}  // namespace
}  // namespace metabench
