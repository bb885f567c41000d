"""
Title: Training runs as tasks on a Dask cluster
Description: what `make run-all` and `make seeds` do with CLUSTER=tcp://host:8786
(tools.run_all --cluster): each run is one Dask task, its script trained in a subprocess
of a worker with the worker's --nthreads as its thread counts; its progress comes back
through Dask's events and its results, log and model come back as the task's result and
are written into the driver's output folder atomically. A run whose worker dies is
retried on another (Dask's own resilience); the driver counts each run once, when its
task's result arrives. docs/cluster.md has the commands.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imdb_lstm import files, threads
from imdb_lstm.cli import duration
from imdb_lstm.errors import UserError
from imdb_lstm.paths import run_files
from imdb_lstm.progress import Reader
from tools.board import Board

# Long enough for a scheduler across a network, short enough that a wrong or missing
# one is said well within half a minute.
CONNECT_SECONDS = 10
# In an output folder the driver shares with a worker: proves it is the same folder.
SHARED_MARK = ".imdb-lstm-cluster"


@dataclass(frozen=True)
class Task:
    """All a worker needs to train one run, as plain data."""

    label: str
    script: str  # relative to the checkout the worker was started in, or absolute
    flags: list[str]
    output: str  # the driver's folder: the worker trains in it if it sees the same one
    mark: str  # what SHARED_MARK holds there
    threads: int  # the --nthreads of the workers the environment was made for
    environment: dict[str, str]  # the thread settings and the Keras backend
    topic: str  # the Dask event topic the run's progress goes to


# ---------------------------------------------------------------------------
# On the worker


def train(task: Task) -> dict[str, Any]:
    """Runs the task's script in a subprocess of this worker, its progress sent to the
    driver as it comes; its exit code, worker, seconds and files (results, model, log)."""
    from distributed import get_worker

    worker = get_worker()
    name = str(worker.name)
    refusal = check_worker(task, worker.state.nthreads, name)
    if refusal:
        return {"worker": name, "error": refusal}
    shared = Path(task.output, SHARED_MARK).is_file() and (
        Path(task.output, SHARED_MARK).read_text() == task.mark
    )
    # ("worker" is the scheduler's: it puts the worker's address there.)
    worker.log_event(task.topic, {"label": task.label, "on": name, "shared": shared})
    stem = Path(task.script).stem
    with tempfile.TemporaryDirectory(prefix="imdb-lstm-run-") as scratch:
        # In a shared folder the run checkpoints where a retry elsewhere finds it.
        output = Path(task.output) if shared else Path(scratch)
        kept_here = run_files(Path(scratch), stem)
        progress, log = kept_here.progress, kept_here.log
        command = [sys.executable, task.script, *task.flags, "--output", str(output)]
        command += ["--progress", str(progress)]
        environment = os.environ | task.environment | {"PYTHONPATH": os.getcwd()}

        def send(event: dict[str, Any]) -> None:
            worker.log_event(task.topic, {"label": task.label, "progress": event})

        start = time.perf_counter()
        code = run_sending_progress(command, environment, log, progress, send)
        made = run_files(output, stem)
        # The model first: the JSON says "done".
        found = {p.name: p.read_bytes() for p in (made.model, made.results) if p.exists()}
        return {
            "worker": name,
            "code": code,
            "seconds": time.perf_counter() - start,
            "files": {log.name: log.read_bytes(), **found},
        }


def check_worker(task: Task, nthreads: int, name: str) -> str | None:
    """Why this worker cannot train the task, or None."""
    if nthreads != task.threads:
        return (
            f"worker {name} has --nthreads {nthreads}, the sweep's workers {task.threads}: "
            "runs with other thread counts give other numbers; start every worker alike"
        )
    if not Path(task.script).is_file():
        return f"worker {name} has no {task.script} in {os.getcwd()}: start it from the checkout"
    return None


def run_sending_progress(
    command: list[str],
    environment: dict[str, str],
    log: Path,
    progress: Path,
    send: Callable[[dict[str, Any]], None],
) -> int:
    """Runs `command`, its output in `log`, sending each line it adds to `progress`."""
    reader = Reader(progress)
    with open(log, "wb") as output:
        process = subprocess.Popen(
            command,
            stdout=output,
            stderr=subprocess.STDOUT,
            env=environment,
            preexec_fn=die_with_worker(),
        )
        while True:
            try:
                process.wait(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                pass
            finally:
                for event in reader.new_events():
                    send(event)
    return process.returncode


def die_with_worker() -> Callable[[], None] | None:
    """For the script's process: killed with its worker (Linux), so that a killed
    worker's run does not train on beside its retry."""
    if sys.platform != "linux":
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before the fork
    set_parent_death_signal = 1  # PR_SET_PDEATHSIG

    return lambda: prctl(set_parent_death_signal, signal.SIGKILL)


# ---------------------------------------------------------------------------
# On the driver


def connect(address: str) -> Any:
    """A Dask client of the scheduler at `address`, with at least one worker."""
    try:
        from distributed import Client
        from distributed.comm import parse_address, parse_host_port
        from distributed.comm.registry import get_backend
    except ImportError:
        raise UserError(
            "--cluster needs Dask: pip install -r requirements-cluster.txt "
            "(make ... CLUSTER=ADDRESS installs it)"
        ) from None
    try:
        scheme, location = parse_address(address)
        get_backend(scheme)
        parse_host_port(location)
    except ValueError:
        raise UserError(f"{address} is not a scheduler address such as tcp://host:8786") from None
    try:
        client = Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
    except OSError:
        raise UserError(
            f"no Dask scheduler answered at {address} within {CONNECT_SECONDS} s: "
            "start one (docs/cluster.md) or check CLUSTER"
        ) from None
    try:
        client.wait_for_workers(1, timeout=CONNECT_SECONDS)
    except TimeoutError:
        client.close()
        raise UserError(
            f"the Dask scheduler at {address} has no workers: start some (docs/cluster.md)"
        ) from None
    return client


def workers_threads(client: Any, address: str) -> int:
    """The --nthreads of the cluster's workers: one number, so that every run of a
    sweep gets the same thread counts."""
    counts = sorted(set(client.nthreads().values()))
    if len(counts) != 1:
        raise UserError(
            f"the workers of {address} have different --nthreads ({', '.join(map(str, counts))}): "
            "runs with other thread counts give other numbers; start every worker alike"
        )
    return counts[0]


@dataclass
class Started:
    """A run as its worker reported it: where it trains, its line on the board."""

    worker: str
    shared: bool
    board_label: str


class ClusterRuns:
    """The runs of one `make run-all` or `make seeds` on a Dask cluster: `start(job)`
    gives a concurrent.futures Future of the run's results (None if it failed), as
    run_all's local runs do; their progress goes to `board`. A run's thread settings
    come from the workers' --nthreads (imdb_lstm/threads.py)."""

    def __init__(self, address: str, board: Board) -> None:
        self.address, self.board = address, board
        self.jobs: dict[str, Any] = {}  # run_all.Job by label
        self.started: dict[str, Started] = {}
        self.previous: dict[str, Path] = {}  # each run's results set aside
        self.finished: set[str] = set()
        self.lock = threading.Lock()

    def __enter__(self) -> ClusterRuns:
        self.client = connect(self.address)
        self.threads = workers_threads(self.client, self.address)
        self.environment = threads.environment(self.threads) | {
            "KERAS_BACKEND": os.environ.get("KERAS_BACKEND", "tensorflow")
        }
        self.topic, self.mark = f"imdb-lstm-{uuid.uuid4().hex}", uuid.uuid4().hex
        self.client.subscribe_topic(self.topic, self.on_event)
        self.executor = self.client.get_executor(pure=False)
        workers = len(self.client.nthreads())
        self.board.say(
            f"training on the Dask cluster at {self.address}: {workers} workers, "
            f"{self.threads} thread(s) each"
        )
        return self

    def __exit__(self, error_type: type | None, *_: object) -> None:
        # Stopped (Ctrl-C): the client's close forgets the runs not started yet.
        self.executor.shutdown(wait=error_type is None)
        for job in self.jobs.values():
            (job.output / SHARED_MARK).unlink(missing_ok=True)
        self.client.close()

    def start(self, job: Any) -> Future:
        """Sends `job` (a run_all.Job) to the cluster; its previous results are set
        aside first, as run_all does for a local run."""
        job.output.mkdir(parents=True, exist_ok=True)
        files.write_bytes(job.output / SHARED_MARK, self.mark)
        self.previous[job.label] = files.set_aside(job.results)
        self.jobs[job.label] = job
        task = Task(
            job.label,
            job.script,
            job.flags,
            str(job.output.resolve()),
            self.mark,
            self.threads,
            self.environment,
            self.topic,
        )
        done: Future = Future()

        def finish(future: Future) -> None:
            try:
                done.set_result(self.bring_home(job, future))
            except BaseException as error:  # never leave run_all waiting
                done.set_exception(error)

        self.executor.submit(train, task).add_done_callback(finish)
        return done

    def on_event(self, event: tuple[float, dict[str, Any]]) -> None:
        """A run's message from its worker: it started there, or a line of progress.
        The board reads a run's progress from <output>/<script>.progress on this
        machine, as it does for a local run."""
        message = event[1]
        job = self.jobs[message["label"]]
        progress = job.files.progress
        with self.lock:
            if job.label in self.finished:
                return
            if "progress" in message:
                with open(progress, "a", encoding="utf-8") as file:
                    file.write(json.dumps(message["progress"]) + "\n")
                return
            lost = self.started.get(job.label)
            if lost:
                where = "from its last checkpoint" if message["shared"] else "from the start"
                self.board.finish(
                    lost.board_label,
                    f"{job.label} ... worker {lost.worker} lost; retried on "
                    f"{message['on']} {where}",
                )
            progress.unlink(missing_ok=True)
            started = Started(message["on"], message["shared"], f"{job.label} on {message['on']}")
            self.started[job.label] = started
            self.board.say(f"{job.label} ... started on {started.worker}")
            self.board.add(started.board_label, progress)

    def bring_home(self, job: Any, future: Future) -> dict | None:
        """Writes the run's files into the driver's output folder; its results, or None
        if it failed, said on the board."""
        try:
            outcome = future.result()
        except ModuleNotFoundError as error:
            outcome = {
                "worker": "a worker",
                "error": f"it cannot import this project ({error}): "
                "start the workers from the checkout, PYTHONPATH set (docs/cluster.md)",
            }
        except Exception as error:  # the task could not run, e.g. its workers kept dying
            outcome = {"worker": "?", "error": f"{type(error).__name__}: {error}"}
        result, message = None, f"{job.label} ... FAILED on {outcome['worker']}: "
        if "error" in outcome:
            message += outcome["error"]
        else:
            for name, content in outcome["files"].items():
                files.write_bytes(job.output / name, content)
            elapsed = duration(outcome["seconds"])
            if outcome["code"] == 0 and job.results.name in outcome["files"]:
                result = json.loads(outcome["files"][job.results.name])
                self.previous[job.label].unlink(missing_ok=True)
                message = f"{job.label} ... {result['test_accuracy'] * 100:.1f}% in {elapsed}"
            else:
                message += failure(outcome, elapsed, job.files.log)
        with self.lock:
            self.finished.add(job.label)
            started = self.started.get(job.label)
            if started:
                self.board.finish(started.board_label, message)
            else:
                self.board.say(message)
            job.files.progress.unlink(missing_ok=True)
        return result


def failure(outcome: dict[str, Any], elapsed: str, log: Path) -> str:
    """What went wrong with a run that ended: its exit code and its error line, if any."""
    lines = outcome["files"][log.name].decode(errors="replace").splitlines()
    errors = [line for line in lines if line.startswith("error:")]
    return f"exit code {outcome['code']} after {elapsed}" + (
        f": {errors[-1]}" if errors else f": see {log}"
    )
