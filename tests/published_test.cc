// The published-results table: the embedded data parses, its entries carry
// the settings that decide comparability, and a malformed table is rejected
// with the line and column named.
#include <gtest/gtest.h>

#include <map>

#include "metabench/errors.h"
#include "results/published_results.h"

namespace metabench {
namespace {

using Settings = std::map<std::string, std::string>;  // a run's run_config rows

TEST(PublishedResults, EmbeddedTableParsesAndEveryEntryHasASource) {
  const auto& table = published_results();
  EXPECT_GE(table.size(), 40u);
  for (const auto& r : table) {
    EXPECT_FALSE(r.source.empty()) << r.algorithm;
    EXPECT_GT(r.accuracy, 0) << r.algorithm;
  }
}

TEST(PublishedResults, OnlyLikeForLikeSettingsMatch) {
  const auto proto_5way = find_published(
      "protonet", "omniglot", 5, 1,
      Settings({{"backbone", "conv4"}, {"model.width", "64"}, {"episode.train_ways", "5"}}));
  EXPECT_FALSE(proto_5way.result);
  EXPECT_EQ(proto_5way.differs,
            "Snell et al. 2017 (NeurIPS), Table 1 requires episode.train_ways=60 (this run: 5)");
  const auto proto_60way = find_published(
      "protonet", "omniglot", 5, 1,
      Settings({{"backbone", "conv4"}, {"model.width", "64"}, {"episode.train_ways", "60"}}));
  ASSERT_TRUE(proto_60way.result);
  EXPECT_DOUBLE_EQ(proto_60way.result->accuracy, 98.8);

  const auto matching = find_published("matchingnet", "mini-imagenet", 5, 5,
                                       Settings({{"backbone", "conv4"}, {"algo.fce", "false"}}));
  ASSERT_TRUE(matching.result);
  EXPECT_DOUBLE_EQ(matching.result->accuracy, 51.09);
  const auto unknown = find_published("maml", "omniglot-small", 5, 1, Settings({}));
  EXPECT_FALSE(unknown.result);
  EXPECT_TRUE(unknown.differs.empty());  // no paper reports this dataset
}

TEST(PublishedResults, MalformedTablesNameTheLineAndColumn) {
  const std::string header =
      "algorithm,dataset,ways,shots,requires,accuracy,spread,spread_kind,test_episodes,source,"
      "note\n";
  auto error_of = [](const std::string& text) {
    try {
      parse_published_csv(text, "t.csv");
    } catch (const UserError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error_of("# only a comment\n"), "t.csv: no header line");
  EXPECT_EQ(error_of("algorithm,dataset\n"), "t.csv:1: expected the header " +
                                                 header.substr(0, header.size() - 1) +
                                                 ", got 'algorithm,dataset'");
  EXPECT_EQ(error_of(header + "maml,omniglot,5,1,,98.7,0.4,ci95,,src\n"),
            "t.csv:2: expected 11 fields, got 10");
  EXPECT_EQ(error_of(header + "maml,omniglot,5,1,,high,0.4,ci95,,src,\n"),
            "t.csv:2: column 'accuracy': expected a number, got 'high'");
  EXPECT_EQ(error_of(header + "maml,omniglot,5,1,backbone,98.7,0.4,ci95,,src,\n"),
            "t.csv:2: column 'requires': expected KEY=VALUE items, got 'backbone'");
  EXPECT_EQ(error_of(header + "maml,omniglot,5,1,,98.7,0.4,sd,,src,\n"),
            "t.csv:2: column 'spread_kind': expected ci95_episodes, ci95, std_seeds or none, got "
            "'sd'");
  EXPECT_EQ(error_of(header + "maml,omniglot,5,1,,98.7,0.4,ci95,,\"src,\n"),
            "t.csv:2: unterminated quoted field");
  const auto ok = parse_published_csv(
      header + "maml,omniglot,5,1,a=1 b=x,98.7,0.4,ci95,600,\"Paper, \"\"T1\"\"\",n\n", "t.csv");
  ASSERT_EQ(ok.size(), 1u);
  EXPECT_EQ(ok[0].source, "Paper, \"T1\"");
  EXPECT_EQ(ok[0].required_text(), "a=1 b=x");
  EXPECT_EQ(ok[0].test_episodes, 600);
}

}  // namespace
}  // namespace metabench
