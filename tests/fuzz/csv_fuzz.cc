// The CSV readers: miniImageNet's split files and the published-results
// table's format (results/published_results.h).
#include "datasets/io/split_csv.h"
#include "results/published_results.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace metabench;
  const std::string input = fuzz::bytes(data, size);
  fuzz::expect_only_user_errors([&] { parse_split_csv(input, "fuzz.csv"); });
  return fuzz::expect_only_user_errors([&] { parse_published_csv(input, "fuzz.csv"); });
}
