"""
Title: Train the variants and compare them
Description: runs each script with the same flags (any the scripts take), --jobs at a time,
each with its share of the cores, its output in <output>/<script>.log, its progress on the
terminal; then tools/compare.py reports the results, the failures marked. Ctrl-C stops the
runs at their last finished epoch; the same command resumes them (docs/running.md).

    python -m tools.run_all --data aclImdb_v1.tar.gz --epochs 1 --max-samples 500
    python -m tools.run_all --seeds 7 1 2 3 4 --output results/seeds
"""

from __future__ import annotations

from imdb_lstm.quiet import keras  # noqa: F401 (first: Keras without TensorFlow's notices)

import argparse
import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imdb_lstm import cli, files, machine, threads
from imdb_lstm import flags as script_flags
from imdb_lstm.cli import INTERRUPTED, add_output_flag, duration, positive_int, seed_number, title
from imdb_lstm.errors import UserError
from imdb_lstm.paths import CHECKOUT, RunFiles, run_files
from imdb_lstm.progress import Reader
from imdb_lstm.results import finished, same_run
from imdb_lstm.variants import SCRIPTS, fastest_epoch_seconds
from tools import compare, processes
from tools.board import Board, interrupted_line, result_line
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
        "seeds; runs already done (the same run: docs/running.md) are skipped (default: one "
        "run)",
    )
    parser.add_argument(
        "--jobs",
        type=positive_int,
        metavar="N",
        help="runs at a time, each with its share of the CPU cores, its output in a log; 1 runs "
        "them one by one with Keras's progress bars (default: one per CPU core, 1 with a GPU)",
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
    """One training run."""

    script: str
    flags: list[str]
    output: Path
    name: str  # e.g. "lstm_basic seed 1"
    label: str = ""  # e.g. "[2/8] lstm_basic seed 1": its place in the sweep, its name

    @property
    def variant(self) -> str:
        return Path(self.script).stem

    @property
    def files(self) -> RunFiles:
        return run_files(self.output, self.variant)

    def with_seed(self, seed: int) -> Job:
        """This run with --seed `seed`, into <output>/<seed>/."""
        flags, output = [*self.flags, "--seed", str(seed)], self.output / str(seed)
        return Job(self.script, flags, output, f"{self.variant} seed {seed}")

    @property
    def done(self) -> bool:
        """Whether the run's results and model are in `output`, of the same run."""
        try:
            args = script_flags.script_args(self.script, self.flags)
        except (OSError, ValueError):  # no such script, or not one of the project's
            return False
        return finished(self.output, same_run(self.variant, args))


def numbered(jobs: list[Job]) -> list[Job]:
    """`jobs`, each labelled with its place among them."""
    for i, job in enumerate(jobs, start=1):
        job.label = f"[{i}/{len(jobs)}] {job.name}"
    return jobs


@dataclass
class Outcomes:
    results: dict[str, dict]  # by label: the runs that finished, their results
    unfinished: list[Job]  # failed, or interrupted (never started) if `stopped`
    stopped: bool  # by a signal


def default_jobs() -> int:
    """One run per CPU core; one at a time where a GPU trains (the runs would share it)."""
    return 1 if machine.gpu_names() else os.cpu_count() or 1


def thread_settings(jobs: int) -> dict[str, str]:
    """Each of `jobs` runs at once its share of the cores (one alone: the backend's own)."""
    return {} if jobs == 1 else threads.environment(max(1, (os.cpu_count() or 1) // jobs))


def longest_first(jobs: list[Job]) -> list[Job]:
    """So that the runs going at once finish at about the same time."""
    seconds = fastest_epoch_seconds()
    return sorted(jobs, key=lambda job: -seconds.get(job.variant, 0))


def run_script(job: Job, runs: LocalRuns) -> dict | None:
    """Runs one script; its results, or None if it failed or was stopped. Its previous
    results are set aside first: a failed run leaves none stale (and loses none)."""
    board, paths = runs.board, job.files
    previous = files.set_aside(paths.results)
    command = [sys.executable, str(CHECKOUT / job.script), *job.flags, "--output", str(job.output)]
    start = time.perf_counter()
    if runs.to_logs:
        job.output.mkdir(parents=True, exist_ok=True)
        paths.progress.unlink(missing_ok=True)
        board.say(f"{job.label} ... started, its output in {paths.log}")
        board.add(job.label, Reader(paths.progress).new_events)
        with open(paths.log, "wb") as output:
            command += ["--progress", str(paths.progress)]
            code = runs.call(command, stdout=output, stderr=subprocess.STDOUT)
    else:
        board.say(f"{job.label} ...")
        code = runs.call(command)
    elapsed = duration(time.perf_counter() - start)
    if code == 0 and not job.done:
        code = f"0, but it wrote no {paths.results} and model beside it"
    result = None
    if code == 0:
        previous.unlink(missing_ok=True)
        result = json.loads(paths.results.read_text())
        message = result_line(job.label, result, elapsed)
    elif runs.stopping:
        message = interrupted_line(job.label, elapsed)
    else:
        message = f"{job.label} ... FAILED (exit code {code}) after {elapsed}"
        message += f": see {paths.log}" if runs.to_logs else ""
    board.finish(job.label, message)
    paths.progress.unlink(missing_ok=True)
    return result


class LocalRuns(ThreadPoolExecutor):
    """Runs on this machine, a thread each: `start(job)` gives a Future of its results
    (None if it failed or was stopped), `stop(signum)` cancels the runs not started and
    passes the signal to those under way, `kill()` ends what is left; as ClusterRuns does
    on a Dask cluster. With `to_logs` each run's output goes to its log, else to the
    terminal (with Keras's own progress bars)."""

    def __init__(self, jobs: int, runs: int, board: Board, to_logs: bool) -> None:
        super().__init__(min(jobs, runs))
        self.jobs, self.board, self.to_logs = jobs, board, to_logs
        self.processes: set[subprocess.Popen] = set()
        self.stopping: int | None = None  # the signal that stops the sweep
        self.lock = threading.Lock()

    def start(self, job: Job) -> Future:
        return self.submit(run_script, job, self)

    def call(self, command: list[str], **streams: Any) -> int:
        """Runs a script as processes.start_run does, with its share of the cores and the
        checkout on its import path (for the scripts in extensions/: common.py); its exit
        code (minus the stop signal, without starting it, once the sweep is stopping)."""
        path = os.pathsep.join(filter(None, [str(CHECKOUT), os.environ.get("PYTHONPATH")]))
        environment = os.environ | thread_settings(self.jobs) | {"PYTHONPATH": path}
        with self.lock:
            if self.stopping:
                return -self.stopping
            process = processes.start_run(command, env=environment, **streams)
            self.processes.add(process)
        try:
            return process.wait()
        finally:
            with self.lock:
                self.processes.discard(process)

    def stop(self, signum: int) -> None:
        self.stopping = signum  # (before the signal: `call` starts no run after it)
        self.shutdown(wait=False, cancel_futures=True)
        self.kill(signum)

    def kill(self, signum: int = signal.SIGKILL) -> None:
        with self.lock:
            for process in self.processes:
                processes.signal_group(process, signum)


def wait_for(futures: list[Future], runs: LocalRuns | ClusterRuns, board: Board) -> bool:
    """Waits for the runs, the board refreshed; whether a signal stopped them. SIGINT and
    SIGTERM are noted, not raised wherever the main thread is: the first stops the runs,
    what is left STOP_SECONDS later, or at a second, is killed."""
    received: list[int] = []
    previous = {
        signum: signal.signal(signum, lambda signum, _: received.append(signum))
        for signum in processes.STOP_SIGNALS
    }
    deadline = None
    try:
        # (A future cancelled by the pool's shutdown is done, but never in wait's done.)
        while not all(future.done() for future in futures):
            wait(futures, timeout=0.5)
            if received and deadline is None:
                deadline = time.monotonic() + processes.STOP_SECONDS
                board.say(
                    f"stopping: the runs under way end at their last finished epoch (killed "
                    f"in {processes.STOP_SECONDS} s, or at once at a second Ctrl-C); the "
                    "runs not started are cancelled"
                )
                runs.stop(received[0])
            elif deadline is not None and (len(received) > 1 or time.monotonic() > deadline):
                runs.kill()
            board.refresh()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return bool(received)


def run_jobs(todo: list[Job], jobs: int, cluster: str | None = None) -> Outcomes:
    """Runs `todo`, `jobs` at a time, or on the Dask cluster at the address `cluster`."""
    if not todo:  # all done earlier: nothing to start, no cluster to reach
        return Outcomes({}, [], False)
    to_logs = jobs > 1 or bool(cluster)
    order = longest_first(todo) if to_logs else todo
    with Board(sys.stdout, live=to_logs and sys.stdout.isatty()) as board:
        if cluster:
            scripts = sorted({job.script for job in todo})
            runs: LocalRuns | ClusterRuns = ClusterRuns(cluster, board, scripts)
        else:
            runs = LocalRuns(jobs, len(todo), board, to_logs)
        with runs:
            futures = {job.label: runs.start(job) for job in order}
            stopped = wait_for(list(futures.values()), runs, board)
    done = {label: f.result() for label, f in futures.items() if not f.cancelled()}
    results = {label: result for label, result in done.items() if result is not None}
    return Outcomes(results, [job for job in todo if job.label not in results], stopped)


def unique(values: list, what: str) -> list:
    """`values` with each once, in order; one line for each given more than once (the
    same run twice at once would train into one folder)."""
    for value in dict.fromkeys(v for v in values if values.count(v) > 1):
        print(f"{what} {value} given {values.count(value)} times: it runs once", flush=True)
    return list(dict.fromkeys(values))


def check_flags(flags: list[str]) -> None:
    """The scripts' flags, parsed once by their own parser before any run starts: a wrong
    one is one line now, not a failed run per script after each has loaded Keras."""
    said = io.StringIO()
    try:
        with contextlib.redirect_stderr(said):
            script_flags.parse_args(None, flags, seed=0, epochs=1, batch_size=1)
    except SystemExit:
        error = said.getvalue().strip().splitlines()[-1].split("error: ", 1)[-1]
        raise UserError(f"{error} (the scripts' flags: python lstm_basic.py --help)") from None


def report_outcomes(outcomes: Outcomes, total: int) -> int:
    """The exit code, with one line on stderr unless every run finished: 130 (as a shell
    says of a Ctrl-C) if a signal stopped the sweep, 1 if any run failed."""
    if not outcomes.unfinished:
        return 0
    count = f"{len(outcomes.unfinished)} of {total}"
    names = ", ".join(job.name for job in outcomes.unfinished)
    if outcomes.stopped:
        said = f"interrupted: {count} runs did not finish ({names}); the same command resumes them"
        print(said, file=sys.stderr)
        return INTERRUPTED
    print(f"{count} failed: {names}", file=sys.stderr)
    return 1


def run_all(
    scripts: list[str],
    flags: list[str],
    output: Path,
    jobs: int = 1,
    cluster: str | None = None,
    seeds: list[int] | None = None,
) -> int:
    """Trains every script, or with `seeds` every script once per seed into <output>/<seed>/
    but the runs done earlier; then their report or, with none to report, the last report
    set aside (it cannot pass for this sweep's). The exit code."""
    runs = [Job(script, flags, output, script) for script in scripts]
    if seeds:
        runs = [job.with_seed(seed) for seed in seeds for job in runs]
    todo = []
    for job in numbered(runs):
        if seeds and job.done:
            print(f"{job.label} ... done earlier, skipped", flush=True)
        else:
            todo.append(job)
    # Of all runs asked for: a run resumed by the same command gets the same thread counts.
    outcomes = run_jobs(todo, min(jobs, len(runs)), cluster)
    if len(outcomes.unfinished) < len(runs):
        names = [job.name if seeds else job.variant for job in outcomes.unfinished]
        failed, interrupted = ([], names) if outcomes.stopped else (names, [])
        compare.compare(output, failed, interrupted, seeds=bool(seeds))
    else:
        for name in compare.OUTPUTS[bool(seeds)][1:]:
            files.set_aside(output / name)
    return report_outcomes(outcomes, len(runs))


def reproduce(script: str, flags: list[str], output: Path) -> int:
    """Runs `script` twice and compares test accuracy, test loss and training history."""
    jobs = numbered([Job(script, flags, output / f"reproduce-{i}", script) for i in (1, 2)])
    outcomes = run_jobs(jobs, 1)
    if outcomes.unfinished:
        return report_outcomes(outcomes, 2)
    runs = [outcomes.results[job.label] for job in jobs]
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
    check_flags(flags)
    if args.reproduce:
        return reproduce(args.reproduce, flags, output)
    scripts, seeds = unique(args.scripts, "script"), args.seeds and unique(args.seeds, "seed")
    return run_all(scripts, flags, output, args.jobs or default_jobs(), args.cluster, seeds)


if __name__ == "__main__":
    cli.run(lambda: sys.exit(main()))
