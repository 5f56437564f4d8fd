// --where: parsed into SQL with placeholders; values are bound, columns
// checked, errors name the position.
#include "results/where_clause.h"

#include <gtest/gtest.h>

#include "metabench/errors.h"

namespace metabench {
namespace {

const std::vector<std::string> kColumns = {"algorithm", "shots", "ways", "test_accuracy", "sweep"};

std::string error_of(const std::string& text) {
  try {
    parse_where(text, kColumns, 2);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(WhereClause, ConditionsBecomePlaceholdersWithBoundValues) {
  const WhereClause w = parse_where(
      "algorithm = 'ma''ml' and (shots >= 5 OR NOT ways IN (1, 2.5)) AND sweep IS NOT NULL",
      kColumns, 2);
  EXPECT_EQ(w.sql,
            "\"algorithm\" = ?2 AND (\"shots\" >= ?3 OR NOT \"ways\" IN (?4, ?5)) AND \"sweep\" IS "
            "NOT NULL");
  ASSERT_EQ(w.values.size(), 4u);
  EXPECT_EQ(std::get<std::string>(w.values[0]), "ma'ml");
  EXPECT_EQ(std::get<double>(w.values[1]), 5.0);
  EXPECT_EQ(std::get<double>(w.values[3]), 2.5);
  EXPECT_EQ(parse_where("test_accuracy > -1e2 AND algorithm LIKE 'pro%'", kColumns, 2).sql,
            "\"test_accuracy\" > ?2 AND \"algorithm\" LIKE ?3");
  EXPECT_EQ(parse_where("ways NOT IN (5)", kColumns, 2).sql, "\"ways\" NOT IN (?2)");
}

TEST(WhereClause, AnythingElseIsRefusedWithItsPosition) {
  EXPECT_EQ(error_of("shots = 1; DROP TABLE runs"),
            "--where 'shots = 1; DROP TABLE runs': at character 10, expected a column, a value, "
            "a comparison, AND, OR, NOT or a parenthesis, got ';'");
  EXPECT_NE(error_of("1 = 1").find("expected a column of run_summary"), std::string::npos);
  EXPECT_NE(error_of("shots = ways").find("expected a number or a 'quoted text', got 'ways'"),
            std::string::npos);
  EXPECT_NE(error_of("algorithm = 'open").find("a closing ' for the text"), std::string::npos);
  EXPECT_NE(error_of("(shots = 1").find("expected ')', got the end"), std::string::npos);
  EXPECT_NE(error_of("shots = 1 shots = 2").find("expected AND, OR or the end"), std::string::npos);
  EXPECT_NE(error_of("sqlite_master = 1").find("a column of run_summary"), std::string::npos);
  EXPECT_NE(error_of(std::string(40, '(') + "shots = 1" + std::string(40, ')'))
                .find("fewer than 32 nested parentheses"),
            std::string::npos);
  EXPECT_NE(error_of(std::string(5000, ' ')).find("at most 4096"), std::string::npos);
  // Regression (fuzz_where): a line break in the text stays out of the message.
  EXPECT_EQ(error_of("algorithm = 'a\nb").find('\n'), std::string::npos);
  EXPECT_NE(error_of("algorithm = 'a\nb").find("'algorithm = 'a\\x0Ab'"), std::string::npos)
      << error_of("algorithm = 'a\nb");
}

}  // namespace
}  // namespace metabench
