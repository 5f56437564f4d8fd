#!/usr/bin/python3
"""`metabench slurm` on a real Slurm cluster: Debian's munge, slurmctld and
slurmd, configured here as a one-node cluster on 127.0.0.1 and started by
this test (as root), then stopped again.

1. A 4-task array of the smoke sweep, merged with `metabench db merge`, has
   the same cells as the single-process sweep and, on CPU, bit-identical test
   results (every episode's accuracy and loss); merging again adds nothing.
2. A task requeued while it runs (Slurm sends SIGTERM, then runs the task
   again) records its run as interrupted and resumes its shard: every cell
   completed exactly once.

It fails, never skips, when Slurm cannot be started, unless
METABENCH_SKIP_SLURM=1 is set (a developer machine without root).

usage: tests/slurm_test.py BUILD_DIR
"""

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

SOURCE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def fail(message):
    print("slurm test: FAILED: " + message, flush=True)
    sys.exit(1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(argv, env, check=True, timeout=600):
    r = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        fail("%s exited %d:\n%s%s" % (" ".join(argv), r.returncode, r.stdout, r.stderr))
    return r


class Cluster:
    def __init__(self, root):
        self.root = root
        self.pids = []
        self.env = dict(os.environ, SLURM_CONF=os.path.join(root, "slurm.conf"))

    def start(self):
        for program in ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol"):
            if shutil.which(program) is None and not os.path.exists("/usr/sbin/" + program):
                fail("%s is not installed (bash scripts/setup.sh installs munge, slurmctld, "
                     "slurmd and slurm-client)" % program)
        if os.geteuid() != 0:
            fail("the Slurm daemons must be started as root (CI runs as root); "
                 "set METABENCH_SKIP_SLURM=1 to skip this test on a machine without root")
        r = self.root
        for d in ("munge", "state", "spool", "logs"):
            os.makedirs(os.path.join(r, d), mode=0o700, exist_ok=True)
        key = os.path.join(r, "munge", "munge.key")
        with open(key, "wb") as f:
            f.write(os.urandom(1024))
        os.chmod(key, 0o600)
        socket_path = os.path.join(r, "munge", "munge.socket")
        subprocess.run(["/usr/sbin/munged", "--force", "--key-file=" + key,
                        "--socket=" + socket_path,
                        "--pid-file=" + os.path.join(r, "munge", "munged.pid"),
                        "--log-file=" + os.path.join(r, "munge", "munged.log"),
                        "--seed-file=" + os.path.join(r, "munge", "seed")], check=True)
        self.pid_files = [os.path.join(r, "munge", "munged.pid")]
        host = socket.gethostname().split(".")[0]
        conf = "\n".join([
            "ClusterName=metabench-test",
            "SlurmctldHost=%s(127.0.0.1)" % host,
            "SlurmUser=root", "SlurmdUser=root",
            "AuthType=auth/munge", "CredType=cred/munge",
            "AuthInfo=socket=" + socket_path,
            "StateSaveLocation=" + os.path.join(r, "state"),
            "SlurmdSpoolDir=" + os.path.join(r, "spool"),
            "SlurmctldPidFile=" + os.path.join(r, "slurmctld.pid"),
            "SlurmdPidFile=" + os.path.join(r, "slurmd.pid"),
            "SlurmctldPort=%d" % free_port(), "SlurmdPort=%d" % free_port(),
            "SlurmctldLogFile=" + os.path.join(r, "logs", "slurmctld.log"),
            "SlurmdLogFile=" + os.path.join(r, "logs", "slurmd.log"),
            "ProctrackType=proctrack/linuxproc", "TaskPlugin=task/none",
            "SelectType=select/cons_tres", "SelectTypeParameters=CR_CPU",
            "SchedulerType=sched/builtin", "ReturnToService=2", "MpiDefault=none",
            "JobAcctGatherType=jobacct_gather/none",
            "AccountingStorageType=accounting_storage/none",
            "KillWait=10",
            "NodeName=%s NodeAddr=127.0.0.1 CPUs=%d State=UNKNOWN" % (host, os.cpu_count() or 1),
            "PartitionName=test Nodes=%s Default=YES MaxTime=INFINITE State=UP" % host,
        ]) + "\n"
        with open(self.env["SLURM_CONF"], "w") as f:
            f.write(conf)
        subprocess.run(["/usr/sbin/slurmctld", "-f", self.env["SLURM_CONF"]], check=True,
                       env=self.env)
        self.pid_files.append(os.path.join(r, "slurmctld.pid"))
        subprocess.run(["/usr/sbin/slurmd", "-f", self.env["SLURM_CONF"]], check=True,
                       env=self.env)
        self.pid_files.append(os.path.join(r, "slurmd.pid"))
        for _ in range(120):
            s = run(["sinfo", "-h", "-o", "%T"], self.env, check=False)
            if s.returncode == 0 and s.stdout.strip() == "idle":
                return
            time.sleep(0.5)
        fail("the one-node cluster did not become idle:\n" + self.logs())

    def logs(self):
        text = ""
        for name in ("slurmctld.log", "slurmd.log"):
            path = os.path.join(self.root, "logs", name)
            if os.path.exists(path):
                with open(path) as f:
                    text += "--- %s\n%s" % (name, "".join(f.readlines()[-30:]))
        return text

    def stop(self):
        for pid_file in reversed(getattr(self, "pid_files", [])):
            try:
                with open(pid_file) as f:
                    os.kill(int(f.read().strip()), 15)
            except (OSError, ValueError):
                pass
        time.sleep(1)

    def wait_for(self, job, timeout=480):
        deadline = time.time() + timeout
        while time.time() < deadline:
            q = run(["squeue", "-h", "-j", job, "-o", "%i %T"], self.env, check=False)
            if q.returncode == 0 and q.stdout.strip() == "":
                return
            time.sleep(1)
        fail("job %s did not finish in %d s:\n%s" % (job, timeout, self.logs()))


def results(db):
    """{config_hash: (test accuracy, loss, [(episode, accuracy, loss)])} of completed runs."""
    c = sqlite3.connect(db)
    out = {}
    for run_id, h, acc, loss in c.execute(
            "SELECT r.run_id, r.config_hash, s.test_accuracy, s.test_loss FROM runs r "
            "JOIN run_results s USING (run_id) WHERE r.status = 'completed'"):
        if h in out:
            fail("%s: cell %s completed twice" % (db, h))
        episodes = list(c.execute(
            "SELECT episode_index, accuracy, loss FROM test_episodes WHERE run_id = ? "
            "ORDER BY episode_index", (run_id,)))
        out[h] = (acc, loss, episodes)
    return out


def submitted_job(output):
    for word in output.split():
        if word.rstrip(":").isdigit():
            return word.rstrip(":")
    fail("no job id in:\n" + output)


def main():
    if os.environ.get("METABENCH_SKIP_SLURM") == "1":
        print("skipped: METABENCH_SKIP_SLURM=1")
        sys.exit(77)
    build = os.path.abspath(sys.argv[1])
    metabench = os.path.join(build, "metabench")
    root = tempfile.mkdtemp(prefix="metabench-slurm-")
    cluster = Cluster(root)
    try:
        cluster.start()
        env = cluster.env
        smoke = os.path.join(SOURCE, "configs", "sweeps", "smoke.yaml")
        db_dir = os.path.join(root, "results")

        # 1. A 4-task array, merged, against the single-process sweep.
        dry = run([metabench, "slurm", smoke, "--db-dir", db_dir, "--shards", "4",
                   "--cpus-per-task", "1", "--dry-run"], env)
        if "#SBATCH --array=0-3" not in dry.stdout or "--shard" not in dry.stdout:
            fail("the dry run's script lacks the array or the shard:\n" + dry.stdout)
        if os.path.exists(db_dir):
            fail("--dry-run wrote " + db_dir)
        t0 = time.time()
        sub = run([metabench, "slurm", smoke, "--db-dir", db_dir, "--shards", "4",
                   "--cpus-per-task", "1"], env)
        job = submitted_job(sub.stdout)
        if "metabench db merge" not in sub.stdout:
            fail("submission does not say how to merge:\n" + sub.stdout)
        cluster.wait_for(job)
        shards = [os.path.join(db_dir, "smoke-shard-%d-of-4.sqlite" % i) for i in range(4)]
        for s in shards:
            if not os.path.exists(s):
                logs = "".join(open(os.path.join(db_dir, "logs", f)).read()
                               for f in sorted(os.listdir(os.path.join(db_dir, "logs"))))
                fail("shard database %s is missing; task logs:\n%s" % (s, logs))
        merged = os.path.join(db_dir, "smoke.sqlite")
        m = run([metabench, "db", "merge", merged] + shards, env)
        if "6 run(s) added, 0 conflict(s)" not in m.stdout:
            fail("first merge:\n" + m.stdout)
        again = run([metabench, "db", "merge", merged] + shards, env)
        if "0 run(s) added" not in again.stdout:
            fail("merging again added runs:\n" + again.stdout)
        single = os.path.join(root, "single.sqlite")
        run([metabench, "sweep", smoke, "--db", single, "--set", "runtime.threads=1"], env)
        a, b = results(merged), results(single)
        if sorted(a) != sorted(b) or len(a) != 6:
            fail("cells differ: merged %s, single %s" % (sorted(a), sorted(b)))
        for h in a:
            if a[h] != b[h]:
                fail("cell %s: merged test results differ from the single-process sweep's" % h)
        check = run([metabench, "db", "check", merged], env)
        report = run([metabench, "report", "--db", merged], env)
        print("array of 4 tasks: %d cells, merged in %.1f s, bit-identical to the single "
              "sweep; merge is idempotent; db check: %s" %
              (len(a), time.time() - t0, check.stdout.strip().splitlines()[-1]), flush=True)
        del report

        # 2. A requeued task resumes its shard.
        slow = os.path.join(root, "slow.yaml")
        with open(slow, "w") as f:
            f.write("name: slow\nalgorithms:\n  - {name: protonet, config: %s, set: "
                    "{optim.iterations: 3000, eval.val_interval: 100}}\n"
                    "datasets: [synthetic-glyphs]\nseeds: [1, 2]\n" %
                    os.path.join(SOURCE, "configs", "smoke", "protonet.yaml"))
        sub = run([metabench, "slurm", slow, "--db-dir", db_dir, "--shards", "1",
                   "--cpus-per-task", "1"], env)
        job = submitted_job(sub.stdout)
        shard = os.path.join(db_dir, "slow-shard-0-of-1.sqlite")
        deadline = time.time() + 240
        while time.time() < deadline:
            try:
                c = sqlite3.connect(shard, timeout=10)
                # Training under way (a validation point recorded), not
                # the run's start: a SIGTERM before training has nothing
                # to snapshot, and the requeued task would rerun the cell
                # rather than resume it.  (A fixed sleep after the start
                # stopped sufficing when ProtoNets got faster.)
                n = c.execute("SELECT count(*) FROM runs JOIN learning_curve USING (run_id) "
                              "WHERE status = 'running'").fetchone()[0]
                c.close()
                if n >= 1:
                    break
            except sqlite3.Error:
                pass
            time.sleep(0.2)
        else:
            fail("the slow shard never started training a run:\n" + cluster.logs())
        t1 = time.time()
        run(["scontrol", "requeue", job], env)
        # A requeued job waits for a begin time Slurm sets in the future;
        # start it as soon as it is pending again.
        for _ in range(120):
            q = run(["squeue", "-h", "-j", job, "-o", "%T"], env, check=False)
            if q.stdout.strip() == "PENDING":
                run(["scontrol", "update", "JobId=" + job, "StartTime=now"], env, check=False)
                break
            time.sleep(0.5)
        cluster.wait_for(job)
        c = sqlite3.connect(shard)
        status = dict(c.execute("SELECT status, count(*) FROM runs GROUP BY status"))
        done = c.execute("SELECT count(DISTINCT config_hash) FROM runs WHERE status = "
                         "'completed'").fetchone()[0]
        # The run Slurm's SIGTERM interrupted continued from its snapshot in
        # its own row: no row is left interrupted, and one was resumed.
        resumed = c.execute("SELECT count(*) FROM runs WHERE resumes >= 1").fetchone()[0]
        if done != 2 or status != {"completed": 2} or resumed != 1:
            log_dir = os.path.join(db_dir, "logs")
            logs = "".join(open(os.path.join(log_dir, f)).read() for f in sorted(os.listdir(log_dir))
                           if f.startswith("metabench-slow"))
            fail("after the requeue: statuses %s, %d cells completed, %d resumed:\n%s"
                 % (status, done, resumed, logs))
        print("requeued task: statuses %s; every cell completed once; %.1f s from the requeue"
              % (status, time.time() - t1), flush=True)
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
    print("slurm test: passed")


if __name__ == "__main__":
    main()
