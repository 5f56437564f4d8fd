// OpenBLAS's kernels (core/blas_core.h): which core a CPU's flags call
// for, and, through the real binary and the real OpenBLAS, who decides the
// core a run uses and that the run records it.  The process tests depend on
// what this machine's OpenBLAS detects by itself; where it detects the
// right core already there is nothing for `auto` to correct, and those say
// so when they skip.
#include "core/blas_core.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>

#include "core/system_info.h"
#include "results/sqlite.h"
#include "tests/test_util.h"

namespace metabench {
namespace {

TEST(BlasCore, TheMatchingCoreFollowsTheCpuFlags) {
  EXPECT_EQ(matching_openblas_core(
                {"fma", "avx2", "avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512_bf16"}),
            "COOPERLAKE");
  EXPECT_EQ(matching_openblas_core({"fma", "avx2", "avx512f", "avx512bw", "avx512dq", "avx512vl"}),
            "SKYLAKEX");
  // AVX-512 without BW/DQ/VL (Xeon Phi) has no SKYLAKEX kernels.
  EXPECT_EQ(matching_openblas_core({"fma", "avx2", "avx512f"}), "HASWELL");
  EXPECT_EQ(matching_openblas_core({"avx2", "fma"}), "HASWELL");
  EXPECT_EQ(matching_openblas_core({"avx2"}), "");
  EXPECT_EQ(matching_openblas_core({"sse4_2", "avx"}), "");
  EXPECT_EQ(matching_openblas_core({}), "");
}

TEST(BlasCore, OnlyCoresWithoutAvx2KernelsCountAsFallbacks) {
  for (const char* old : {"Prescott", "PRESCOTT", "Nehalem", "Sandybridge", "Core2"}) {
    EXPECT_TRUE(is_pre_avx2_core(old)) << old;
  }
  for (const char* fit : {"Haswell", "SkylakeX", "Cooperlake", "Zen", "Excavator"}) {
    EXPECT_FALSE(is_pre_avx2_core(fit)) << fit;
  }
}

std::string recorded_blas(const std::string& db) {
  Database d(db, Database::Mode::kReadOnly);
  Statement s = d.prepare("SELECT blas FROM runs ORDER BY run_id DESC LIMIT 1");
  return s.step() ? s.column_text("blas") : "";
}

size_t count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

// A short smoke run (matching networks: its cosine attention and LSTM run
// on BLAS GEMMs) recorded in `db`.
std::vector<std::string> short_run_args(const std::string& db,
                                        const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {"run",   testing::source_path("configs/smoke/matchingnet.yaml"),
                                   "--db",  db,
                                   "--set", "optim.iterations=5",
                                   "--set", "eval.test_episodes=40",
                                   "--set", "runtime.progress=false"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

testing::CommandResult short_run(const std::string& db,
                                 const std::vector<std::string>& extra = {}) {
  return testing::run_metabench(short_run_args(db, extra));
}

// What OpenBLAS detects on this machine by itself (this test process never
// overrides it), and what `auto` would choose instead; nullopt when `auto`
// has nothing to correct here.
bool user_set_coretype() {
  return std::getenv("OPENBLAS_CORETYPE") != nullptr &&
         std::getenv(testing::kCoretypeSetByTests) == nullptr;
}

std::optional<std::string> correction_here() {
  if (user_set_coretype()) return std::nullopt;
  const std::string core = openblas_core();
  const std::string wanted = matching_openblas_core(cpu_flags());
  if (core.empty() || !is_pre_avx2_core(core) || wanted.empty()) return std::nullopt;
  return wanted;
}

// A run's thread count reaches OpenBLAS's own pool, which at::set_num_threads
// leaves alone (its idle workers then spin on a core the run was not given).
TEST(BlasThreads, TheRunsThreadCountAppliesToLibTorchAndOpenBlas) {
  using GetThreads = int (*)();
  auto openblas_threads =
      reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  if (openblas_threads == nullptr) GTEST_SKIP() << "the loaded BLAS is not OpenBLAS";
  const int torch_before = at::get_num_threads(), blas_before = openblas_threads();
  set_compute_threads(1);
  EXPECT_EQ(at::get_num_threads(), 1);
  EXPECT_EQ(openblas_threads(), 1);
  set_compute_threads(2);
  EXPECT_EQ(at::get_num_threads(), 2);
  EXPECT_EQ(openblas_threads(), 2);
  set_compute_threads(torch_before);
  using SetThreads = void (*)(int);
  reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))(blas_before);
}

TEST(BlasCoreProcess, AutoReplacesAFallbackCoreSaysSoOnceAndRecordsIt) {
  const std::optional<std::string> wanted = correction_here();
  if (!wanted) {
    GTEST_SKIP() << "OpenBLAS runs its '" << openblas_core()
                 << "' kernels here by itself, which suit this CPU (or the user set "
                    "OPENBLAS_CORETYPE for the tests): auto has nothing to correct";
  }
  testing::TempDir dir;
  testing::ScopedEnv unset("OPENBLAS_CORETYPE", std::nullopt);  // as a user starts it
  // On a terminal, a note; in a log, none (a one-line error stays one line).
  const std::string shown = testing::run_on_terminal(short_run_args(dir.file("t.sqlite")));
  EXPECT_EQ(count(shown, "running with OPENBLAS_CORETYPE=" + *wanted), 1u) << shown;
  const testing::CommandResult r = short_run(dir.file("r.sqlite"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("running with OPENBLAS_CORETYPE"), std::string::npos) << r.output;
  for (const char* db : {"t.sqlite", "r.sqlite"}) {
    const std::string blas = recorded_blas(dir.file(db));
    EXPECT_NE(blas.find(", chosen by auto)"), std::string::npos) << blas;
    EXPECT_EQ(blas.find("core " + openblas_core() + ","), std::string::npos)
        << "still the fallback core: " << blas;
  }
}

TEST(BlasCoreProcess, TheUsersOpenblasCoretypeIsRespectedAndTheConfigOverridesIt) {
  if (openblas_core().empty()) GTEST_SKIP() << "the BLAS loaded here is not OpenBLAS";
  testing::TempDir dir;
  {
    testing::ScopedEnv env("OPENBLAS_CORETYPE", "NEHALEM");
    const testing::CommandResult r = short_run(dir.file("user.sqlite"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(r.output.find("running with OPENBLAS_CORETYPE"), std::string::npos) << r.output;
    EXPECT_NE(
        recorded_blas(dir.file("user.sqlite")).find("core Nehalem, chosen by OPENBLAS_CORETYPE)"),
        std::string::npos)
        << recorded_blas(dir.file("user.sqlite"));
    const testing::CommandResult c =
        short_run(dir.file("config.sqlite"), {"--set", "runtime.blas_coretype=CORE2"});
    ASSERT_EQ(c.exit_code, 0) << c.output;
    EXPECT_NE(recorded_blas(dir.file("config.sqlite"))
                  .find("core Core2, chosen by runtime.blas_coretype)"),
              std::string::npos)
        << recorded_blas(dir.file("config.sqlite"));
  }
  // `default` is OpenBLAS's own detection, whatever auto would choose.
  const testing::CommandResult d =
      short_run(dir.file("default.sqlite"), {"--set", "runtime.blas_coretype=default"});
  ASSERT_EQ(d.exit_code, 0) << d.output;
  EXPECT_EQ(d.output.find("running with OPENBLAS_CORETYPE"), std::string::npos) << d.output;
  const std::string blas = recorded_blas(dir.file("default.sqlite"));
  if (!user_set_coretype()) {  // this process loaded OpenBLAS's own choice
    EXPECT_NE(blas.find("core " + openblas_core() + ", chosen by"), std::string::npos) << blas;
  }
}

TEST(BlasCoreProcess, AnUnknownCoreIsAConfigErrorNamingTheKeyAndTheChoices) {
  testing::TempDir dir;
  const testing::CommandResult r =
      short_run(dir.file("r.sqlite"), {"--set", "runtime.blas_coretype=SKYLAKE"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("runtime.blas_coretype"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("SKYLAKEX"), std::string::npos) << "the choices: " << r.output;
  EXPECT_EQ(count(r.output, "\n"), 1u) << "one line: " << r.output;
}

double query_double(const std::string& db, const std::string& sql) {
  Database d(db, Database::Mode::kReadOnly);
  Statement s = d.prepare(sql);
  return s.step() ? s.column_double(0) : std::nan("");
}

// The chosen kernels change speed, not results: the same run on the
// fallback core and on the chosen one agree to float rounding.
TEST(BlasCoreProcess, TheChosenCoreGivesTheFallbackCoresResultsToFloatTolerance) {
  const std::optional<std::string> wanted = correction_here();
  if (!wanted) {
    GTEST_SKIP() << "OpenBLAS runs its '" << openblas_core()
                 << "' kernels here by itself: there is no fallback core to compare with";
  }
  testing::TempDir dir;
  const std::string fallback = dir.file("fallback.sqlite"), chosen = dir.file("chosen.sqlite");
  ASSERT_EQ(short_run(fallback, {"--set", "runtime.blas_coretype=default"}).exit_code, 0);
  {
    testing::ScopedEnv unset("OPENBLAS_CORETYPE", std::nullopt);  // auto chooses
    ASSERT_EQ(short_run(chosen).exit_code, 0);
  }
  ASSERT_NE(recorded_blas(chosen), recorded_blas(fallback));
  const char* kLoss = "SELECT sum(loss) FROM test_episodes";
  const char* kAccuracy = "SELECT sum(accuracy) FROM test_episodes";
  const double a = query_double(fallback, kLoss), b = query_double(chosen, kLoss);
  EXPECT_NEAR(a, b, 1e-4 * std::abs(a)) << "summed test losses over 40 episodes";
  EXPECT_NEAR(query_double(fallback, kAccuracy), query_double(chosen, kAccuracy), 0.05)
      << "summed accuracies: at most a query or two flipped";
}

}  // namespace
}  // namespace metabench
