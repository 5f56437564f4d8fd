#!/usr/bin/env python3
"""Checks that every #include "..." in metabench follows the layering rule of
docs/architecture.md:

  layer 0  include/metabench/ (the public plugin API) and core/ (foundation)
  layer 1  nn/ (backbones and numeric kernels)
  layer 2  algorithms/, datasets/, results/ (siblings: none includes another)
  layer 3  harness/ (config < run < cli inside it)
  tests    tests/ and every *_test.cc: anything

A file may include headers of its own layer (its own folder) and of lower
layers.  Inside algorithms/, a folder includes only itself and the shared
family libraries, the folders named algorithms/*_style/ (maml_style/,
baseline_style/), which register nothing.  The public headers include only
each other, so that the installed include/metabench/ stands alone, and
examples/ (an out-of-tree plugin) includes only them.  Every quoted include
must name an existing file.

Usage: check_includes.py [--root DIR].  Prints one line per violation,
"file:line: includes X: reason", and exits 1 if there is any, else 0.
"""
import argparse
import os
import re
import sys

SOURCE_DIRS = ["include", "core", "nn", "algorithms", "datasets", "results", "harness", "tests",
               "examples"]
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')

# Layer of each top-level folder, and the folders each may include.
RANK = {"include": 0, "core": 0, "nn": 1, "algorithms": 2, "datasets": 2, "results": 2,
        "harness": 3}
HARNESS_ORDER = {"config": 0, "run": 1, "cli": 2}


def resolve(root, name):
    """The repository path an include names, or None if no file has it."""
    for candidate in (name, os.path.join("include", name)):
        if os.path.isfile(os.path.join(root, candidate)):
            return candidate.replace(os.sep, "/")
    return None


def folder_of(path):
    parts = path.split("/")
    return parts[0], parts[1] if len(parts) > 2 else ""


def violation(source, target):
    """Why `source` may not include `target` (repository paths), or None."""
    if source.startswith("tests/") or source.endswith("_test.cc"):
        return None
    top, sub = folder_of(source)
    ttop, tsub = folder_of(target)
    if top == "examples":
        return None if target.startswith("include/metabench/") else \
            "an out-of-tree plugin may include only the public API (metabench/...)"
    if ttop == "tests" or target.endswith("_test.cc"):
        return "only tests include test code"
    if top == "include":
        return None if target.startswith("include/metabench/") else \
            "a public header may include only other public headers (metabench/...)"
    if top not in RANK or ttop not in RANK:
        return "outside the layers (docs/architecture.md)"
    if RANK[ttop] > RANK[top]:
        return "%s/ (layer %d) may not include the higher layer %s/ (layer %d)" % (
            top, RANK[top], ttop, RANK[ttop])
    if RANK[ttop] == RANK[top] and ttop != top and {top, ttop} != {"include", "core"}:
        return "%s/ may not include its sibling %s/" % (top, ttop)
    if top == "core" and ttop == "include":
        return None
    if top == "include" and ttop == "core":
        return "a public header may not include the foundation's internals (core/)"
    if top == "algorithms" and ttop == "algorithms" and sub != tsub \
            and not tsub.endswith("_style"):
        return "algorithms/%s/ may not include another algorithm's internals (algorithms/%s/)" % (
            sub, tsub)
    if top == "harness" and ttop == "harness" and \
            HARNESS_ORDER.get(tsub, 0) > HARNESS_ORDER.get(sub, 0):
        return "harness/%s/ may not include the higher harness/%s/" % (sub, tsub)
    return None


def sources(root):
    for top in SOURCE_DIRS:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(("build", ".")))
            for f in sorted(filenames):
                if f.endswith((".h", ".cc")):
                    yield os.path.relpath(os.path.join(dirpath, f), root).replace(os.sep, "/")


def check(root):
    problems = []
    files = 0
    for source in sources(root):
        files += 1
        with open(os.path.join(root, source), encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                target = resolve(root, m.group(1))
                if target is None:
                    problems.append('%s:%d: includes "%s": no such file under the repository or '
                                    'include/' % (source, number, m.group(1)))
                    continue
                why = violation(source, target)
                if why:
                    problems.append('%s:%d: includes "%s": %s' % (source, number, m.group(1), why))
    return files, problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=os.path.join(os.path.dirname(__file__), ".."))
    args = parser.parse_args()
    files, problems = check(os.path.abspath(args.root))
    for p in problems:
        print(p)
    print("check_includes: %d files, %d layering violations" % (files, len(problems)),
          file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
