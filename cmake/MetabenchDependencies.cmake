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

add_library(metabench_torch_deps INTERFACE)
add_library(metabench::torch_deps ALIAS metabench_torch_deps)
set_target_properties(metabench_torch_deps PROPERTIES EXPORT_NAME torch_deps)
target_link_libraries(metabench_torch_deps INTERFACE ${TORCH_LIBRARIES} yaml-cpp Threads::Threads)
target_include_directories(metabench_torch_deps INTERFACE ${TORCH_INCLUDE_DIRS})
if(TORCH_CXX_FLAGS)
  separate_arguments(_metabench_torch_flags UNIX_COMMAND "${TORCH_CXX_FLAGS}")
  target_compile_options(metabench_torch_deps INTERFACE ${_metabench_torch_flags})
endif()
