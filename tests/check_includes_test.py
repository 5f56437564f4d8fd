#!/usr/bin/env python3
"""The include check (scripts/check_includes.py) on fixture trees: it passes a
tree that follows the layering rule and fails, naming file, line and reason,
for each kind of forbidden include."""
import os
import subprocess
import sys
import tempfile
import unittest

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts",
                      "check_includes.py")


def make_tree(root, files):
    for path, text in files.items():
        full = os.path.join(root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write(text)


def run_check(root):
    r = subprocess.run([sys.executable, SCRIPT, "--root", root], capture_output=True, text=True)
    return r.returncode, r.stdout


# A small tree that follows the rule, one file per layer.
GOOD = {
    "include/metabench/errors.h": "#pragma once\n",
    "include/metabench/algorithm.h": '#include "metabench/errors.h"\n',
    "core/strings.h": '#include "metabench/errors.h"\n',
    "nn/conv4.cc": '#include "metabench/algorithm.h"\n#include "core/strings.h"\n',
    "algorithms/maml_style/maml_style.h": '#include "nn/conv4.cc"\n',
    "algorithms/anil/anil.cc": '#include "algorithms/maml_style/maml_style.h"\n',
    "algorithms/anil/anil_test.cc": '#include "harness/run/runner.h"\n#include "tests/util.h"\n',
    "datasets/omniglot.cc": '#include "core/strings.h"\n',
    "results/store.cc": '#include "core/strings.h"\n',
    "harness/config/config.h": '#include "results/store.cc"\n#include "datasets/omniglot.cc"\n',
    "harness/run/runner.h": '#include "harness/config/config.h"\n',
    "harness/cli/main.cc": '#include "harness/run/runner.h"\n',
    "tests/util.h": '#include "harness/cli/main.cc"\n',
    "examples/plugin/p.cc": '#include "metabench/algorithm.h"\n',
}


class CheckIncludes(unittest.TestCase):
    def test_a_tree_that_follows_the_rule_passes(self):
        with tempfile.TemporaryDirectory() as root:
            make_tree(root, GOOD)
            code, out = run_check(root)
            self.assertEqual(code, 0, out)
            self.assertEqual(out, "")

    def test_every_kind_of_forbidden_include_fails_with_its_reason(self):
        cases = {
            ("core/bad.h", '#include "harness/run/runner.h"\n'):
                "core/bad.h:1: includes \"harness/run/runner.h\": core/ (layer 0) may not include "
                "the higher layer harness/ (layer 3)",
            ("nn/bad.cc", '#include "datasets/omniglot.cc"\n'):
                "nn/ (layer 1) may not include the higher layer datasets/ (layer 2)",
            ("datasets/bad.cc", '#include "results/store.cc"\n'):
                "datasets/ may not include its sibling results/",
            ("results/bad.cc", '#include "algorithms/anil/anil.cc"\n'):
                "results/ may not include its sibling algorithms/",
            ("algorithms/maml/bad.cc", '#include "algorithms/anil/anil.cc"\n'):
                "algorithms/maml/ may not include another algorithm's internals (algorithms/anil/)",
            ("include/metabench/bad.h", '#include "core/strings.h"\n'):
                "a public header may include only other public headers",
            ("examples/plugin/bad.cc", '#include "core/strings.h"\n'):
                "an out-of-tree plugin may include only the public API",
            ("harness/config/bad.cc", '#include "harness/cli/main.cc"\n'):
                "harness/config/ may not include the higher harness/cli/",
            ("datasets/io/bad.cc", '#include "tests/util.h"\n'):
                "only tests include test code",
            ("core/missing.cc", '\n\n#include "core/nothing.h"\n'):
                'core/missing.cc:3: includes "core/nothing.h": no such file',
        }
        for (path, text), reason in cases.items():
            with self.subTest(path=path), tempfile.TemporaryDirectory() as root:
                make_tree(root, dict(GOOD, **{path: text}))
                code, out = run_check(root)
                self.assertEqual(code, 1, out)
                self.assertEqual(len(out.strip().splitlines()), 1, out)
                self.assertIn(reason, out)
                self.assertTrue(out.startswith(path + ":"), out)


if __name__ == "__main__":
    unittest.main()
