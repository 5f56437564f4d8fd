#!/usr/bin/python3
"""scripts/setup.sh: what each profile installs, and that it keeps a user's
choices.

1. On this machine (set up by scripts/test.sh), both profiles find every
   package installed and change nothing; an unknown profile is refused with
   exit 2.
2. With dpkg-query, apt-get and id replaced by recording stand-ins on PATH
   (so nothing is installed), from a given set of installed packages:
   - `run` asks for what building and running metabench needs (ca-certificates
     among it) and not the tests' PyTorch, SciPy, Chromium or Slurm; `test`
     asks for those too;
   - an installed alternative (gnuplot-qt, libcurl4-gnutls-dev) is accepted,
     and only when none is installed is the first (gnuplot-nox,
     libcurl4-openssl-dev) asked for;
   - apt-get always runs with --no-remove, so it can never remove a package.

usage: tests/setup_test.py
"""

import os
import stat
import subprocess
import sys
import tempfile

SOURCE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SETUP = os.path.join(SOURCE, "scripts", "setup.sh")
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL: " + message)


def run(args, env=None):
    return subprocess.run(["bash", SETUP] + args, capture_output=True, text=True, env=env)


def stubbed(profile, installed, folder):
    """Runs setup.sh with stand-ins; returns (result, apt-get calls)."""
    log = os.path.join(folder, "apt.log")
    if os.path.exists(log):
        os.remove(log)
    stubs = {
        "dpkg-query": '#!/bin/sh\nfor a; do p="$a"; done\n'
                      'case " $FAKE_INSTALLED " in *" $p "*) printf "install ok installed";; esac\n',
        "apt-get": '#!/bin/sh\necho "$@" >> "$FAKE_APT_LOG"\n',
        "id": "#!/bin/sh\necho 0\n",
    }
    for name, text in stubs.items():
        path = os.path.join(folder, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, stat.S_IRWXU)
    env = dict(os.environ, PATH=folder + ":" + os.environ["PATH"],
               FAKE_INSTALLED=" ".join(installed), FAKE_APT_LOG=log)
    result = run([profile], env)
    calls = open(log).read().splitlines() if os.path.exists(log) else []
    return result, calls


def install_call(calls):
    for c in calls:
        if c.split()[0] == "install":
            return c.split()
    return []


def main():
    for profile in ["run", "test"]:
        r = run([profile])
        check(r.returncode == 0 and "are installed" in r.stdout,
              "on the set-up machine, '%s' should find everything installed: %s%s"
              % (profile, r.stdout, r.stderr))
    r = run(["bogus"])
    check(r.returncode == 2 and "unknown profile 'bogus'" in r.stderr,
          "an unknown profile should exit 2 naming it: %d %s" % (r.returncode, r.stderr))

    with tempfile.TemporaryDirectory() as folder:
        r, calls = stubbed("run", [], folder)
        asked = install_call(calls)
        check(r.returncode == 0, "run with nothing installed: " + r.stderr)
        check("--no-remove" in asked, "apt-get install without --no-remove: %s" % asked)
        for p in ["libtorch-dev", "ca-certificates", "gnuplot-nox", "libcurl4-openssl-dev",
                  "libyaml-cpp-dev"]:
            check(p in asked, "run should install %s: %s" % (p, asked))
        for p in ["python3-torch", "chromium", "slurmd", "libgtest-dev", "clang"]:
            check(p not in asked, "run should not install %s: %s" % (p, asked))

        r, calls = stubbed("test", [], folder)
        asked = install_call(calls)
        for p in ["python3-torch", "python3-scipy", "chromium", "slurmd", "libgtest-dev",
                  "libtorch-dev"]:
            check(p in asked, "test should install %s: %s" % (p, asked))

        r, calls = stubbed("run", ["gnuplot-qt", "libcurl4-gnutls-dev"], folder)
        asked = install_call(calls)
        for p in ["gnuplot-nox", "libcurl4-openssl-dev"]:
            check(p not in asked, "an installed alternative should keep %s out: %s" % (p, asked))
        check("libtorch-dev" in asked, "the rest is still installed: %s" % asked)

    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("setup.sh: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
