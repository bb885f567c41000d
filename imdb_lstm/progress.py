"""Training progress that another process can show: a Keras callback appends it to a
file as JSON lines, and tools/run_all.py reads the files of the runs it started.

A run writes {"event": "start", ...} when training begins, {"event": "step", ...} at most
once a second, {"event": "epoch", ...} when an epoch has finished (after its checkpoint
is saved) and {"event": "evaluate"} when the test set is evaluated. No Keras is needed
to read them.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import IO, Any

from imdb_lstm.cli import duration

STEP_INTERVAL = 1.0  # seconds between step lines


class Reader:
    """The lines a run has added to its progress file since the last call."""

    def __init__(self, path: Path) -> None:
        self.path, self.offset = Path(path), 0

    def new_events(self) -> list[dict[str, Any]]:
        try:
            with open(self.path, "rb") as file:
                file.seek(self.offset)
                chunk = file.read()
        except FileNotFoundError:
            return []
        complete = chunk[: chunk.rfind(b"\n") + 1]  # a line still being written waits
        self.offset += len(complete)
        return [json.loads(line) for line in complete.splitlines() if line.strip()]


def writer_callback(path: str) -> Any:
    """A Keras callback that writes the run's progress to `path` (see the docstring)."""
    import keras

    class ProgressFile(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.file: IO[str] = open(path, "a", encoding="utf-8")  # noqa: SIM115
            self.last_step = 0.0

        def write(self, **event: Any) -> None:
            self.file.write(json.dumps(event) + "\n")
            self.file.flush()

        def on_train_begin(self, logs: dict | None = None) -> None:
            self.start, self.steps_done = time.monotonic(), 0
            self.write(event="start", epochs=self.params["epochs"], steps=self.params["steps"])

        def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
            self.epoch, self.epoch_start = epoch + 1, time.monotonic()

        def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
            self.steps_done += 1
            now = time.monotonic()
            if now - self.last_step >= STEP_INTERVAL:
                self.last_step = now
                self.write(
                    event="step",
                    epoch=self.epoch,
                    step=batch + 1,
                    train_seconds=now - self.start,
                    steps_done=self.steps_done,
                )

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            logs = {name: float(value) for name, value in (logs or {}).items()}
            seconds = time.monotonic() - self.epoch_start
            self.write(event="epoch", epoch=epoch + 1, seconds=seconds, logs=logs)

        def on_test_begin(self, logs: dict | None = None) -> None:
            self.write(event="evaluate")

    return ProgressFile()


class RunProgress:
    """What one run has reported so far, as one line of the board."""

    def __init__(self, label: str, path: Path) -> None:
        self.label, self.reader, self.started = label, Reader(path), time.monotonic()
        self.epochs = self.steps = self.epoch = self.step = 0
        self.train_seconds = self.steps_done = 0
        self.evaluating = False

    def update(self) -> list[dict[str, Any]]:
        """Takes in the run's new events; returns the epochs that finished."""
        finished = []
        for event in self.reader.new_events():
            kind = event["event"]
            if kind == "start":
                self.epochs, self.steps = event["epochs"], event["steps"]
            elif kind == "step":
                self.epoch, self.step = event["epoch"], event["step"]
                self.train_seconds, self.steps_done = event["train_seconds"], event["steps_done"]
            elif kind == "epoch":
                self.epoch, self.step = event["epoch"], self.steps
                finished.append(event)
            elif kind == "evaluate":
                self.evaluating = True
        return finished

    def seconds_left(self) -> float | None:
        if not self.steps_done or not self.steps:
            return None
        steps_left = (self.epochs - self.epoch) * self.steps + (self.steps - self.step)
        return steps_left * self.train_seconds / self.steps_done

    def line(self) -> str:
        elapsed = duration(time.monotonic() - self.started)
        if self.evaluating:
            return f"{self.label}  evaluating  elapsed {elapsed}"
        if not self.epochs:
            return f"{self.label}  starting  elapsed {elapsed}"
        left = self.seconds_left()
        return (
            f"{self.label}  epoch {max(self.epoch, 1)}/{self.epochs}  "
            f"step {self.step}/{self.steps}  elapsed {elapsed}  "
            f"left {'~' + duration(left) if left is not None else '?'}"
        )

    def epoch_line(self, event: dict[str, Any]) -> str:
        logs = "".join(f" - {name} {value:.4f}" for name, value in event["logs"].items())
        done = duration(event["seconds"])
        return f"{self.label}: epoch {event['epoch']}/{self.epochs} done in {done}{logs}"


class Board:
    """The runs under way, one line each: on a terminal redrawn in place (`refresh`, every
    second or so), elsewhere (CI, `| tee`, a log) only a plain line per finished epoch.
    Everything the runner prints goes through `say`, above the live lines."""

    def __init__(self, stream: IO[str], live: bool) -> None:
        self.stream, self.live = stream, live
        self.runs: dict[str, RunProgress] = {}
        self.drawn = 0  # live lines now on the screen
        self.lock = threading.Lock()

    def add(self, label: str, path: Path) -> None:
        with self.lock:
            self.runs[label] = RunProgress(label, path)

    def finish(self, label: str, text: str) -> None:
        """Takes a finished run off the board, its last epochs and `text` printed."""
        with self.lock:
            self._clear()
            self._print_finished_epochs(self.runs.pop(label))
            self.stream.write(text + "\n")
            self._draw()

    def say(self, text: str) -> None:
        with self.lock:
            self._clear()
            self.stream.write(text + "\n")
            self._draw()

    def refresh(self) -> None:
        with self.lock:
            self._clear()
            for run in self.runs.values():
                self._print_finished_epochs(run)
            self._draw()

    def _print_finished_epochs(self, run: RunProgress) -> None:
        for event in run.update():
            self.stream.write(run.epoch_line(event) + "\n")

    def _clear(self) -> None:
        if self.drawn:  # to the start of the first live line, and clear from there down
            self.stream.write(f"\x1b[{self.drawn}F\x1b[J")
            self.drawn = 0

    def _draw(self) -> None:
        if self.live:
            lines = [run.line() for run in self.runs.values()]
            self.stream.write("".join(f"  {line}\n" for line in lines))
            self.drawn = len(lines)
        self.stream.flush()
