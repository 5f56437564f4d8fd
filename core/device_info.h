// What metabench asks of an accelerator: its name and driver for the record,
// its free memory, and the peak memory a run allocated on it (from the CUDA
// caching allocator, the allocator LibTorch uses on NVIDIA GPUs).
//
// Built against a LibTorch with CUDA (METABENCH_CUDA), these ask the GPU;
// otherwise, as on a CPU, they return empty values, so callers need no
// #ifdef.
#pragma once

#include <c10/core/Device.h>

#include <string>

namespace metabench {

// "NVIDIA H200 (compute 9.0, 141 GiB), driver 12.4, runtime 12.1"; "" for CPU
// devices or a build without CUDA.
std::string device_description(const at::Device& device);

// Bytes free and in all on `device`; both 0 for the CPU.
struct DeviceMemory {
  double free_mb = 0, total_mb = 0;
};
DeviceMemory device_memory(const at::Device& device);

// Resets, then reads, the caching allocator's peak of allocated memory on
// `device` (MB); 0 for the CPU.
void reset_peak_device_memory(const at::Device& device);
double peak_device_memory_mb(const at::Device& device);

}  // namespace metabench
