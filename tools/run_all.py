"""
Title: Train the variants and compare them
Description: runs each script with the same flags (any flag the scripts take, e.g.
--data, --epochs, --max-samples), as many at once as the machine has CPU cores (--jobs),
the longest first, each with its share of the cores, its output in <output>/<script>.log
and one line of progress on the terminal. --jobs 1 runs them one after the other with
Keras's own progress bars. A script that fails does not stop the others; at the end the
failures are listed and the exit code is non-zero. tools/compare.py then builds
RESULTS.md and curves.png from this run's results, the failures marked. A run that was
interrupted resumes from its last finished epoch when started again.
With --reproduce SCRIPT it runs one script twice with the same seed instead and checks
that both runs give exactly the same results. With --seeds it trains every script once
per seed into <output>/<seed>/, skipping runs that are already done, and compares the
variants over seeds (SEEDS.md, seeds.png). With --cluster ADDRESS the runs train as tasks
on a Dask cluster instead, their results written here (tools/cluster.py).

    python -m tools.run_all --data aclImdb_v1.tar.gz --epochs 1 --max-samples 500
    python -m tools.run_all --seeds 7 1 2 3 4 --output results/seeds
"""

from imdb_lstm.quiet import keras  # noqa: F401 (first: Keras without TensorFlow's notices)

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from imdb_lstm import cli, files, machine, threads
from imdb_lstm import flags as script_flags
from imdb_lstm.cli import add_output_flag, duration, positive_int, seed_number, title
from imdb_lstm.paths import CHECKOUT, RunFiles, run_files
from imdb_lstm.results import finished, same_run
from imdb_lstm.variants import SCRIPTS, fastest_epoch_seconds
from tools import compare
from tools.board import Board
from tools.cluster import ClusterRuns


def parse_args(argv: list[str] | None) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(
        description=title(__doc__),
        epilog="Other flags are passed to every script: see python lstm_basic.py --help.",
        allow_abbrev=False,  # the scripts' --seed is theirs, not an abbreviation of --seeds
    )
    parser.add_argument(
        "--scripts",
        nargs="+",
        default=SCRIPTS,
        metavar="SCRIPT",
        help="scripts to run, in order (default: the four variants)",
    )
    parser.add_argument(
        "--reproduce",
        metavar="SCRIPT",
        help="run SCRIPT twice with the same flags and check the results are identical",
    )
    parser.add_argument(
        "--seeds",
        nargs="+",
        type=seed_number,
        metavar="N",
        help="train every script once per seed into <output>/<seed>/ and compare over "
        "seeds; runs already done with the same flags are skipped (default: one run)",
    )
    parser.add_argument(
        "--jobs",
        type=positive_int,
        metavar="N",
        help="runs at a time, each with its share of the CPU cores and its output in a "
        "log file; 1 runs them one after the other with Keras's progress bars (default: "
        "one per CPU core, or 1 where a GPU trains)",
    )
    parser.add_argument(
        "--cluster",
        metavar="ADDRESS",
        help="train each run as a task on the Dask cluster whose scheduler is at ADDRESS, "
        "e.g. tcp://host:8786, the results written here (docs/cluster.md; default: here)",
    )
    add_output_flag(parser, "results", "results, passed to the scripts")
    return parser.parse_known_args(argv)


@dataclass
class Job:
    """One training run: a script, its flags, where its results go, its label."""

    script: str
    flags: list[str]
    output: Path
    label: str

    @property
    def files(self) -> RunFiles:
        return run_files(self.output, Path(self.script).stem)

    @property
    def results(self) -> Path:
        return self.files.results

    @property
    def done(self) -> bool:
        """Whether the run's results and model are in `output`, from the same settings."""
        settings = same_run(
            Path(self.script).stem, script_flags.script_args(self.script, self.flags)
        )
        return finished(self.output, settings)


def default_jobs() -> int:
    """One run per CPU core; one at a time where a GPU trains (the runs would share it)."""
    return 1 if machine.gpu_names() else os.cpu_count() or 1


def thread_settings(jobs: int) -> dict[str, str]:
    """The environment that gives each of `jobs` runs at once its share of the cores (none
    for a run alone: the backend's defaults). Checkpoints and results record them."""
    return {} if jobs == 1 else threads.environment(max(1, (os.cpu_count() or 1) // jobs))


def script_environment(jobs: int) -> dict[str, str]:
    """A script's environment: its share of the cores, and the checkout on the import
    path so that the scripts in extensions/ find common.py."""
    path = os.pathsep.join(filter(None, [str(CHECKOUT), os.environ.get("PYTHONPATH")]))
    return os.environ | thread_settings(jobs) | {"PYTHONPATH": path}


def longest_first(jobs: list[Job]) -> list[Job]:
    """So that the runs going at once finish at about the same time."""
    seconds = fastest_epoch_seconds()
    return sorted(jobs, key=lambda job: -seconds.get(Path(job.script).stem, 0))


def run_script(job: Job, jobs: int = 1, board: Board | None = None) -> dict | None:
    """Runs one script; its results, or None if it failed. With a `board`, the script's
    output goes to <output>/<script>.log and its progress to the board.

    The script's previous results are set aside as <script>.json.previous first, so
    that a failed run leaves no stale results behind (and loses none)."""
    results = job.results
    previous = files.set_aside(results)
    command = [sys.executable, str(CHECKOUT / job.script), *job.flags, "--output", str(job.output)]
    start = time.perf_counter()
    if board is None:
        print(f"{job.label} ...", flush=True)
        code = subprocess.call(command, env=script_environment(jobs))
    else:
        job.output.mkdir(parents=True, exist_ok=True)
        log, progress = job.files.log, job.files.progress
        progress.unlink(missing_ok=True)
        board.say(f"{job.label} ... started, its output in {log}")
        board.add(job.label, progress)
        with open(log, "wb") as output:
            code = subprocess.call(
                [*command, "--progress", str(progress)],
                stdout=output,
                stderr=subprocess.STDOUT,
                env=script_environment(jobs),
            )
    elapsed = duration(time.perf_counter() - start)
    if code == 0 and not job.done:
        code = f"0, but it wrote no {results} and model beside it"
    if code == 0:
        previous.unlink(missing_ok=True)
        result = json.loads(results.read_text())
        message = f"{job.label} ... {result['test_accuracy'] * 100:.1f}% in {elapsed}"
    else:
        result = None
        message = f"{job.label} ... FAILED (exit code {code}) after {elapsed}"
    if board is None:
        print(message, flush=True)
    else:
        board.finish(job.label, message + (f": see {log}" if result is None else ""))
        progress.unlink(missing_ok=True)
    return result


class LocalRuns(ThreadPoolExecutor):
    """Runs on this machine, `jobs` at a time: `start(job)` gives a Future of its
    results, as ClusterRuns does on a Dask cluster."""

    def __init__(self, jobs: int, runs: int, board: Board) -> None:
        super().__init__(min(jobs, runs) or 1)
        self.jobs, self.board = jobs, board

    def start(self, job: Job) -> Future:
        return self.submit(run_script, job, self.jobs, self.board)


def run_jobs(todo: list[Job], jobs: int, cluster: str | None = None) -> list[str]:
    """Runs `todo`, `jobs` at a time (or on the Dask cluster at the address `cluster`); the
    labels of those that failed. `jobs` must not depend on which runs are left, so that
    a run resumed by the same command gets the thread counts it started with."""
    if not todo:  # all done earlier: nothing to start, no cluster to reach
        return []
    if jobs == 1 and not cluster:
        return [job.label for job in todo if run_script(job) is None]
    live = sys.stdout.isatty() and os.environ.get("TERM") != "dumb"
    order = longest_first(todo)
    with Board(sys.stdout, live) as board:
        if cluster:
            runs = ClusterRuns(cluster, board)
        else:
            runs = LocalRuns(jobs, len(todo), board)
        with runs:
            futures = [runs.start(job) for job in order]
            while wait(futures, timeout=1).not_done:
                board.refresh()
    outcomes = dict(zip((job.label for job in order), (f.result() for f in futures), strict=True))
    return [job.label for job in todo if outcomes[job.label] is None]


def report_failures(failed: list[str], total: int) -> int:
    """The exit code: 1 and the list of failures if any run failed."""
    if failed:
        print(f"{len(failed)} of {total} failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def run_all(
    scripts: list[str], flags: list[str], output: Path, jobs: int = 1, cluster: str | None = None
) -> int:
    todo = [
        Job(script, flags, output, f"[{i}/{len(scripts)}] {script}")
        for i, script in enumerate(scripts, start=1)
    ]
    failed = run_jobs(todo, min(jobs, len(scripts)), cluster)
    if len(failed) < len(scripts):
        failed_variants = [Path(job.script).stem for job in todo if job.label in failed]
        compare.compare(output, failed=failed_variants)
    return report_failures([job.script for job in todo if job.label in failed], len(scripts))


def sweep(
    scripts: list[str],
    flags: list[str],
    output: Path,
    seeds: list[int],
    jobs: int,
    cluster: str | None = None,
) -> int:
    """Every script once per seed, `jobs` at a time; then the comparison over seeds."""
    runs = [(seed, script) for seed in seeds for script in scripts]
    todo = []
    for i, (seed, script) in enumerate(runs, start=1):
        label = f"[{i}/{len(runs)}] {Path(script).stem} seed {seed}"
        job = Job(script, [*flags, "--seed", str(seed)], output / str(seed), label)
        if job.done:
            print(f"{label} ... done earlier, skipped", flush=True)
        else:
            todo.append(job)
    failed = run_jobs(todo, min(jobs, len(runs)), cluster)  # of all runs asked for, done or not
    if len(failed) < len(runs):
        compare.compare(output, seeds=True)
    return report_failures(failed, len(runs))


def reproduce(script: str, flags: list[str], output: Path) -> int:
    """Runs `script` twice and compares test accuracy, test loss and training history."""
    runs = [
        run_script(Job(script, flags, output / f"reproduce-{i}", f"[{i}/2] {script}"))
        for i in (1, 2)
    ]
    if None in runs:
        return 1
    keys = ["test_accuracy", "test_loss", "history"]
    different = [key for key in keys if runs[0][key] != runs[1][key]]
    for key in ["test_accuracy", "test_loss"]:
        print(f"{key:14s} run 1: {runs[0][key]!r:22}  run 2: {runs[1][key]!r}")
    if different:
        print(f"NOT reproducible: {', '.join(different)} differ", file=sys.stderr)
        return 1
    print("Reproducible: both runs gave identical test accuracy, test loss and history.")
    print(f"The same machine, for these numbers: {same_machine(runs[0])}.")
    return 0


def same_machine(run: dict) -> str:
    """What another run must share with `run` to give the same numbers (besides script,
    data, flags and seed): docs/reproducible.md."""
    threads = ", ".join(f"{pool} threads {n}" for pool, n in run.get("threads", {}).items())
    versions = ", ".join(f"{name} {v}" for name, v in run["versions"].items() if name != "backend")
    return f"{run['machine']}, {threads}, {versions}"


def main(argv: list[str] | None = None) -> int:
    args, flags = parse_args(argv)
    output = Path(args.output)
    if args.reproduce:
        return reproduce(args.reproduce, flags, output)
    jobs = args.jobs or default_jobs()
    if args.seeds:
        return sweep(args.scripts, flags, output, args.seeds, jobs, args.cluster)
    return run_all(args.scripts, flags, output, jobs, args.cluster)


if __name__ == "__main__":
    cli.run(lambda: sys.exit(main()))
