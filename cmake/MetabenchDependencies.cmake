# Finds metabench's dependencies.  LibTorch is Debian's libtorch-dev by
# default; pass -DCMAKE_PREFIX_PATH=/path/to/libtorch (or a CUDA PyTorch's
# torch.utils.cmake_prefix_path) to build against another one.
#
# metabench::torch_deps carries what metabench's public headers need (LibTorch
# and yaml-cpp); plugins get it through metabench::metabench.
find_package(Torch REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(Boost REQUIRED COMPONENTS program_options)
find_package(SQLite3 REQUIRED)
find_package(Threads REQUIRED)
# Dataset readers and the downloader (private to libmetabench).
find_package(LibArchive REQUIRED)
find_package(CURL REQUIRED)
find_package(ZLIB REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(STB REQUIRED IMPORTED_TARGET stb)

# c10d's Gloo process group (one run over several processes, `run --nproc`):
# LibTorch has it compiled in, and its header needs Gloo's (libgloo-dev).
# Without them the build still works and --nproc explains what is missing.
find_path(METABENCH_GLOO_INCLUDE_DIR gloo/rendezvous/store.h)
find_library(METABENCH_GLOO_LIBRARY gloo)
find_file(METABENCH_C10D_GLOO_HEADER torch/csrc/distributed/c10d/ProcessGroupGloo.hpp
          PATHS ${TORCH_INCLUDE_DIRS} NO_DEFAULT_PATH)
if(NOT METABENCH_C10D_GLOO_HEADER)
  find_file(METABENCH_C10D_GLOO_HEADER torch/csrc/distributed/c10d/ProcessGroupGloo.hpp)
endif()
if(METABENCH_GLOO_INCLUDE_DIR AND METABENCH_GLOO_LIBRARY AND METABENCH_C10D_GLOO_HEADER)
  set(METABENCH_C10D_GLOO ON)
  message(STATUS "c10d with Gloo: ${METABENCH_GLOO_LIBRARY}")
else()
  set(METABENCH_C10D_GLOO OFF)
  message(STATUS "c10d with Gloo: not found (install libgloo-dev); run --nproc is disabled")
endif()

# A LibTorch with CUDA (a CUDA PyTorch's, docs/gpu.md): device memory and
# names through the CUDA caching allocator and runtime (core/device_info.cc).
set(METABENCH_CUDA OFF)
if(TARGET c10_cuda OR TORCH_CUDA_LIBRARIES)
  set(METABENCH_CUDA ON)
  message(STATUS "LibTorch with CUDA: GPU runs enabled")
endif()
# Debian's yaml-cpp and Boost use the C++11 string ABI; a LibTorch built
# with the old one (pre-2.7 PyTorch wheels) cannot be linked with them.
if(TORCH_CXX_FLAGS MATCHES "_GLIBCXX_USE_CXX11_ABI=0")
  message(FATAL_ERROR
    "this LibTorch (${Torch_DIR}) uses the pre-C++11 std::string ABI "
    "(-D_GLIBCXX_USE_CXX11_ABI=0), but this system's yaml-cpp and Boost use the C++11 one, so "
    "they cannot be linked together.  Use a LibTorch with the C++11 ABI: PyTorch 2.7 or later "
    "from pip, or the 'cxx11 ABI' LibTorch archive from pytorch.org (docs/gpu.md).")
endif()

add_library(metabench_torch_deps INTERFACE)
add_library(metabench::torch_deps ALIAS metabench_torch_deps)
set_target_properties(metabench_torch_deps PROPERTIES EXPORT_NAME torch_deps)
target_link_libraries(metabench_torch_deps INTERFACE ${TORCH_LIBRARIES} yaml-cpp Threads::Threads)
target_include_directories(metabench_torch_deps INTERFACE ${TORCH_INCLUDE_DIRS})
if(TORCH_CXX_FLAGS)
  separate_arguments(_metabench_torch_flags UNIX_COMMAND "${TORCH_CXX_FLAGS}")
  target_compile_options(metabench_torch_deps INTERFACE ${_metabench_torch_flags})
endif()
# at::parallel_for is inline in ATen's headers: with a LibTorch built on
# OpenMP (ATen/Config.h: AT_PARALLEL_OPENMP) it is a `#pragma omp parallel`
# in metabench's own code, which runs on one thread unless compiled with
# OpenMP.  Until 2026-12-06 it was not: metabench's kernels (nn/) ran
# serially beside LibTorch's two threads.  GCC's OpenMP is libgomp, the
# runtime LibTorch itself uses; another compiler's (clang's libomp) would
# put a second runtime in the process, so it is used with GCC only.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  find_package(OpenMP)
endif()
set(METABENCH_USES_OPENMP FALSE)  # metabenchConfig.cmake.in
if(OpenMP_CXX_FOUND)
  target_link_libraries(metabench_torch_deps INTERFACE OpenMP::OpenMP_CXX)
  set(METABENCH_USES_OPENMP TRUE)
  set(METABENCH_OPENMP "OpenMP ${OpenMP_CXX_VERSION}")
else()
  set(METABENCH_OPENMP "none (metabench's own kernels run on one thread)")
endif()
message(STATUS "metabench: OpenMP for at::parallel_for in metabench's kernels: ${METABENCH_OPENMP}")

# tcmalloc for the executables.  glibc malloc hands LibTorch's large,
# short-lived activation buffers back to the kernel and faults them in again
# on the next allocation; on a MAML meta-iteration that costs about 30% of
# the time (docs/performance.md).  Linking is enough: tcmalloc replaces
# malloc for the whole process.  -DMETABENCH_TCMALLOC=OFF keeps glibc.
option(METABENCH_TCMALLOC "Link the executables with tcmalloc when it is installed" ON)
set(METABENCH_ALLOCATOR "glibc")
if(METABENCH_TCMALLOC)
  find_library(METABENCH_TCMALLOC_LIBRARY NAMES tcmalloc_minimal libtcmalloc_minimal.so.4)
  if(METABENCH_TCMALLOC_LIBRARY)
    set(METABENCH_ALLOCATOR "tcmalloc")
  else()
    message(STATUS "tcmalloc not found (Debian: libtcmalloc-minimal4): using glibc malloc")
  endif()
endif()

# Makes `target` use the chosen allocator.  --no-as-needed: nothing references
# tcmalloc by name, so the linker would otherwise drop it.
function(metabench_use_allocator target)
  if(METABENCH_ALLOCATOR STREQUAL "tcmalloc")
    target_link_libraries(${target} PRIVATE -Wl,--no-as-needed ${METABENCH_TCMALLOC_LIBRARY}
                          -Wl,--as-needed)
  endif()
endfunction()
