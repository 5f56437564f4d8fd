// OpenBLAS's choice of kernels, and runtime.blas_coretype.
//
// An OpenBLAS built with DYNAMIC_ARCH (Debian's) chooses its kernels from
// the CPU's identity when it is loaded.  On a CPU its tables do not know
// (an AVX-512 Xeon whose CPUID reports a generic model) it falls back to
// "Prescott", an SSE3 core: a float32 GEMM then runs 4x slower (measured
// 2026-12-01, docs/performance.md).  OPENBLAS_CORETYPE, read once when the
// library loads, overrides the choice; changing it therefore means starting
// the process again, which is what this file does, before anything is
// recorded.
//
// Who decides, first to last: runtime.blas_coretype when a run's config sets
// it to a core or to `default` (OpenBLAS's own detection); else an
// OPENBLAS_CORETYPE the user set (some systems set it because a kernel
// computes wrong results on their CPU); else `auto`: the core matching the
// CPU's flags when OpenBLAS fell back to a pre-AVX2 core on a CPU with AVX2.
#pragma once

#include <string>
#include <vector>

namespace metabench {

// The core OpenBLAS runs, as openblas_get_corename() spells it ("Prescott",
// "SkylakeX", "Haswell"); "" when the loaded BLAS is not OpenBLAS.
std::string openblas_core();

// The OPENBLAS_CORETYPE matching a CPU with these /proc/cpuinfo flags:
// COOPERLAKE for AVX-512 F, BW, DQ, VL and BF16; SKYLAKEX for AVX-512 F,
// BW, DQ and VL; HASWELL for AVX2 with FMA; "" for an older CPU.
std::string matching_openblas_core(const std::vector<std::string>& cpu_flags);

// Whether `core` (either spelling: "Prescott" or "PRESCOTT") is one of
// OpenBLAS's x86 cores without AVX2 kernels.
bool is_pre_avx2_core(const std::string& core);

// The values runtime.blas_coretype accepts: "auto", "default" and
// OpenBLAS's x86-64 core names (upper case, as OPENBLAS_CORETYPE takes them).
const std::vector<std::string>& blas_coretype_choices();

// Sets the threads a run computes with: LibTorch's intra-op pool
// (at::set_num_threads) and OpenBLAS's own.  The pthread build of OpenBLAS
// (Debian's) keeps a pool of one thread per CPU whatever OpenMP's count,
// and its idle workers spin on sched_yield for a while after every call:
// a run set to 1 thread kept a second core busy (perf, 2026-12-01), and two
// runs side by side (sweep --jobs 2) competed for the cores with each
// other's spinning workers.  No-op for OpenBLAS when the BLAS is another.
void set_compute_threads(int threads);

// Saves main()'s argv for the restarts below.  main() calls it first.
void save_argv_for_restart(int argc, char** argv);

// `auto`: when OPENBLAS_CORETYPE is unset and OpenBLAS fell back to a
// pre-AVX2 core on a CPU with AVX2, sets OPENBLAS_CORETYPE to the matching
// core, says so once on stderr (when it is a terminal; the run record says
// it anyway) and starts this program again with the same
// arguments (execv of /proc/self/exe; the pid stays).  Returns when there is
// nothing to do.  Processes this one starts inherit the choice and say
// nothing.  main() calls it for sweeps; runs and evaluations call it
// through apply_blas_coretype("auto"), once their config is known.
void choose_blas_core_automatically();

// Applies a run's runtime.blas_coretype before the run records anything:
// "auto" is choose_blas_core_automatically(); "default" restarts without
// OPENBLAS_CORETYPE unless OpenBLAS already runs its own choice; a core
// name restarts with OPENBLAS_CORETYPE set to it unless OpenBLAS runs it
// already.  Throws EnvironmentError when the BLAS is not OpenBLAS or, after
// the restart, OpenBLAS does not run the requested core (its CPU lacks the
// instructions).
void apply_blas_coretype(const std::string& value);

// How this process's core was chosen, for the run record and reports:
// "auto", "OPENBLAS_CORETYPE" (the user's environment), "runtime.blas_coretype"
// or "OpenBLAS" (its own detection).
std::string blas_core_source();

}  // namespace metabench
