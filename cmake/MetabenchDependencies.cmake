# Finds metabench's dependencies and gathers them in one interface target,
# metabench::deps.  LibTorch is Debian's libtorch-dev by default; pass
# -DCMAKE_PREFIX_PATH=/path/to/libtorch (or the CUDA PyTorch's
# torch.utils.cmake_prefix_path) to build against another one.
find_package(Torch REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(Boost REQUIRED COMPONENTS program_options)
find_package(SQLite3 REQUIRED)
find_package(Threads REQUIRED)

add_library(metabench_deps INTERFACE)
add_library(metabench::deps ALIAS metabench_deps)
target_link_libraries(metabench_deps INTERFACE
  ${TORCH_LIBRARIES} yaml-cpp Boost::program_options SQLite::SQLite3 Threads::Threads)
target_include_directories(metabench_deps INTERFACE ${TORCH_INCLUDE_DIRS})
if(TORCH_CXX_FLAGS)
  separate_arguments(_metabench_torch_flags UNIX_COMMAND "${TORCH_CXX_FLAGS}")
  target_compile_options(metabench_deps INTERFACE ${_metabench_torch_flags})
endif()
