"""Checkpoints and snapshots that Python opens: a ProtoNets run's best
checkpoint and its fixed test episodes, exported with `metabench data
episode`, reproduce every recorded test-episode accuracy in plain PyTorch
(examples/python/protonet_episode.py, the snippet in docs/checkpoints.md);
a kept snapshot opens with torch.load() too.

Usage: torch_load_test.py BUILD_DIR   (run by CTest with /usr/bin/python3)
"""
import os
import sqlite3
import subprocess
import sys
import tempfile

import torch

BUILD = sys.argv[1]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
METABENCH = os.path.join(BUILD, "metabench")
CONFIG = os.path.join(ROOT, "configs", "smoke", "protonet.yaml")
SNIPPET = os.path.join(ROOT, "examples", "python", "protonet_episode.py")


def run(*args):
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{' '.join(args)} exited {r.returncode}:\n{r.stdout}{r.stderr}")
    return r.stdout


def main():
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "p.sqlite")
        run(METABENCH, "run", CONFIG, "--db", db, "--set", "runtime.keep_snapshots=true")
        con = sqlite3.connect(db)
        checkpoint, snapshot = con.execute(
            "SELECT checkpoint_path, snapshot_path FROM runs").fetchone()
        recorded = dict(con.execute("SELECT episode_index, accuracy FROM test_episodes"))
        (iterations,) = con.execute("SELECT iterations FROM run_results").fetchone()
        con.close()
        assert len(recorded) == 20, recorded
        failures = []
        for index in range(5):
            episode = os.path.join(tmp, f"episode{index}.pt")
            run(METABENCH, "data", "episode", CONFIG, "--index", str(index), "--out", episode)
            out = run("/usr/bin/python3", SNIPPET, checkpoint, episode).strip()
            print(out)
            got = float(out.rsplit(" ", 1)[1])
            if abs(got - recorded[index]) > 1e-9:
                failures.append(f"episode {index}: PyTorch {got}, metabench {recorded[index]}")
        s = torch.load(snapshot)
        assert s["format"] == "metabench-snapshot", s["format"]
        assert s["iteration"] == iterations, (s["iteration"], iterations)
        assert set(s["training"]) == {"adam.m", "adam.v", "adam.steps"}, list(s["training"])
        assert s["state"]["block0.conv.weight"].shape == (16, 1, 3, 3), s["state"].keys()
        if failures:
            sys.exit("\n".join(failures))
        print("ok: 5 test episodes reproduced in PyTorch; the snapshot opens with torch.load")


if __name__ == "__main__":
    main()
