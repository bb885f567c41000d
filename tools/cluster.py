"""
Title: Training runs as tasks on a Dask cluster
Description: what `make run-all` and `make seeds` do with CLUSTER=tcp://host:8786
(tools.run_all --cluster): each run is one Dask task, its script trained in a subprocess
of a worker with the worker's --nthreads as its thread counts; its progress comes back
through Dask's events and its results, log and model come back as the task's result and
are written into the driver's output folder atomically. A run whose worker dies is
retried on another (Dask's own resilience); the driver counts each run once, when its
task's result arrives. docs/cluster.md has the commands.

The task's code (this module's worker half, and imdb_lstm/progress.py and
tools/processes.py, which it uses) goes to the cluster by value, pickled with
cloudpickle: the scheduler and the workers need the requirements only, never this
project on their import path. The workers need the checkout as their working folder
(the scripts), which `worker_problem` checks once per sweep.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from imdb_lstm import files, progress, threads
from imdb_lstm.cli import duration
from imdb_lstm.errors import UserError
from tools import processes
from tools.board import Board, interrupted_line, result_line

# Long enough for a scheduler across a network, short enough that a wrong or missing
# one is said well within half a minute.
CONNECT_SECONDS = 10
# In an output folder the driver shares with a worker: proves it is the same folder.
SHARED_MARK = ".imdb-lstm-cluster"
# Seconds between a worker's looks at its run: new progress to send, a stop to pass on.
POLL_SECONDS = 0.5


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
    topic: str  # the Dask event topic the run's progress goes to; its stop Event's name


# ---------------------------------------------------------------------------
# On the worker


def train(task: Task) -> dict[str, Any]:
    """Runs the task's script in a subprocess of this worker, its progress sent to the
    driver as it comes, stopped when the driver stops the sweep; its exit code, worker,
    seconds and files (results, model, log), and whether it was stopped."""
    from distributed import Event, get_worker

    worker = get_worker()
    name = str(worker.name)
    refusal = check_worker(task, worker.state.nthreads, name)
    if refusal:
        return {"worker": name, "error": refusal}
    stop = Event(task.topic)
    if stop.is_set():  # the sweep stopped before this run began
        return {"worker": name, "interrupted": True}
    shared = Path(task.output, SHARED_MARK).is_file() and (
        Path(task.output, SHARED_MARK).read_text() == task.mark
    )
    # ("worker" is the scheduler's: it puts the worker's address there.)
    worker.log_event(task.topic, {"label": task.label, "on": name, "shared": shared})
    stem = Path(task.script).stem
    with tempfile.TemporaryDirectory(prefix="imdb-lstm-run-") as scratch:
        # In a shared folder the run checkpoints where a retry elsewhere finds it.
        output = Path(task.output) if shared else Path(scratch)
        progress_file, log = Path(scratch, f"{stem}.progress"), Path(scratch, f"{stem}.log")
        command = [sys.executable, task.script, *task.flags, "--output", str(output)]
        command += ["--progress", str(progress_file)]
        environment = os.environ | task.environment | {"PYTHONPATH": os.getcwd()}

        def send(event: dict[str, Any]) -> None:
            worker.log_event(task.topic, {"label": task.label, "progress": event})

        start = time.perf_counter()
        code, stopped = run_sending_progress(command, environment, log, progress_file, send, stop)
        # The model first: the JSON says "done". (Names as paths.run_files makes them: the
        # worker imports nothing of the project.)
        names = [f"{stem}.keras", f"{stem}.json"]
        found = {n: (output / n).read_bytes() for n in names if (output / n).exists()}
        return {
            "worker": name,
            "code": code,
            "interrupted": stopped,
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


def worker_problem(scripts: list[str], backend: str, dask_worker: Any = None) -> str | None:
    """What this worker lacks to train `scripts` under `backend`, or None: run on every
    worker once, before a sweep sends anything."""
    name = f"worker {dask_worker.name} ({dask_worker.address})" if dask_worker else "a worker"
    missing = [script for script in scripts if not Path(script).is_file()]
    if missing:
        return (
            f"{name} has no {', '.join(missing)} in {os.getcwd()}: start it from the "
            "checkout (docs/cluster.md)"
        )
    for module in ("keras", backend):
        if find_spec(module) is None:
            return (
                f"{name} cannot import {module} with {sys.executable}: start it from the "
                "checkout's .venv (docs/cluster.md)"
            )
    return None


def run_sending_progress(
    command: list[str],
    environment: dict[str, str],
    log: Path,
    progress_file: Path,
    send: Callable[[dict[str, Any]], None],
    stop: Any,
) -> tuple[int, bool]:
    """Runs `command`, its output in `log`, sending each line it adds to `progress_file`;
    once `stop` (a Dask Event) is set, the run gets SIGINT and STOP_SECONDS to end, then
    SIGKILL. Its exit code, and whether it was stopped."""
    reader = progress.Reader(progress_file)
    deadline = None
    with open(log, "wb") as output:
        process = processes.start_run(
            command, stdout=output, stderr=subprocess.STDOUT, env=environment
        )
        while process.poll() is None:
            time.sleep(POLL_SECONDS)
            for event in reader.new_events():
                send(event)
            if deadline is None and stop.is_set():
                deadline = time.monotonic() + processes.STOP_SECONDS
                processes.signal_group(process, signal.SIGINT)
            elif deadline is not None and time.monotonic() > deadline:
                processes.signal_group(process, signal.SIGKILL)
    for event in reader.new_events():
        send(event)
    return process.returncode, deadline is not None


# ---------------------------------------------------------------------------
# On the driver


def connect(address: str) -> Any:
    """A Dask client of the scheduler at `address`, with at least one worker."""
    try:
        from distributed import Client
    except ImportError:
        raise UserError(
            "--cluster needs Dask: pip install -r requirements-cluster.txt "
            "(make ... CLUSTER=ADDRESS installs it)"
        ) from None
    check_scheduler(address)
    try:
        client = Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
    except OSError:
        raise UserError(no_scheduler(address)) from None
    try:
        client.wait_for_workers(1, timeout=CONNECT_SECONDS)
    except TimeoutError:
        client.close()
        raise UserError(
            f"the Dask scheduler at {address} has no workers: start some (docs/cluster.md)"
        ) from None
    return client


def no_scheduler(address: str) -> str:
    return (
        f"no Dask scheduler answered at {address} within {CONNECT_SECONDS} s: "
        "start one (docs/cluster.md) or check CLUSTER"
    )


def check_scheduler(address: str) -> None:
    """UserError unless a Dask scheduler answers at `address` within CONNECT_SECONDS:
    Dask's own Client waits for ever on a server that accepts the connection but speaks
    another protocol (an HTTP server, say)."""
    from distributed.comm import parse_address, parse_host_port
    from distributed.comm.registry import get_backend

    try:
        scheme, location = parse_address(address)
        get_backend(scheme)
        host, port = parse_host_port(location)
    except ValueError:
        raise UserError(f"{address} is not a scheduler address such as tcp://host:8786") from None
    if not 0 < port < 65536:
        raise UserError(f"{address}: {port} is not a port (1 to 65535), e.g. tcp://host:8786")
    if scheme == "tcp" and not listening(host, port):
        raise UserError(no_scheduler(address))
    try:
        answer = asyncio.run(asyncio.wait_for(identity(address), CONNECT_SECONDS))
    except (OSError, TimeoutError):
        raise UserError(
            f"{address} accepts connections but no Dask scheduler answered there within "
            f"{CONNECT_SECONDS} s: is CLUSTER the scheduler's port (8786 by default)?"
        ) from None
    kind = answer.get("type") if isinstance(answer, dict) else None
    if kind != "Scheduler":
        raise UserError(
            f"{address} is a Dask {kind or 'server'}, not the scheduler: give CLUSTER the "
            "scheduler's address"
        )


async def identity(address: str) -> Any:
    """What the Dask server at `address` says it is ({"type": "Scheduler", ...})."""
    from distributed.comm import connect as open_comm

    comm = await open_comm(address, timeout=CONNECT_SECONDS)
    try:
        await comm.write({"op": "identity", "reply": True})
        return await comm.read()
    finally:
        comm.abort()


def listening(host: str, port: int) -> bool:
    """Whether anything accepts TCP connections at host:port."""
    try:
        socket.create_connection((host, port), timeout=CONNECT_SECONDS).close()
    except OSError:
        return False
    return True


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


class ByValue:
    """A function that Dask sends pickled by value (cloudpickle), the modules of
    BY_VALUE with it: the scheduler unpickles a task without importing this project.
    (Registering the modules alone is not enough: Dask pickles a task graph with the
    standard pickle, which takes a function by reference.)"""

    def __init__(self, function: Callable[..., Any]) -> None:
        self.function = function

    def __call__(self, *args: Any) -> Any:
        return self.function(*args)

    def __reduce__(self) -> tuple[Callable[[bytes], Any], tuple[bytes]]:
        import cloudpickle

        for module in BY_VALUE:
            cloudpickle.register_pickle_by_value(module)
        return cloudpickle.loads, (cloudpickle.dumps(self.function),)


# The modules a task's code comes from: this one's worker half, and what it uses.
BY_VALUE = [sys.modules[__name__], progress, processes]


@dataclass
class Started:
    """A run as its worker reported it: where it trains, its line on the board."""

    worker: str
    shared: bool
    board_label: str


class ClusterRuns:
    """The runs of one `make run-all` or `make seeds` on a Dask cluster: `start(job)`
    gives a concurrent.futures Future of the run's results (None if it failed or was
    stopped), `stop(signum)` cancels the runs not started and stops those under way
    (their workers pass SIGINT on, then kill them STOP_SECONDS later), `kill()` forgets
    what is left; as run_all's local runs do. Their progress goes to `board`. A run's
    thread settings come from the workers' --nthreads (imdb_lstm/threads.py)."""

    def __init__(self, address: str, board: Board, scripts: list[str]) -> None:
        self.address, self.board, self.scripts = address, board, scripts
        self.jobs: dict[str, Any] = {}  # run_all.Job by label
        self.futures: dict[str, Any] = {}  # Dask futures by label
        self.started: dict[str, Started] = {}
        self.previous: dict[str, Path] = {}  # each run's results set aside
        self.finished: set[str] = set()
        self.stopping: int | None = None
        self.lock = threading.Lock()

    def __enter__(self) -> ClusterRuns:
        from distributed import Event

        self.client = connect(self.address)
        self.threads = workers_threads(self.client, self.address)
        backend = os.environ.get("KERAS_BACKEND", "tensorflow")
        self.environment = threads.environment(self.threads) | {"KERAS_BACKEND": backend}
        self.topic, self.mark = f"imdb-lstm-{uuid.uuid4().hex}", uuid.uuid4().hex
        self.stop_event = Event(self.topic, client=self.client)
        self.client.subscribe_topic(self.topic, self.on_event)
        self.backend = backend
        self.check_workers()
        workers = len(self.client.nthreads())
        self.board.say(
            f"training on the Dask cluster at {self.address}: {workers} workers, "
            f"{self.threads} thread(s) each"
        )
        return self

    def __exit__(self, *_: object) -> None:
        for job in self.jobs.values():
            (job.output / SHARED_MARK).unlink(missing_ok=True)
        self.client.close()

    def check_workers(self) -> None:
        """UserError, naming the first worker that cannot train the sweep's scripts and
        what it lacks, before any run is sent."""
        problems = self.client.run(ByValue(worker_problem), self.scripts, self.backend)
        problem = next((p for p in problems.values() if p), None)
        if problem:
            raise UserError(problem)

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

        def finish(future: Any) -> None:
            try:
                done.set_result(self.bring_home(job, future))
            except BaseException as error:  # never leave run_all waiting
                done.set_exception(error)

        run = ByValue(functools.partial(train, task))
        future = self.client.submit(run, pure=False, key=f"imdb-lstm-run-{uuid.uuid4().hex}")
        self.futures[job.label] = future
        future.add_done_callback(finish)
        return done

    def stop(self, signum: int) -> None:
        """Tells the workers to stop the runs under way; cancels the others."""
        with self.lock:
            self.stopping = signum
            waiting = [f for label, f in self.futures.items() if label not in self.started]
        self.stop_event.set()
        self.client.cancel(waiting)

    def kill(self) -> None:
        """Forgets the runs still under way (their workers kill them on their own)."""
        self.client.cancel(list(self.futures.values()), force=True)

    def on_event(self, event: tuple[float, dict[str, Any]]) -> None:
        """A run's message from its worker: it started there, or a line of progress.
        The board reads a run's progress from <output>/<script>.progress on this
        machine, as it does for a local run."""
        message = event[1]
        job = self.jobs[message["label"]]
        progress_file = job.files.progress
        with self.lock:
            if job.label in self.finished:
                return
            if "progress" in message:
                with open(progress_file, "a", encoding="utf-8") as file:
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
            progress_file.unlink(missing_ok=True)
            started = Started(message["on"], message["shared"], f"{job.label} on {message['on']}")
            self.started[job.label] = started
            self.board.say(f"{job.label} ... started on {started.worker}")
            self.board.add(started.board_label, progress_file)

    def bring_home(self, job: Any, future: Any) -> dict | None:
        """Writes the run's files into the driver's output folder; its results, or None
        if it failed or was stopped, said on the board."""
        try:
            outcome = future.result()
        except Exception as error:  # cancelled, or its workers kept dying
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
            outcome = {"worker": "?", "error": f"{type(error).__name__}: {first_line}"}
        result, message = None, f"{job.label} ... FAILED on {outcome['worker']}: "
        for name, content in outcome.get("files", {}).items():
            files.write_bytes(job.output / name, content)
        elapsed = duration(outcome.get("seconds", 0))
        if outcome.get("code") == 0 and job.results.name in outcome["files"]:
            result = json.loads(outcome["files"][job.results.name])
            self.previous[job.label].unlink(missing_ok=True)
            message = result_line(job.label, result, elapsed)
        elif self.stopping or outcome.get("interrupted"):
            message = interrupted_line(job.label, elapsed)
        elif "error" in outcome:
            message += outcome["error"]
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
