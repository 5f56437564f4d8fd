// `metabench eval` end to end, and bad dataset input through the command
// line: exit status 2, one clear line, nothing recorded as completed.
#include <gtest/gtest.h>

#include <filesystem>

#include "results/store.h"
#include "tests/dataset_fixtures.h"
#include "tests/test_util.h"

namespace metabench {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

struct Workspace {
  TempDir dir;
  Workspace() {
    testing::write_tree(dir.file("data/omniglot"),
                        testing::omniglot_entries("images_background/",
                                                  {{"Alpha", 6}, {"Beta", 5}, {"Gamma", 5}}, 6));
    testing::write_fashion_mnist(dir.file("fashion"), "t10k", 8);
    testing::write_mini_imagenet(dir.file("data/mini-imagenet"), {5, 5, 5}, 4, 84);
  }
  std::vector<std::string> train(const std::string& algorithm) const {
    return {"run",         testing::source_path("configs/smoke/" + algorithm + ".yaml"),
            "--set",       "dataset=omniglot",
            "--set",       "data.sources=images_background",
            "--set",       "data.split=alphabets",
            "--set",       "data.train_alphabets=Alpha",
            "--set",       "data.val_alphabets=Beta",
            "--set",       "data.test_alphabets=Gamma",
            "--set",       "episode.queries=2",
            "--set",       "data.cache_dir=" + dir.file("cache"),
            "--set",       "runtime.progress=false",
            "--data-root", dir.file("data"),
            "--db",        db()};
  }
  std::string db() const { return dir.file("results/r.sqlite"); }
  int64_t count(const std::string& where) const {
    ResultsStore store(db(), ResultsStore::Access::kReadOnly);
    Statement s = store.database().prepare("SELECT count(*) FROM runs WHERE " + where);
    s.step();
    return s.column_int(0);
  }
};

TEST(Eval, ATrainedModelIsTestedOnFashionMnistAndLinkedToItsRun) {
  Workspace w;
  const auto trained = testing::run_metabench(w.train("protonet"));
  ASSERT_EQ(trained.exit_code, 0) << trained.output;
  const auto eval = testing::run_metabench(
      {"eval", "--run", "1", "--dataset",
       "fashion-mnist", "--set", "data.dir=" + w.dir.file("fashion"), "--set",
       "data.cache_dir=" + w.dir.file("cache"), "--set", "eval.test_episodes=30", "--db", w.db()});
  ASSERT_EQ(eval.exit_code, 0) << eval.output;
  EXPECT_NE(eval.output.find("run 2 completed: evaluation of"), std::string::npos) << eval.output;
  ResultsStore store(w.db(), ResultsStore::Access::kReadOnly);
  Statement s = store.database().prepare(
      "SELECT r.kind, r.source_run_id, r.dataset, r.algorithm, r.status, s.test_episodes, "
      "r.dataset_source_checksum, r.config_hash != (SELECT config_hash FROM runs WHERE run_id = "
      "1), (SELECT count(*) FROM test_episodes WHERE run_id = 2) FROM runs AS r JOIN "
      "run_results AS s USING (run_id) WHERE run_id = 2");
  ASSERT_TRUE(s.step());
  EXPECT_EQ(s.column_text(0), "eval");
  EXPECT_EQ(s.column_int(1), 1);
  EXPECT_EQ(s.column_text(2), "fashion-mnist");
  EXPECT_EQ(s.column_text(3), "protonet");
  EXPECT_EQ(s.column_text(4), "completed");
  EXPECT_EQ(s.column_int(5), 30);
  EXPECT_EQ(s.column_text(6).size(), 64u);
  EXPECT_EQ(s.column_int(7), 1);
  EXPECT_EQ(s.column_int(8), 30);

  const auto report = testing::run_metabench({"report", "--db", w.db()});
  ASSERT_EQ(report.exit_code, 0) << report.output;
  EXPECT_NE(report.output.find("## fashion-mnist, 5-way 1-shot"), std::string::npos);
  EXPECT_NE(report.output.find("| protonet (trained on omniglot) | "), std::string::npos)
      << report.output;
}

TEST(Eval, ACheckpointThatDoesNotFitTheDatasetIsRefusedBeforeRecording) {
  Workspace w;
  ASSERT_EQ(testing::run_metabench(w.train("maml")).exit_code, 0);
  const auto eval = testing::run_metabench(
      {"eval", "--run", "1", "--dataset",
       "mini-imagenet", "--data-root", w.dir.file("data"), "--set",
       "data.cache_dir=" + w.dir.file("cache"), "--db", w.db()});
  EXPECT_EQ(eval.exit_code, 2) << eval.output;
  EXPECT_NE(eval.output.find("does not fit dataset 'mini-imagenet'"), std::string::npos)
      << eval.output;
  EXPECT_EQ(w.count("1"), 1) << "nothing may be recorded for a refused evaluation";
  const auto missing = testing::run_metabench({"eval", "--checkpoint", w.dir.file("nope.ckpt"),
                                               "--dataset", "fashion-mnist", "--db", w.db()});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.output.find(w.dir.file("nope.ckpt")), std::string::npos);
}

TEST(DatasetErrors, BadFilesExitWith2AndRecordNothing) {
  Workspace w;
  // Too many ways for the test split.
  auto ways = w.train("protonet");
  ways.insert(ways.end(), {"--set", "episode.ways=30"});
  const auto too_few = testing::run_metabench(ways);
  EXPECT_EQ(too_few.exit_code, 2);
  EXPECT_NE(too_few.output.find("fewer than the 30 ways requested"), std::string::npos)
      << too_few.output;
  // A corrupted PNG.
  const std::string png =
      w.dir.file("data/omniglot/images_background/Beta/character02/0102_03.png");
  testing::write_bytes(png, "\x89PNG\r\n\x1a\n garbage");
  const auto corrupt = testing::run_metabench(w.train("protonet"));
  EXPECT_EQ(corrupt.exit_code, 2) << corrupt.output;
  EXPECT_NE(corrupt.output.find("metabench: error: '" + png + "' is not a readable image"),
            std::string::npos)
      << corrupt.output;
  // A CSV that names a missing image.
  fs::remove(w.dir.file("data/mini-imagenet/images/n0000100000000002.jpg"));
  auto args = w.train("protonet");
  args.push_back("--set");
  args.push_back("dataset=mini-imagenet");
  // data.* keys of omniglot do not exist for mini-imagenet: drop them.
  std::vector<std::string> kept;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--set" && args[i + 1].rfind("data.", 0) == 0 &&
        args[i + 1].rfind("data.cache_dir", 0) != 0) {
      ++i;
      continue;
    }
    kept.push_back(args[i]);
  }
  const auto csv = testing::run_metabench(kept);
  EXPECT_EQ(csv.exit_code, 2) << csv.output;
  EXPECT_NE(csv.output.find("train.csv' line 3 names image 'n0000100000000002.jpg'"),
            std::string::npos)
      << csv.output;
  if (fs::exists(w.db())) EXPECT_EQ(w.count("status = 'completed'"), 0);
}

}  // namespace
}  // namespace metabench
