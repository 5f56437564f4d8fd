// METABENCH_ROW_KERNEL: how metabench's CPU kernels (nn/*_kernel.cc) mark
// the functions that do their inner loops, one row of a [rows, C] matrix
// each, called from at::parallel_for.
//
// Why a function a row, with __restrict pointers and the count by value:
// at::parallel_for is an OpenMP region, and inside it GCC 12 sees the
// lambda's captures through a pointer; a store (a uint8_t one above all,
// which may alias anything) then forces it to reload the count and the
// coefficient arrays on every iteration, and it vectorizes nothing.  In
// nn/bn_relu_pool_kernel.cc the scalar loops were most of the time.
//
// On x86-64 with GCC each such function is also compiled three times, for
// AVX-512 (x86-64-v4), AVX2 with FMA (x86-64-v3) and the baseline, and the
// loader picks the CPU's (an ifunc): the portable build is SSE2-only, two
// doubles a vector, and the kernels' sums run in double.  The builds the
// AVX-512 machines do not run are tested under emulation (CTest IsaClones).
// noinline keeps each clone a function of its own.
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define METABENCH_ROW_KERNEL \
  __attribute__((noinline, target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define METABENCH_ROW_KERNEL __attribute__((noinline))
#endif
