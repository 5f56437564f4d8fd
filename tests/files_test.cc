// Starting programs without a shell and private temporary files.
#include "core/files.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "metabench/errors.h"
#include "tests/test_util.h"

namespace metabench {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

TEST(RunProgram, ArgumentsAreDataNotShell) {
  TempDir dir;
  const std::string log = dir.file("log");
  const std::string marker = dir.file("pwned");
  EXPECT_EQ(run_program({"echo", "a; touch " + marker, "$(touch " + marker + ")", "`id`"}, log), 0);
  EXPECT_FALSE(fs::exists(marker));
  EXPECT_EQ(read_file(log), "a; touch " + marker + " $(touch " + marker + ") `id`\n");
  EXPECT_EQ(run_program({"false"}, log), 1);
  try {
    run_program({"metabench-no-such-program"}, log);
    FAIL() << "expected UserError";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot start 'metabench-no-such-program'"),
              std::string::npos)
        << e.what();
  }
}

TEST(TempFiles, ArePrivateAndUnpredictable) {
  TempDir dir;
  const std::string a = make_temp_directory(dir.file("out"), ".metabench-plots");
  const std::string b = make_temp_directory(dir.file("out"), ".metabench-plots");
  EXPECT_NE(a, b);
  struct stat st {};
  ASSERT_EQ(stat(a.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  const std::string f = make_temp_file(dir.file("out"), ".metabench-cell", ".yaml", "seed: 1\n");
  EXPECT_EQ(f.substr(f.size() - 5), ".yaml");
  EXPECT_EQ(read_file(f), "seed: 1\n");
  ASSERT_EQ(stat(f.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

}  // namespace
}  // namespace metabench
