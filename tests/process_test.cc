// core/process.h: process identities that survive pid reuse, UUIDs, the
// CPUs a process may use; core/files.h's atomic writes leave no temporary
// file behind, whether they succeed or fail.
#include "core/process.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <regex>
#include <set>

#include "core/files.h"
#include "metabench/errors.h"
#include "tests/test_util.h"

namespace metabench {
namespace {

TEST(Process, AGoneOrZombieProcessIsGoneAndALiveOneIsNot) {
  const std::string self = process_start_time(getpid());
  ASSERT_FALSE(self.empty());
  EXPECT_FALSE(process_gone(host_identity(), getpid(), self));
  EXPECT_TRUE(process_gone(host_identity(), getpid(), self + "1")) << "a reused pid";
  EXPECT_FALSE(process_gone("another-host/00000000", getpid(), "0"))
      << "another host's processes are never judged here";
  const pid_t zombie = fork();
  if (zombie == 0) _exit(0);
  // Not reaped yet: a zombie for a moment, then reaped: no process at all.
  for (int i = 0; i < 100 && !process_start_time(zombie).empty(); ++i) usleep(10000);
  EXPECT_TRUE(process_start_time(zombie).empty());
  waitpid(zombie, nullptr, 0);
  EXPECT_TRUE(process_gone(host_identity(), zombie, "1"));
}

TEST(Process, UuidsAreVersion4AndDistinct) {
  const std::regex form("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string u = random_uuid();
    ASSERT_TRUE(std::regex_match(u, form)) << u;
    seen.insert(u);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(Process, UsableCpusFollowAffinitySlurmAndOpenMp) {
  const metabench::testing::ScopedEnv restore_omp("OMP_NUM_THREADS", std::nullopt);
  const metabench::testing::ScopedEnv restore_slurm("SLURM_CPUS_PER_TASK", std::nullopt);
  std::string why;
  const int all = usable_cpus(&why);
  EXPECT_GE(all, 1);
  setenv("SLURM_CPUS_PER_TASK", "1", 1);
  EXPECT_EQ(usable_cpus(&why), 1);
  EXPECT_EQ(why, all > 1 ? "SLURM_CPUS_PER_TASK" : why);
  setenv("OMP_NUM_THREADS", "3", 1);
  EXPECT_EQ(usable_cpus(&why), 3);
  EXPECT_EQ(why, "OMP_NUM_THREADS");
  setenv("OMP_NUM_THREADS", "garbage", 1);
  EXPECT_EQ(usable_cpus(), 1);  // ignored; Slurm's 1 stands
  unsetenv("OMP_NUM_THREADS");
  unsetenv("SLURM_CPUS_PER_TASK");
  cpu_set_t one;
  CPU_ZERO(&one);
  cpu_set_t saved;
  ASSERT_EQ(sched_getaffinity(0, sizeof(saved), &saved), 0);
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &saved)) {
      CPU_SET(c, &one);
      break;
    }
  }
  ASSERT_EQ(sched_setaffinity(0, sizeof(one), &one), 0);
  EXPECT_EQ(usable_cpus(&why), 1);
  EXPECT_EQ(why, "CPU affinity");
  sched_setaffinity(0, sizeof(saved), &saved);
}

size_t entries(const std::string& dir) {
  size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) n += !e.path().empty();
  return n;
}

TEST(Files, AtomicWritesReplaceWholeFilesAndLeaveNoTemporaryFile) {
  testing::TempDir dir;
  write_file_atomically(dir.file("a.txt"), "first");
  write_file_atomically(dir.file("a.txt"), "second");
  EXPECT_EQ(testing::read_text(dir.file("a.txt")), "second");
  EXPECT_EQ(entries(dir.path()), 1u);
  // The rename fails (a folder is in the way): the old state stays, and
  // the temporary file is removed.
  std::filesystem::create_directory(dir.file("b.txt"));
  EXPECT_THROW(write_file_atomically(dir.file("b.txt"), "x"), UserError);
  EXPECT_TRUE(std::filesystem::is_directory(dir.file("b.txt")));
  EXPECT_EQ(entries(dir.path()), 2u);
  EXPECT_THROW(write_file_atomically(dir.file("missing/c.txt"), "x"), UserError);
}

}  // namespace
}  // namespace metabench
