"""
Title: Training runs as tasks on a Dask cluster
Description: tools.run_all --cluster (docs/cluster.md): each run a Dask task, trained in a
subprocess of a worker with its --nthreads as thread counts, its progress sent back as Dask
events, its results, log and model as the task's result; retried on another worker if its
worker dies. The worker half of this module, with imdb_lstm/progress.py and
tools/processes.py, goes to the workers by value (cloudpickle): they need the requirements
and the checkout as their working folder, never this project on their import path.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import signal
import socket
import statistics
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

CONNECT_SECONDS = 10  # for a scheduler across a network; a wrong one said within 30 s
SHARED_MARK = ".imdb-lstm-cluster"  # in an output folder: a worker sees the driver's own
POLL_SECONDS = 0.5  # between a worker's looks at its run: progress to send, a stop


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
    topic: str  # the Dask event topic the run's messages go to; its stop Event's name


# --- on the worker ---------------------------------------------------------------------


def train(task: Task) -> dict[str, Any]:
    """Trains the task's run in a subprocess; its worker, exit code, seconds, files (log,
    model, results) and whether it was stopped."""
    from distributed import Event, get_worker

    worker = get_worker()
    name = str(worker.name)
    backend = task.environment["KERAS_BACKEND"]
    refusal = worker_problem([task.script], backend, task.threads, worker)
    if refusal:
        return {"worker": name, "error": refusal}
    stop = Event(task.topic)
    if stop.is_set():  # the sweep stopped before this run began
        return {"worker": name, "interrupted": True}
    mark = Path(task.output, SHARED_MARK)
    shared = mark.is_file() and mark.read_text() == task.mark
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

        def send(events: list[dict[str, Any]]) -> None:
            if events:
                worker.log_event(task.topic, {"label": task.label, "events": events})

        start = time.perf_counter()
        with open(log, "wb") as output_file:
            run = processes.start_run(
                command, stdout=output_file, stderr=subprocess.STDOUT, env=environment
            )
            stopped = run_sending_progress(run, progress.Reader(progress_file), send, stop)
        # The model first: the JSON says "done". (Names as paths.run_files makes them: the
        # worker imports nothing of the project.)
        names = [f"{stem}.keras", f"{stem}.json"]
        found = {n: (output / n).read_bytes() for n in names if (output / n).exists()}
        return {
            "worker": name,
            "code": run.returncode,
            "interrupted": stopped,
            "seconds": time.perf_counter() - start,
            "files": {log.name: log.read_bytes(), **found},
        }


def worker_problem(
    scripts: list[str], backend: str, nthreads: int, dask_worker: Any = None
) -> str | None:
    """What this worker lacks to train `scripts` under `backend` with `nthreads` threads, or
    None: asked of every worker before a sweep starts, and by each run (of a worker that
    may have joined since)."""
    name = f"worker {dask_worker.name} ({dask_worker.address})" if dask_worker else "a worker"
    if dask_worker and dask_worker.state.nthreads != nthreads:
        return (
            f"{name} has --nthreads {dask_worker.state.nthreads}, the sweep's workers "
            f"{nthreads}: runs with other thread counts give other numbers; start every "
            "worker alike"
        )
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
    run: subprocess.Popen, reader: progress.Reader, send: Callable, stop: Any
) -> bool:
    """Waits for `run`, sending its progress as it comes; once `stop` (a Dask Event) is set,
    the run gets SIGINT and STOP_SECONDS to end, then SIGKILL. Whether it was stopped."""
    deadline = None
    while run.poll() is None:
        time.sleep(POLL_SECONDS)
        send(reader.new_events())
        if deadline is None and stop.is_set():
            deadline = time.monotonic() + processes.STOP_SECONDS
            processes.signal_group(run, signal.SIGINT)
        elif deadline is not None and time.monotonic() > deadline:
            processes.signal_group(run, signal.SIGKILL)
    send(reader.new_events())
    return deadline is not None


# --- on the driver ---------------------------------------------------------------------


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
    except OSError:  # gone since check_scheduler
        raise UserError(f"the Dask scheduler at {address} stopped answering") from None
    try:
        client.wait_for_workers(1, timeout=CONNECT_SECONDS)
    except TimeoutError:
        client.close()
        raise UserError(
            f"the Dask scheduler at {address} has no workers: start some (docs/cluster.md)"
        ) from None
    return client


def check_scheduler(address: str) -> None:
    """UserError unless a Dask scheduler answers at `address` within CONNECT_SECONDS:
    Dask's Client waits for ever on a server of another protocol (an HTTP server, say)."""
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
    try:
        if scheme == "tcp":  # nothing listening is said at once, not after Dask's retries
            socket.create_connection((host, port), timeout=CONNECT_SECONDS).close()
    except OSError:
        raise UserError(
            f"no Dask scheduler answered at {address} within {CONNECT_SECONDS} s: start one "
            "(docs/cluster.md) or check CLUSTER"
        ) from None
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


async def identity(address: str) -> Any:  # {"type": "Scheduler", ...}
    from distributed.core import rpc

    async with rpc(address, timeout=CONNECT_SECONDS) as server:
        return await server.identity()


class ByValue:
    """A function that Dask sends by value (cloudpickle), the modules of BY_VALUE with it,
    so that no worker imports this project. (Registering them is not enough: Dask pickles
    a task graph with the standard pickle, which takes a function by reference.)"""

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


class ClusterRuns:
    """The runs of a sweep on a Dask cluster, started, stopped and killed as run_all's
    LocalRuns are here (the workers stop and kill what runs on them)."""

    def __init__(self, address: str, board: Board, scripts: list[str]) -> None:
        self.address, self.board, self.scripts = address, board, scripts
        self.futures: dict[str, Any] = {}  # Dask futures by label
        self.workers: dict[str, str] = {}  # where each run that started trains
        self.finished: set[str] = set()
        self.outputs: set[Path] = set()
        self.stopping: int | None = None
        self.lock = threading.Lock()

    def __enter__(self) -> ClusterRuns:
        from distributed import Event

        self.client = connect(self.address)
        # Most workers': worker_problem refuses any other, so all runs get the same threads.
        self.threads = statistics.mode(self.client.nthreads().values())
        backend = os.environ.get("KERAS_BACKEND", "tensorflow")
        self.environment = threads.environment(self.threads) | {"KERAS_BACKEND": backend}
        problems = self.client.run(ByValue(worker_problem), self.scripts, backend, self.threads)
        problem = next(filter(None, problems.values()), None)
        if problem:
            raise UserError(problem)
        self.topic, self.mark = f"imdb-lstm-{uuid.uuid4().hex}", uuid.uuid4().hex
        self.stop_event = Event(self.topic, client=self.client)
        self.client.subscribe_topic(self.topic, self.on_event)
        self.board.say(
            f"training on the Dask cluster at {self.address}: {len(problems)} workers, "
            f"{self.threads} thread(s) each"
        )
        return self

    def __exit__(self, *_: object) -> None:
        for output in self.outputs:
            (output / SHARED_MARK).unlink(missing_ok=True)
        self.client.close()

    def start(self, job: Any) -> Future:
        """Sends `job` (a run_all.Job), its previous results set aside as for a local run."""
        job.output.mkdir(parents=True, exist_ok=True)
        files.write_bytes(job.output / SHARED_MARK, self.mark)
        self.outputs.add(job.output)
        previous = files.set_aside(job.files.results)
        output = str(job.output.resolve())
        task = Task(
            job.label, job.script, job.flags, output, self.mark, self.threads, self.environment,
            self.topic,
        )  # fmt: skip
        done: Future = Future()

        def finish(future: Any) -> None:
            try:
                done.set_result(self.bring_home(job, previous, future))
            except BaseException as error:  # never leave run_all waiting
                done.set_exception(error)

        run = ByValue(functools.partial(train, task))
        future = self.client.submit(run, pure=False, key=f"imdb-lstm-run-{uuid.uuid4().hex}")
        self.futures[job.label] = future
        future.add_done_callback(finish)
        return done

    def stop(self, signum: int) -> None:
        with self.lock:
            self.stopping = signum
            waiting = [f for label, f in self.futures.items() if label not in self.workers]
        self.stop_event.set()
        self.client.cancel(waiting)

    def kill(self) -> None:
        self.client.cancel(list(self.futures.values()), force=True)

    def on_board(self, label: str) -> str:
        return f"{label} on {self.workers.get(label)}"

    def on_event(self, event: tuple[float, dict[str, Any]]) -> None:
        """A run's message from its worker: it started there, or its new progress events."""
        message = event[1]
        label = message["label"]
        with self.lock:
            if label in self.finished:
                return
            if "events" in message:
                self.board.take(self.on_board(label), message["events"])
                return
            if label in self.workers:
                where = "from its last checkpoint" if message["shared"] else "from the start"
                lost = self.workers[label]
                self.board.finish(
                    self.on_board(label),
                    f"{label} ... worker {lost} lost; retried on {message['on']} {where}",
                )
            self.workers[label] = message["on"]
            self.board.say(f"{label} ... started on {message['on']}")
            self.board.add(self.on_board(label))

    def bring_home(self, job: Any, previous: Path, future: Any) -> dict | None:
        """Writes the run's files into its output folder; its results, or None."""
        try:
            outcome = future.result()
        except Exception as error:  # cancelled, or its workers kept dying
            first_line = next(iter(str(error).strip().splitlines()), "")
            outcome = {"worker": "?", "error": f"{type(error).__name__}: {first_line}"}
        for name, content in outcome.get("files", {}).items():
            files.write_bytes(job.output / name, content)
        elapsed, result = duration(outcome.get("seconds", 0)), None
        if outcome.get("code") == 0 and job.files.results.name in outcome["files"]:
            result = json.loads(outcome["files"][job.files.results.name])
            previous.unlink(missing_ok=True)
            message = result_line(job.label, result, elapsed)
        elif self.stopping or outcome.get("interrupted"):
            message = interrupted_line(job.label, elapsed)
        else:
            why = outcome.get("error") or failure(outcome, elapsed, job.files.log)
            message = f"{job.label} ... FAILED on {outcome['worker']}: {why}"
        with self.lock:
            self.finished.add(job.label)
            self.board.finish(self.on_board(job.label), message)  # (on it if it started)
        return result


def failure(outcome: dict[str, Any], elapsed: str, log: Path) -> str:
    """What went wrong with a run that ended: its exit code and its error line, if any."""
    lines = outcome["files"][log.name].decode(errors="replace").splitlines()
    errors = [line for line in lines if line.startswith("error:")]
    return f"exit code {outcome['code']} after {elapsed}" + (
        f": {errors[-1]}" if errors else f": see {log}"
    )
