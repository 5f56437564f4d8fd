#include "core/device_info.h"

#if METABENCH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#include <cuda_runtime_api.h>

#include <cstdio>
#endif

namespace metabench {

#if METABENCH_CUDA

namespace {
int index_of(const at::Device& device) {
  if (device.has_index()) return device.index();
  int current = 0;
  cudaGetDevice(&current);
  return current;
}
}  // namespace

std::string device_description(const at::Device& device) {
  if (!device.is_cuda()) return "";
  cudaDeviceProp p{};
  if (cudaGetDeviceProperties(&p, index_of(device)) != cudaSuccess) return "";
  int driver = 0, runtime = 0;
  cudaDriverGetVersion(&driver);
  cudaRuntimeGetVersion(&runtime);
  char text[512];
  std::snprintf(text, sizeof(text), "%s (compute %d.%d, %.0f GiB), driver %d.%d, runtime %d.%d",
                p.name, p.major, p.minor, p.totalGlobalMem / 1073741824.0, driver / 1000,
                (driver % 1000) / 10, runtime / 1000, (runtime % 1000) / 10);
  return text;
}

DeviceMemory device_memory(const at::Device& device) {
  if (!device.is_cuda()) return {};
  int previous = 0;
  cudaGetDevice(&previous);
  cudaSetDevice(index_of(device));
  size_t free = 0, total = 0;
  const bool ok = cudaMemGetInfo(&free, &total) == cudaSuccess;
  cudaSetDevice(previous);
  if (!ok) return {};
  return DeviceMemory{free / 1048576.0, total / 1048576.0};
}

void reset_peak_device_memory(const at::Device& device) {
  if (device.is_cuda()) c10::cuda::CUDACachingAllocator::resetPeakStats(index_of(device));
}

double peak_device_memory_mb(const at::Device& device) {
  if (!device.is_cuda()) return 0;
  // Entry 0 is the aggregate over pool types (StatType::AGGREGATE), in
  // every LibTorch since 1.9; the type's namespace moved in 2.5, hence auto.
  const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(index_of(device));
  return static_cast<double>(stats.allocated_bytes[0].peak) / 1048576.0;
}

#else  // a LibTorch without CUDA: there is no accelerator to ask

std::string device_description(const at::Device&) { return ""; }
DeviceMemory device_memory(const at::Device&) { return {}; }
void reset_peak_device_memory(const at::Device&) {}
double peak_device_memory_mb(const at::Device&) { return 0; }

#endif

}  // namespace metabench
