// GPU runs (runtime.device: cuda[:N]).  Where LibTorch sees no CUDA device
// (every CI machine, and a CPU build of LibTorch) the GPU tests skip saying
// so; the device names are checked everywhere.
#include <ATen/Context.h>
#include <gtest/gtest.h>

#include <cmath>

#include "core/device_info.h"
#include "harness/config/experiment_config.h"
#include "harness/run/experiment_runner.h"
#include "metabench/errors.h"
#include "results/sqlite.h"
#include "results/store.h"
#include "tests/test_util.h"

namespace metabench {
namespace {

using testing::run_metabench;
using testing::TempDir;

const char* kNoGpu =
    "LibTorch sees no CUDA device here (a CPU build of LibTorch, or no GPU): GPU runs are "
    "verified on a GPU machine (docs/gpu.md)";

TEST(Gpu, DeviceNamesAreCheckedWhenTheConfigIsResolved) {
  for (const char* good : {"cpu", "cuda", "cuda:0", "cuda:7"}) {
    EXPECT_NO_THROW(resolve_assignments({std::string("runtime.device=") + good})) << good;
  }
  // ("cuda:" alone is YAML for a mapping, refused as such when parsed.)
  EXPECT_THROW(resolve_assignments({"runtime.device=cuda:"}), ConfigError);
  for (const char* bad : {"gpu", "cuda:x", "cuda:-1", "cuda:123456", "CUDA"}) {
    try {
      resolve_assignments({std::string("runtime.device=") + bad});
      ADD_FAILURE() << bad << " accepted";
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("key 'runtime.device': expected cpu, cuda or cuda:N"),
                std::string::npos)
          << e.what();
    }
  }
}

TEST(Gpu, WithoutAGpuACudaRunIsRefusedBeforeAnythingIsRecorded) {
  if (at::hasCUDA()) GTEST_SKIP() << "this machine has a GPU";
  TempDir dir;
  const auto r = run_metabench({"run", testing::source_path("configs/smoke/protonet.yaml"),
                                "--db", dir.file("g.sqlite"), "--set", "runtime.device=cuda:1"});
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_NE(r.output.find("runtime.device is 'cuda:1' but this LibTorch sees no CUDA device"),
            std::string::npos)
      << r.output;
  EXPECT_EQ(device_description(at::Device(at::kCPU)), "");
  EXPECT_EQ(peak_device_memory_mb(at::Device(at::kCPU)), 0);
}

// On a GPU: the smoke run trains there, records the device's name and its
// peak memory, and reaches the CPU's accuracy within the two intervals.
TEST(Gpu, ASmokeRunOnTheGpuRecordsItsDeviceAndPeakMemoryAndMatchesTheCpu) {
  if (!at::hasCUDA()) GTEST_SKIP() << kNoGpu;
  TempDir dir;
  const std::string config = testing::source_path("configs/smoke/maml.yaml");
  for (const char* device : {"cpu", "cuda"}) {
    const auto r = run_metabench({"run", config, "--db", dir.file(std::string(device) + ".sqlite"),
                                  "--set", std::string("runtime.device=") + device});
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  auto read = [&](const std::string& name, std::string* device_name, double* peak, double* acc,
                  double* ci) {
    Database d(dir.file(name), Database::Mode::kReadOnly);
    Statement s = d.prepare(
        "SELECT coalesce(device_name, ''), peak_device_mb, test_accuracy, test_accuracy_ci95 "
        "FROM runs JOIN run_results USING (run_id)");
    ASSERT_TRUE(s.step());
    *device_name = s.column_text(0);
    *peak = s.column_double(1);
    *acc = s.column_double(2);
    *ci = s.column_double(3);
  };
  std::string cpu_name, gpu_name;
  double cpu_peak = 0, gpu_peak = 0, cpu_acc = 0, gpu_acc = 0, cpu_ci = 0, gpu_ci = 0;
  read("cpu.sqlite", &cpu_name, &cpu_peak, &cpu_acc, &cpu_ci);
  read("cuda.sqlite", &gpu_name, &gpu_peak, &gpu_acc, &gpu_ci);
  EXPECT_EQ(cpu_name, "");
  EXPECT_EQ(cpu_peak, 0);
  EXPECT_NE(gpu_name.find("driver"), std::string::npos) << gpu_name;
  EXPECT_GT(gpu_peak, 0);
  EXPECT_LE(std::abs(gpu_acc - cpu_acc), cpu_ci + gpu_ci);
}

}  // namespace
}  // namespace metabench
