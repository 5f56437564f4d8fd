#!/usr/bin/env python3
"""Tests cmake/build_info.cmake, which captures the code's identity on every
build, on fixture git trees: what counts as dirty (tracked changes and
untracked files), what changes the source digest (compiled-in sources and
build settings, not docs or tests), and that an unchanged tree leaves the
generated file untouched (so nothing recompiles)."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "cmake", "build_info.cmake")


def git(tree, *args):
    subprocess.run(["git", "-C", tree, *args], check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"})


def write(tree, path, text):
    full = os.path.join(tree, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w") as f:
        f.write(text)


class BuildInfoTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.tree = os.path.join(self.dir, "src")
        self.out = os.path.join(self.dir, "build_info.cc")
        write(self.tree, "CMakeLists.txt", "project(x)\n")
        write(self.tree, "core/a.cc", "int a() { return 1; }\n")
        write(self.tree, "docs/guide.md", "# guide\n")
        write(self.tree, "tests/a_test.cc", "// test\n")
        write(self.tree, ".gitignore", "/build/\n")
        git(self.tree, "init", "-q")
        git(self.tree, "add", "-A")
        git(self.tree, "commit", "-qm", "one")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def capture(self, build="GNU 12, Release", tree=None):
        subprocess.run(["cmake", "-DSOURCE_DIR=" + (tree or self.tree), "-DOUTPUT=" + self.out,
                        "-DVERSION=9.9.9", "-DBUILD=" + build, "-P", SCRIPT],
                       check=True, capture_output=True)
        with open(self.out) as f:
            text = f.read()
        m = re.search(r'\{"9\.9\.9", "([^"]*)", (\d) != 0, "([0-9a-f]{64})"', text)
        self.assertIsNotNone(m, text)
        return {"commit": m.group(1), "dirty": m.group(2) == "1", "digest": m.group(3)}

    def head(self):
        return subprocess.run(["git", "-C", self.tree, "rev-parse", "HEAD"], check=True,
                              capture_output=True, text=True).stdout.strip()

    def test_clean_tree_records_its_commit(self):
        info = self.capture()
        self.assertEqual(info["commit"], self.head())
        self.assertFalse(info["dirty"])

    def test_unchanged_tree_leaves_the_file_untouched(self):
        self.capture()
        before = os.stat(self.out).st_mtime_ns
        os.utime(self.out, ns=(before - 10**9, before - 10**9))
        self.capture()
        self.assertEqual(os.stat(self.out).st_mtime_ns, before - 10**9)

    def test_docs_and_tests_make_it_dirty_but_keep_the_digest(self):
        clean = self.capture()
        write(self.tree, "docs/guide.md", "# guide, edited\n")
        write(self.tree, "tests/a_test.cc", "// test, edited\n")
        edited = self.capture()
        self.assertTrue(edited["dirty"])
        self.assertEqual(edited["digest"], clean["digest"])
        git(self.tree, "commit", "-qam", "docs")
        committed = self.capture()
        self.assertFalse(committed["dirty"])
        self.assertNotEqual(committed["commit"], clean["commit"])
        self.assertEqual(committed["digest"], clean["digest"])

    def test_untracked_and_edited_sources_change_dirty_state_and_digest(self):
        clean = self.capture()
        write(self.tree, "core/new.cc", "int n() { return 2; }\n")
        untracked = self.capture()
        self.assertTrue(untracked["dirty"])
        self.assertNotEqual(untracked["digest"], clean["digest"])
        os.remove(os.path.join(self.tree, "core/new.cc"))
        self.assertEqual(self.capture(), clean)
        write(self.tree, "core/a.cc", "int a() { return 2; }\n")
        edited = self.capture()
        self.assertTrue(edited["dirty"])
        self.assertNotEqual(edited["digest"], clean["digest"])

    def test_ignored_files_do_not_count(self):
        clean = self.capture()
        write(self.tree, "build/core/generated.cc", "int g();\n")
        self.assertEqual(self.capture(), clean)

    def test_build_settings_are_part_of_the_digest(self):
        self.assertNotEqual(self.capture("GNU 12, Release")["digest"],
                            self.capture("GNU 12, Debug")["digest"])

    def test_outside_git_the_same_files_give_the_same_digest(self):
        clean = self.capture()
        copy = os.path.join(self.dir, "tarball")
        shutil.copytree(self.tree, copy, ignore=shutil.ignore_patterns(".git"))
        info = self.capture(tree=copy)
        self.assertEqual(info["commit"], "unknown")
        self.assertEqual(info["digest"], clean["digest"])


if __name__ == "__main__":
    sys.exit(unittest.main())
