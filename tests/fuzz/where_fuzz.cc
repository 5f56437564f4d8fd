// `metabench report --where` (results/where_clause.h): any text either is
// refused or becomes SQL whose placeholders match its values, which SQLite
// must then compile against run_summary's columns.
#include <string>

#include "results/where_clause.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace metabench;
  static const std::vector<std::string> columns = {"algorithm", "dataset",       "shots", "ways",
                                                   "seed",      "test_accuracy", "sweep", "status"};
  return fuzz::expect_only_user_errors([&] {
    const WhereClause w = parse_where(fuzz::bytes(data, size), columns, 2);
    size_t marks = 0;
    for (char c : w.sql) marks += c == '?';
    if (marks != w.values.size()) std::abort();
    for (char c : w.sql) {
      if (c == ';' || c == '\'') std::abort();  // values never reach the SQL text
    }
  });
}
