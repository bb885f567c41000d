"""
Title: Time make seeds here against make seeds through a Dask cluster on this machine
Description: starts a Dask scheduler and two workers (--nthreads 1) on 127.0.0.1, then
trains the same small sweep alternately here (--jobs 2, one thread a run) and through
the cluster, --rounds times each, and writes every sweep's wall time, every run's times,
the overhead per run, the round trip of a task without training and, from it and the
committed full-data sweep's run times, an estimate of a full sweep's wall time on N such
machines to <output>/bench-cluster.json. Other flags go to tools/run_all.py.

    python -m tools.bench_cluster --data aclImdb_v1.tar.gz --max-samples 500 --epochs 1
"""

import common

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from imdb_lstm import files, machine
from imdb_lstm.cli import add_output_flag, add_rounds_flag, duration, title
from tools import run_all
from tools.bench_jobs import run_summary
from tools.cluster import connect

ROOT = Path(__file__).resolve().parent.parent
COMMITTED_SWEEP = ROOT / "docs" / "results" / "seeds"
MODEL_BYTES = 2_600_000  # about a .keras file of these models, the bulk of a run's result


# The page whose commands start a cluster: LocalDaskCluster runs them as written there.
CLUSTER_PAGE = ROOT / "docs" / "cluster.md"


def documented_command(start: str) -> str:
    """The command of docs/cluster.md's shell blocks that begins with `start`."""
    blocks = re.findall(r"```sh\n(.*?)```", CLUSTER_PAGE.read_text(), re.DOTALL)
    for line in (line for block in blocks for line in block.splitlines()):
        if line.startswith(start):
            return line
    raise ValueError(f"{CLUSTER_PAGE} has no command starting {start!r}")


class LocalDaskCluster:
    """A Dask scheduler and workers started by the very commands of docs/cluster.md, run
    from this checkout in a shell with no PYTHONPATH, plus options that keep them on
    127.0.0.1 (ephemeral ports, no dashboard) and name them; their logs in `folder`. All
    stopped on leaving the block. For the tests and this benchmark."""

    def __init__(self, folder: Path, nthreads: int = 1) -> None:
        self.folder, self.nthreads = Path(folder), nthreads
        self.workers: dict[str, subprocess.Popen] = {}

    def start(self, command: str, log: Path) -> subprocess.Popen:
        environment = os.environ | {"PYTHONDONTWRITEBYTECODE": "1"}
        environment.pop("PYTHONPATH", None)  # as the page has it: the task brings its code
        with open(log, "wb") as output:
            return subprocess.Popen(
                ["bash", "-c", f"exec {command}"],
                cwd=ROOT,
                env=environment,
                stdout=output,
                stderr=output,
                start_new_session=True,  # a worker and its nanny are killed together
            )

    def __enter__(self) -> "LocalDaskCluster":
        address_file = self.folder / "scheduler.json"
        command = documented_command(".venv/bin/dask scheduler").replace("--port 8786", "--port 0")
        command += f" --host 127.0.0.1 --no-dashboard --scheduler-file {address_file}"
        self.scheduler = self.start(command, self.folder / "scheduler.log")
        deadline = time.monotonic() + 60
        while not address_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        self.address = json.loads(address_file.read_text())["address"]
        return self

    def add_worker(self, name: str) -> subprocess.Popen:
        """One worker process, as the page's command starts one per core."""
        command = (
            documented_command(".venv/bin/dask worker")
            .replace("tcp://scheduler-host:8786", self.address)
            .replace("--nthreads 1", f"--nthreads {self.nthreads}")
            .replace("$(nproc)", "1")
        )
        command += f" --host 127.0.0.1 --no-dashboard --name {name}"
        command += f" --local-directory {self.folder / name}"
        self.workers[name] = self.start(command, self.folder / f"{name}.log")
        return self.workers[name]

    def kill_worker(self, name: str) -> None:
        """Kills the worker `name` (SIGKILL, its nanny too), as a machine lost would."""
        os.killpg(self.workers[name].pid, signal.SIGKILL)

    def __exit__(self, *_: object) -> None:
        for process in [*self.workers.values(), self.scheduler]:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=20)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def parse_args(argv: list[str] | None) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(
        description=title(__doc__), epilog="Other flags are passed to tools/run_all.py."
    )
    parser.add_argument(
        "--scripts",
        nargs="+",
        default=["lstm_basic.py", "cnn_lstm.py"],
        metavar="SCRIPT",
        help="the sweep's scripts (default: %(default)s)",
    )
    parser.add_argument(
        "--seeds",
        nargs="+",
        type=int,
        default=[1, 2],
        metavar="N",
        help="the sweep's seeds (default: %(default)s)",
    )
    add_rounds_flag(parser, 2, "sweeps of each kind, here first")
    add_output_flag(parser, "results/bench-cluster", "bench-cluster.json")
    return parser.parse_known_args(argv)


def time_sweep(args: argparse.Namespace, flags: list[str], output: Path, **where) -> dict:
    """One sweep, here or on a cluster (`where`: jobs=2, or cluster=ADDRESS)."""
    start = time.perf_counter()
    code = run_all.sweep(args.scripts, flags, output, args.seeds, jobs=2, **where)
    seconds = time.perf_counter() - start
    runs = {
        f"{Path(script).stem} seed {seed}": run_summary(
            output / str(seed) / f"{Path(script).stem}.json"
        )
        for seed in args.seeds
        for script in args.scripts
    }
    return {"exit_code": code, "wall_seconds": seconds, "runs": runs}


def machinery(address: str, trips: int = 10) -> dict:
    """The cluster's own cost, without training: connecting, and the round trip of a task
    whose result is a model's size (os.urandom: the workers import nothing for it)."""
    start = time.perf_counter()
    client = connect(address)
    connect_seconds = time.perf_counter() - start
    seconds = []
    for _ in range(trips):
        start = time.perf_counter()
        client.submit(os.urandom, MODEL_BYTES, pure=False).result()
        seconds.append(time.perf_counter() - start)
    client.close()
    return {
        "connect_seconds": connect_seconds,
        "result_bytes": MODEL_BYTES,
        "task_round_trip_seconds": seconds,
        "median_round_trip_seconds": statistics.median(seconds),
    }


def longest_first_wall(seconds: list[float], slots: int) -> float:
    """The wall time of runs of these lengths on `slots` at once, the longest first."""
    ends = [0.0] * slots
    for run in sorted(seconds, reverse=True):
        ends[ends.index(min(ends))] += run
    return max(ends)


def estimate(overhead: float, machines: list[int]) -> dict:
    """The committed full-data sweep's wall time on N machines like this one (two
    workers of one thread each), each run longer by `overhead` seconds."""
    runs = [
        run["train_seconds"] + run["evaluate_seconds"] + overhead
        for run in (json.loads(p.read_text()) for p in sorted(COMMITTED_SWEEP.glob("*/*.json")))
    ]
    return {
        "what": "an estimate, not a measurement: the committed sweep's "
        f"{len(runs)} run times (docs/results/seeds/), each plus {overhead:.2f} s "
        "(a task's measured round trip), placed longest first on 2 runs at once per machine",
        "hours_by_machines": {str(n): longest_first_wall(runs, 2 * n) / 3600 for n in machines},
    }


def main(argv: list[str] | None = None) -> int:
    args, flags = parse_args(argv)
    output = Path(args.output)
    sweeps: dict[str, list[dict]] = {"here": [], "cluster": []}
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as scratch:
        with LocalDaskCluster(Path(scratch)) as cluster:
            for name in ("w1", "w2"):
                cluster.add_worker(name)
            cost = machinery(cluster.address)
            for i in range(args.rounds):
                for kind, where in (("here", {}), ("cluster", {"cluster": cluster.address})):
                    print(f"--- round {i + 1}: the sweep {kind}", flush=True)
                    sweep = time_sweep(args, flags, Path(scratch, f"{kind}-{i}"), **where)
                    print(f"--- {kind}: {duration(sweep['wall_seconds'])}", flush=True)
                    sweeps[kind].append(sweep)
    runs = len(args.scripts) * len(args.seeds)
    walls = {kind: [s["wall_seconds"] for s in done] for kind, done in sweeps.items()}
    # Two runs at once either way: each run held its slot this much longer.
    overhead = (sum(walls["cluster"]) - sum(walls["here"])) / args.rounds / (runs / 2)
    report = {
        "what": "make seeds' sweep here (--jobs 2) and through a Dask scheduler and two "
        "workers (--nthreads 1) on 127.0.0.1, alternately",
        "scripts": args.scripts,
        "seeds": args.seeds,
        "flags": flags,
        "sweeps": sweeps,
        "overhead_seconds_per_run": overhead,
        "machinery": cost,
        "estimate": estimate(cost["median_round_trip_seconds"], [1, 2, 5, 10]),
        **machine.provenance(),
    }
    output.mkdir(parents=True, exist_ok=True)
    files.write_json(output / "bench-cluster.json", report)
    for kind, seconds in walls.items():
        print(f"{kind}: {', '.join(duration(s) for s in seconds)}")
    print(f"overhead per run: {overhead:.1f} s; a task's round trip without training: "
          f"{cost['median_round_trip_seconds'] * 1000:.0f} ms")  # fmt: skip
    print(f"Wrote {output / 'bench-cluster.json'}")
    failed = [s["exit_code"] for done in sweeps.values() for s in done]
    return max(failed)


if __name__ == "__main__":
    common.run(lambda: sys.exit(main()))
