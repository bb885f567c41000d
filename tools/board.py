"""The board make run-all shows while its runs train: on a terminal, one live line per
run under way (epoch, step, elapsed, time left), drawn by `rich`; elsewhere (CI, `| tee`,
a log) only one plain line per finished epoch, with no control characters. The runs'
progress comes from the files their --progress callback writes (imdb_lstm/progress.py)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import IO, Any

from rich.console import Console, Group
from rich.live import Live
from rich.text import Text

from imdb_lstm.cli import duration
from imdb_lstm.progress import Reader


def result_line(label: str, result: dict, elapsed: str) -> str:
    """A finished run, said so that it does not read as progress."""
    return f"{label} ... accuracy {result['test_accuracy'] * 100:.2f}% in {elapsed}"


def interrupted_line(label: str, elapsed: str) -> str:
    return (
        f"{label} ... interrupted after {elapsed}: the same command resumes it from its "
        "last finished epoch"
    )


class RunProgress:
    """What one run has reported so far, as one line of the board."""

    def __init__(self, label: str, path: Path) -> None:
        self.label, self.reader, self.started = label, Reader(path), time.monotonic()
        self.epochs = self.steps = self.epoch = self.step = 0
        self.train_seconds = self.steps_done = 0
        self.evaluating = False
        self.preparing = "starting"  # until training starts: what the run is doing

    def update(self) -> list[dict[str, Any]]:
        """Takes in the run's new events; returns those that make a line of their own:
        the epochs that finished, the start of the reviews' encoding."""
        finished = []
        for event in self.reader.new_events():
            kind = event["event"]
            if kind == "encoding":
                self.preparing = "encoding the reviews, once for every run"
                finished.append(event)
            elif kind == "waiting":
                self.preparing = "waiting for the run encoding the reviews"
            elif kind == "start":
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
            return f"{self.label}  {self.preparing}  elapsed {elapsed}"
        left = self.seconds_left()
        return (
            f"{self.label}  epoch {max(self.epoch, 1)}/{self.epochs}  "
            f"step {self.step}/{self.steps}  elapsed {elapsed}  "
            f"left {'~' + duration(left) if left is not None else '?'}"
        )

    def epoch_line(self, event: dict[str, Any]) -> str:
        if event["event"] == "encoding":
            return (
                f"{self.label}: encoding the reviews in {event['source']} (once for every run, "
                "cached for later runs)"
            )
        logs = "".join(f" - {name} {value:.4f}" for name, value in event["logs"].items())
        done = duration(event["seconds"])
        return f"{self.label}: epoch {event['epoch']}/{self.epochs} done in {done}{logs}"


class Board:
    """The runs under way. Everything the runner prints goes through `say`, above the
    live lines; `refresh` (every second or so) prints the epochs that finished and, on a
    terminal, redraws the live lines. Use it as a context manager: leaving it takes the
    live lines off the screen."""

    def __init__(self, stream: IO[str], live: bool) -> None:
        # Plain text only: no colours, no markup read into labels, no wrapping of lines.
        self.console = Console(
            file=stream, force_terminal=live, highlight=False, markup=False, soft_wrap=True
        )
        self.runs: dict[str, RunProgress] = {}
        self.lock = threading.Lock()
        self.live = (
            Live(
                console=self.console,
                auto_refresh=False,
                transient=True,
                redirect_stdout=False,
                redirect_stderr=False,
            )
            if live
            else None
        )

    def __enter__(self) -> Board:
        if self.live:
            self.live.start()
        return self

    def __exit__(self, *_: object) -> None:
        if self.live:
            self.live.stop()

    def add(self, label: str, path: Path) -> None:
        with self.lock:
            self.runs[label] = RunProgress(label, path)

    def finish(self, label: str, text: str) -> None:
        """Takes a finished run off the board (if on it), its last epochs and `text`
        printed."""
        with self.lock:
            run = self.runs.pop(label, None)
            if run:
                self._print_finished_epochs(run)
            self._print(text)

    def say(self, text: str) -> None:
        with self.lock:
            self._print(text)

    def refresh(self) -> None:
        with self.lock:
            for run in self.runs.values():
                self._print_finished_epochs(run)
            self._print()

    def _print_finished_epochs(self, run: RunProgress) -> None:
        for event in run.update():
            self.console.print(run.epoch_line(event))

    def _print(self, *lines: str) -> None:
        """Prints `lines` above the live lines, then redraws those."""
        for line in lines:
            self.console.print(line)
        if self.live:
            self.live.update(Group(*(Text(f"  {run.line()}") for run in self.runs.values())))
            self.live.refresh()
        self.console.file.flush()
