"""The CUDA branches compile (issue 15: "all CUDA code builds" without a GPU).

Debian's LibTorch is a CPU build, so CMake never defines METABENCH_CUDA
here and the code behind `#if METABENCH_CUDA` would go uncompiled until a
GPU machine builds it.  This test compiles every source file with such a
branch with METABENCH_CUDA=1, syntax only, against Debian's c10/cuda
headers and the CUDA toolkit's runtime headers, with warnings as errors.
Linking needs a CUDA LibTorch and is left to the GPU build (docs/gpu.md).

Debian's headers lack c10/cuda/impl/cuda_cmake_macros.h, which PyTorch's
build generates; the test writes the one macro it defines into a private
include folder.  Exit 77 (skipped, saying why) without the toolkit headers.

usage: cuda_compile_test.py CXX SOURCE_DIR
"""
import os
import subprocess
import sys
import tempfile

CUDA_INCLUDE_CANDIDATES = ([os.environ["CUDA_HOME"] + "/include"] if os.environ.get("CUDA_HOME")
                           else []) + ["/usr/local/cuda/include", "/usr/include"]


def cuda_include():
    for d in CUDA_INCLUDE_CANDIDATES:
        if os.path.isfile(os.path.join(d, "cuda_runtime_api.h")):
            return d
    return None


def sources_with_cuda_branches(root):
    """Every .cc of the source tree, build folders and hidden ones aside."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith((".", "build"))]
        for name in files:
            if name.endswith(".cc"):
                path = os.path.join(folder, name)
                with open(path, encoding="utf-8", errors="replace") as f:
                    if "#if METABENCH_CUDA" in f.read():
                        found.append(path)
    return sorted(found)


def main():
    cxx, root = sys.argv[1], sys.argv[2]
    cuda = cuda_include()
    if cuda is None:
        print("skipped: no CUDA toolkit headers (cuda_runtime_api.h) in "
              + ", ".join(CUDA_INCLUDE_CANDIDATES)
              + "; set CUDA_HOME to compile the CUDA branches")
        return 77
    sources = sources_with_cuda_branches(root)
    if not sources:
        print("FAILED: no source file has a '#if METABENCH_CUDA' branch; "
              "update this test if the CUDA code moved")
        return 1
    failed = False
    with tempfile.TemporaryDirectory() as shim:
        impl = os.path.join(shim, "c10", "cuda", "impl")
        os.makedirs(impl)
        with open(os.path.join(impl, "cuda_cmake_macros.h"), "w") as f:
            f.write("#pragma once\n#define C10_CUDA_BUILD_SHARED_LIBS\n")
        for source in sources:
            cmd = [cxx, "-std=c++17", "-fsyntax-only", "-Wall", "-Werror", "-DMETABENCH_CUDA=1",
                   "-D_GLIBCXX_USE_CXX11_ABI=1", "-I", root, "-I", os.path.join(root, "include"),
                   "-isystem", "/usr/include/torch/csrc/api/include", "-isystem", shim,
                   "-isystem", cuda, source]
            r = subprocess.run(cmd, capture_output=True, text=True)
            rel = os.path.relpath(source, root)
            if r.returncode != 0:
                failed = True
                print(f"FAILED: {rel} does not compile with METABENCH_CUDA=1:\n{r.stderr}")
            else:
                print(f"ok: {rel} compiles with METABENCH_CUDA=1 against {cuda}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
