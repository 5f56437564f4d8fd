// The metabench binary as a user runs it: bad input gives one line naming
// the problem and exit status 2, and never touches an existing database.
#include <gtest/gtest.h>

#include <algorithm>

#include "core/build_info.h"
#include "metabench/sha256.h"
#include "results/schema.h"
#include "results/sqlite.h"
#include "results/store.h"
#include "tests/test_util.h"

namespace metabench {
namespace {

using testing::run_metabench;
using testing::TempDir;

size_t lines(const std::string& text) { return std::count(text.begin(), text.end(), '\n'); }

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = dir_.file("results.sqlite");
    const auto r =
        run_metabench({"run", testing::source_path("configs/smoke/protonet.yaml"), "--db", db_,
                       "--set", "optim.iterations=2", "--set", "eval.test_episodes=3"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    checksum_ = sha256_file(db_);
  }

  // Runs metabench expecting exit 2 and one line of error mentioning `needle`,
  // and checks that the database was not touched.
  void expect_user_error(const std::vector<std::string>& args, const std::string& needle) {
    const auto r = run_metabench(args);
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_EQ(lines(r.output), 1u) << r.output;
    EXPECT_EQ(r.output.rfind("metabench: error: ", 0), 0u) << r.output;
    EXPECT_NE(r.output.find(needle), std::string::npos) << r.output;
    EXPECT_EQ(sha256_file(db_), checksum_) << "the database changed";
  }

  TempDir dir_;
  std::string db_, checksum_;
};

TEST_F(CliTest, BadConfigsAreRejectedBeforeTheDatabaseIsTouched) {
  const std::string missing = dir_.file("missing.yaml");
  expect_user_error({"run", missing, "--db", db_}, missing + ": no such file");
  testing::write_text(dir_.file("bad.yaml"), "algorithm: maml\noptim: {meta_lr: [\n");
  expect_user_error({"run", dir_.file("bad.yaml"), "--db", db_}, "malformed YAML");
  testing::write_text(dir_.file("algo.yaml"), "algorithm: protonets\n");
  expect_user_error({"run", dir_.file("algo.yaml"), "--db", db_},
                    dir_.file("algo.yaml") +
                        ":1:12: unknown algorithm 'protonets' (did you "
                        "mean 'protonet'?)");
  testing::write_text(dir_.file("data.yaml"), "dataset: omniglot-tiny\n");
  expect_user_error({"run", dir_.file("data.yaml"), "--db", db_},
                    "unknown dataset 'omniglot-tiny'");
  expect_user_error({"run", testing::source_path("configs/smoke/protonet.yaml"), "--db", db_,
                     "--set", "episode.ways=0"},
                    "--set episode.ways=0: key 'episode.ways': expected an integer in [1, 1000]");
  expect_user_error({"sweep", dir_.file("missing-sweep.yaml"), "--db", db_}, "no such file");
}

TEST_F(CliTest, UnusableDatabasesAreRejected) {
  const std::string config = testing::source_path("configs/smoke/protonet.yaml");
  testing::write_text(dir_.file("file"), "x");
  expect_user_error({"run", config, "--db", dir_.file("file/sub/r.sqlite")},
                    "cannot create the results database");
  {
    Database db(db_, Database::Mode::kReadWrite);
    db.exec("PRAGMA user_version = " + std::to_string(kSchemaVersion + 1));
  }
  checksum_ = sha256_file(db_);
  expect_user_error({"run", config, "--db", db_}, "written by a newer metabench");
  expect_user_error({"report", "--db", db_}, "written by a newer metabench");
}

TEST_F(CliTest, UsageErrorsAndHelp) {
  expect_user_error({"rnu"}, "unknown command 'rnu' (did you mean 'run'?)");
  expect_user_error({"run", "--db", db_}, "metabench run: the option '--config' is required");
  expect_user_error({"list", "algoritms"}, "unknown list 'algoritms' (did you mean 'algorithms'?)");
  expect_user_error({"report", "--db", db_, "--format", "pdf"}, "--format 'pdf' is not supported");
  for (const char* command : {"run", "sweep", "report", "list"}) {
    const auto r = run_metabench({command, "--help"});
    EXPECT_EQ(r.exit_code, 0) << command;
    EXPECT_NE(r.output.find("usage: metabench " + std::string(command)), std::string::npos);
  }
  const auto list = run_metabench({"list", "algorithms"});
  EXPECT_NE(list.output.find("maml "), std::string::npos);
  EXPECT_NE(list.output.find("protonet "), std::string::npos);
  // Report formats are registered like algorithms.
  const auto formats = run_metabench({"list", "formats"});
  EXPECT_EQ(formats.exit_code, 0) << formats.output;
  for (const char* name : {"csv ", "html ", "latex ", "md "}) {
    EXPECT_NE(formats.output.find(name), std::string::npos) << name << formats.output;
  }
}

// A database locked by another process beyond the busy timeout is the
// environment's failure (exit 4), not invalid input, and loses nothing.
TEST_F(CliTest, ADatabaseBusyBeyondItsTimeoutIsAnEnvironmentError) {
  Database holder(db_, Database::Mode::kReadWrite);
  holder.exec("BEGIN EXCLUSIVE");
  setenv("METABENCH_BUSY_TIMEOUT_MS", "300", 1);
  const auto r =
      run_metabench({"run", testing::source_path("configs/smoke/protonet.yaml"), "--db", db_,
                     "--set", "optim.iterations=2", "--set", "eval.test_episodes=3"});
  unsetenv("METABENCH_BUSY_TIMEOUT_MS");
  holder.exec("ROLLBACK");
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_NE(r.output.find("metabench: environment error: results database '" + db_),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("busy timeout; nothing was lost, run again"), std::string::npos)
      << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  ResultsStore store(db_, ResultsStore::Access::kReadOnly);
  Statement s = store.database().prepare("SELECT count(*) FROM runs WHERE status = 'completed'");
  ASSERT_TRUE(s.step());
  EXPECT_EQ(s.column_int(0), 1);
}

TEST_F(CliTest, VersionPrintsTheBuildsIdentity) {
  const auto r = run_metabench({"--version"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const BuildInfo& b = build_info();
  EXPECT_NE(r.output.find("metabench " + std::string(b.version) + "\n"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("commit:        " + std::string(b.commit)), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("source digest: " + std::string(b.source_digest)), std::string::npos);
  for (const char* line :
       {"LibTorch:      1.13", "BLAS:          ", "allocator:     ", "devices:       cpu"}) {
    EXPECT_NE(r.output.find(line), std::string::npos) << line << "\n" << r.output;
  }
}

TEST_F(CliTest, ListPublishedShowsTheCorrectedEntriesWithTheirSettings) {
  const auto r = run_metabench({"list", "published"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::vector<std::string> expected = {
      // The like-for-like Matching Networks numbers, not Vinyals et al.'s 46.6.
      "43.56 ± 0.84 (95% CI over episodes)",
      "Ravi and Larochelle 2017 (ICLR), FCE re-implementation",
      // First-order MAML on Omniglot is Nichol et al.'s, not Finn et al.'s.
      "1st-order MAML + transduction",
      // Reptile both ways, by algo.transductive.
      "algo.transductive=false", "95.39 ± 0.09 (95% CI)",
      // ANIL's spread is a standard deviation over seeds.
      "46.70 ± 0.40 (SD over seeds)",
      // ProtoNets' training way count.
      "episode.train_ways=60", "episode.train_ways=30", "episode.train_ways=20",
      "Finn et al. 2017 (ICML), Table 1"};
  for (const std::string& text : expected) {
    EXPECT_NE(r.output.find(text), std::string::npos) << text << "\n" << r.output;
  }
  EXPECT_EQ(r.output.find("46.60"), std::string::npos);
  EXPECT_EQ(r.output.find("Tables 1 and 2"), std::string::npos);
}

TEST_F(CliTest, ReportSaysWhenThereIsNothingToReport) {
  const auto ok = run_metabench({"report", "--db", db_});
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_NE(ok.output.find("| protonet |"), std::string::npos) << ok.output;
  const auto none = run_metabench({"report", "--db", db_, "--sweep", "nonexistent"});
  EXPECT_EQ(none.exit_code, 3) << none.output;
  EXPECT_NE(none.output.find("no completed runs"), std::string::npos) << none.output;
}

}  // namespace
}  // namespace metabench
