// Config validation: every rejection names where the bad value came from,
// the key, and what was expected.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "core/strings.h"
#include "harness/config/experiment_config.h"
#include "metabench/algorithm.h"
#include "metabench/errors.h"
#include "tests/test_util.h"

namespace metabench {
namespace {

using testing::TempDir;
using testing::write_text;

// Resolves `yaml` written to a file; returns the ConfigError message, or ""
// when the config is valid.
std::string error_of(const std::string& yaml, const std::vector<std::string>& sets = {}) {
  TempDir dir;
  const std::string path = dir.file("experiment.yaml");
  write_text(path, yaml);
  try {
    RawConfig raw = RawConfig::from_file(path);
    for (const auto& s : sets) raw.apply_set(s);
    resolve_experiment(raw);
  } catch (const ConfigError& e) {
    std::string message = e.what();
    // Make messages comparable across temp dirs.
    for (size_t p; (p = message.find(path)) != std::string::npos;) {
      message.replace(p, path.size(), "FILE");
    }
    return message;
  }
  return "";
}

ExperimentConfig resolve_text(const std::string& yaml, const std::vector<std::string>& sets = {}) {
  TempDir dir;
  write_text(dir.file("c.yaml"), yaml);
  RawConfig raw = RawConfig::from_file(dir.file("c.yaml"));
  for (const auto& s : sets) raw.apply_set(s);
  return resolve_experiment(raw);
}

TEST(ConfigValidation, UnknownKeySuggestsNearestWithFileAndLine) {
  EXPECT_EQ(error_of("algorithm: maml\noptim:\n  meta_lrr: 0.1\n"),
            "FILE:3:13: unknown key 'optim.meta_lrr' (did you mean 'optim.meta_lr'?); see "
            "configs/README.md or `metabench list options`");
}

TEST(ConfigValidation, WrongTypeNamesExpectation) {
  EXPECT_EQ(error_of("episode: {ways: five}\n"),
            "FILE:1:17: key 'episode.ways': expected an integer in [1, 1000], got 'five'");
  EXPECT_EQ(error_of("episode: {shots: 1.5}\n"),
            "FILE:1:18: key 'episode.shots': expected an integer in [1, 10000], got '1.5'");
  EXPECT_EQ(error_of("model: {hidden: 40}\n"),
            "FILE:1:17: key 'model.hidden': expected a list of integers in [1, 1048576] each, "
            "got '40'");
}

TEST(ConfigValidation, OutOfRangeNamesBounds) {
  EXPECT_EQ(error_of("optim: {meta_lr: -1}\n"),
            "FILE:1:18: key 'optim.meta_lr': expected a number in (0, 10], got '-1'");
  EXPECT_EQ(error_of("optim: {meta_lr: 0}\n"),
            "FILE:1:18: key 'optim.meta_lr': expected a number in (0, 10], got '0'");
}

TEST(ConfigValidation, ChoicesAndBooleans) {
  EXPECT_EQ(error_of("runtime: {device: cdua}\n"),
            "FILE:1:19: key 'runtime.device': expected cpu, cuda or cuda:N (N a GPU index), got "
            "'cdua' (did you mean 'cuda'?)");
  EXPECT_EQ(error_of("algorithm: matchingnet\nalgo: {fce: maybe}\n"),
            "FILE:2:13: key 'algo.fce': expected true or false, got 'maybe'");
}

TEST(ConfigValidation, SectionGivenAsScalar) {
  const std::string message = error_of("optim: 3\n");
  EXPECT_NE(message.find("FILE:1:8: 'optim' is a section; expected a map with keys optim.meta_lr"),
            std::string::npos)
      << message;
}

TEST(ConfigValidation, UnknownNamesSuggestRegisteredOnes) {
  const std::string algorithm = error_of("algorithm: mamll\n");
  // Every registered algorithm is listed, in name order (a new algorithm
  // folder adds itself here without an edit).
  const std::vector<std::string> names = AlgorithmRegistry::instance().names();
  ASSERT_TRUE(std::is_sorted(names.begin(), names.end()));
  ASSERT_NE(std::find(names.begin(), names.end(), "maml"), names.end());
  EXPECT_EQ(algorithm.rfind("FILE:1:12: unknown algorithm 'mamll' (did you mean 'maml'?); "
                            "registered: " +
                                join(names, ", ") +
                                " (if a plugin provides it, load it with --plugin PATH or "
                                "`plugins:` in the config; plugins loaded: ",
                            0),
            0u)
      << algorithm;
  const std::string message = error_of("dataset: omniglott\n");
  EXPECT_NE(message.find("FILE:1:10: unknown dataset 'omniglott'"), std::string::npos) << message;
}

TEST(ConfigValidation, AlgorithmOptionsBelongToTheirAlgorithm) {
  EXPECT_EQ(error_of("algorithm: protonet\nalgo: {fce: true}\n"),
            "FILE:2:13: unknown key 'algo.fce' for algorithm 'protonet'; see "
            "configs/README.md or `metabench list options`");
  EXPECT_EQ(error_of("algorithm: matchingnet\nalgo: {fce: true}\n"), "");
  EXPECT_EQ(error_of("algorithm: reptile\nalgo: {inner_optimizer: adma}\n"),
            "FILE:2:25: key 'algo.inner_optimizer': expected one of adam, sgd, got 'adma' (did "
            "you mean 'adam'?)");
}

TEST(ConfigValidation, CrossKeyRules) {
  EXPECT_NE(error_of("algorithm: protonet\ndataset: sinusoid\nbackbone: mlp\n")
                .find("algorithm 'protonet' does not support regression"),
            std::string::npos);
  EXPECT_NE(error_of("algorithm: maml\ndataset: sinusoid\n")
                .find("backbone 'conv4' does not accept vector inputs"),
            std::string::npos);
  EXPECT_NE(error_of("algorithm: maml\nepisode: {ways: 5, train_ways: 20}\n")
                .find("episode.train_ways (20) must equal episode.ways (5)"),
            std::string::npos);
  EXPECT_EQ(error_of("algorithm: protonet\nepisode: {ways: 5, train_ways: 20}\n"), "");
}

TEST(ConfigValidation, FileProblems) {
  TempDir dir;
  try {
    RawConfig::from_file(dir.file("missing.yaml"));
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              dir.file("missing.yaml") + ": no such file (expected a YAML config file)");
  }
  EXPECT_NE(error_of("optim: {meta_lr: [0.1\n").find("FILE:2:1: malformed YAML"),
            std::string::npos);
  EXPECT_EQ(error_of("- a\n- b\n"), "FILE:1:1: expected a map of config keys at the top level");
  EXPECT_EQ(error_of(""), "FILE: the file is empty (expected a map of config keys)");
  EXPECT_EQ(error_of("seed:\n"), "FILE:1:1: key 'seed' has no value");
  EXPECT_EQ(error_of("optim:\n  meta_lr:\n"), "FILE:2:3: key 'optim.meta_lr' has no value");
}

TEST(ConfigOverrides, SetOverridesFileAndIsValidated) {
  const ExperimentConfig cfg = resolve_text("optim: {meta_lr: 0.1}\n", {"optim.meta_lr=0.25"});
  EXPECT_DOUBLE_EQ(cfg.meta_lr, 0.25);
  EXPECT_EQ(error_of("{}\n", {"optim.meta_lr=abc"}),
            "--set optim.meta_lr=abc: key 'optim.meta_lr': expected a number in (0, 10], got "
            "'abc'");
  EXPECT_EQ(error_of("{}\n", {"optim.meta_lr"}),
            "--set 'optim.meta_lr': expected KEY=VALUE, e.g. optim.meta_lr=0.001");
  EXPECT_EQ(error_of("{}\n", {"optim.metalr=1"}),
            "--set optim.metalr=1: unknown key 'optim.metalr' (did you mean 'optim.meta_lr'?); "
            "see configs/README.md or `metabench list options`");
  const ExperimentConfig lists = resolve_text("algorithm: maml\n", {"model.hidden=[8, 8, 8]"});
  EXPECT_EQ(lists.values.get_int_list("model.hidden"), (std::vector<int64_t>{8, 8, 8}));
}

TEST(ConfigHash, DefaultsAreExplicitAndRuntimeIsNotHashed) {
  const ExperimentConfig implicit = resolve_text("algorithm: protonet\n");
  const ExperimentConfig explicit_defaults =
      resolve_text("algorithm: protonet\noptim: {meta_lr: 0.001}\nepisode: {ways: 5}\n");
  EXPECT_EQ(implicit.hash, explicit_defaults.hash);
  EXPECT_EQ(implicit.hash.size(), 64u);
  EXPECT_EQ(implicit.hash, resolve_text("algorithm: protonet\n", {"runtime.threads=1"}).hash);
  EXPECT_EQ(implicit.hash, resolve_text("algorithm: protonet\n", {"name=label"}).hash);
  EXPECT_NE(implicit.hash, resolve_text("algorithm: protonet\n", {"optim.meta_lr=0.002"}).hash);
  EXPECT_NE(implicit.hash, resolve_text("algorithm: protonet\n", {"seed=2"}).hash);
  EXPECT_NE(implicit.hash, resolve_text("algorithm: protonet\n", {"data.seed=8"}).hash);
}

TEST(ConfigHash, ResolvedYamlRoundTripsToTheSameHash) {
  const ExperimentConfig first = resolve_text(
      "algorithm: maml\ndataset: sinusoid\nbackbone: mlp\noptim: {inner_lr: 0.01}\n"
      "episode: {ways: 1, shots: 10}\n");
  const ExperimentConfig second = resolve_text(first.yaml);
  EXPECT_EQ(first.hash, second.hash);
  EXPECT_EQ(first.yaml, second.yaml);
  EXPECT_DOUBLE_EQ(second.values.get_float("data.phase_max"), M_PI);
}

TEST(ConfigFiles, EveryShippedExperimentConfigIsValid) {
  int checked = 0;
  for (const char* tier : {"configs/smoke", "configs/quick", "configs/paper"}) {
    for (const auto& entry :
         std::filesystem::recursive_directory_iterator(testing::source_path(tier))) {
      if (entry.path().extension() != ".yaml") continue;
      EXPECT_NO_THROW(resolve_experiment(RawConfig::from_file(entry.path().string())))
          << entry.path();
      ++checked;
    }
  }
  EXPECT_GE(checked, 33);
}

}  // namespace
}  // namespace metabench
