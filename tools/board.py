"""The board make run-all shows while its runs train: on a terminal, a `rich` Progress with
one live line per run under way; elsewhere (CI, `| tee`, a log) only one plain line per
finished epoch, with no control characters. A run's progress events (imdb_lstm/progress.py)
are polled from its progress file, or pushed by tools/cluster.py for a run on a worker."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import IO, Any

from rich.console import Console
from rich.progress import Progress, ProgressColumn, Task, TextColumn
from rich.text import Text

from imdb_lstm.cli import duration

Events = list[dict[str, Any]]


def result_line(label: str, result: dict, elapsed: str) -> str:
    """A finished run, said so that it does not read as progress."""
    return f"{label} ... accuracy {result['test_accuracy'] * 100:.2f}% in {elapsed}"


def interrupted_line(label: str, elapsed: str) -> str:
    return (
        f"{label} ... interrupted after {elapsed}: the same command resumes it from its "
        "last finished epoch"
    )


class RunProgress:
    """What one run has reported so far."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.epochs = self.steps = self.epoch = self.step = 0
        self.train_seconds = self.steps_done = 0
        self.state: str | None = "starting"  # what the run does, when not training

    def take(self, events: Events) -> list[str]:
        """Takes in the run's new events; the lines of those printed as they come: the
        epochs that finished, the start of the reviews' encoding."""
        lines = []
        for event in events:
            kind = event["event"]
            if kind == "encoding":
                self.state = "encoding the reviews, once for every run"
                lines.append(
                    f"{self.label}: encoding the reviews in {event['source']} (once for every "
                    "run, cached for later runs)"
                )
            elif kind == "waiting":
                self.state = "waiting for the run encoding the reviews"
            elif kind == "start":
                self.state, self.epochs, self.steps = None, event["epochs"], event["steps"]
            elif kind == "step":
                self.epoch, self.step = event["epoch"], event["step"]
                self.train_seconds, self.steps_done = event["train_seconds"], event["steps_done"]
            elif kind == "epoch":
                self.epoch, self.step = event["epoch"], self.steps
                logs = "".join(f" - {name} {value:.4f}" for name, value in event["logs"].items())
                done = f"epoch {self.epoch}/{self.epochs} done in {duration(event['seconds'])}"
                lines.append(f"{self.label}: {done}{logs}")
            elif kind == "evaluate":
                self.state = "evaluating"
        return lines

    # The board's columns (each but the first after two spaces, the grid's and its own).
    @property
    def doing(self) -> str:
        return f" {self.state or f'epoch {max(self.epoch, 1)}/{self.epochs}'}"

    @property
    def at_step(self) -> str:
        return "" if self.state else f" step {self.step}/{self.steps}"

    @property
    def left(self) -> str:
        """The training time left, at the pace of the steps so far."""
        if self.state:
            return ""
        if not self.steps_done:
            return " left ?"
        steps_left = (self.epochs - self.epoch) * self.steps + (self.steps - self.step)
        return f" left ~{duration(steps_left * self.train_seconds / self.steps_done)}"


class Elapsed(ProgressColumn):
    def render(self, task: Task) -> Text:
        return Text(f" elapsed {duration(task.elapsed or 0)}")


class Board(Progress):
    """A rich Progress with a task per run under way. Everything the runner prints goes
    through `say`, above the live lines; `refresh` (every second or so) polls the runs'
    events, prints their finished epochs and, on a terminal, redraws the live lines.
    Leaving it as a context manager takes the live lines off the screen."""

    def __init__(self, stream: IO[str], live: bool) -> None:
        # Live lines only if `live` (not on a dumb terminal: rich checks). Plain text only:
        # no colours, no markup read into labels, no wrapping of lines.
        console = Console(
            file=stream, force_terminal=live, highlight=False, markup=False, soft_wrap=True
        )
        super().__init__(
            TextColumn("  {task.description}", markup=False),
            TextColumn("{task.fields[run].doing}", markup=False),
            TextColumn("{task.fields[run].at_step}", markup=False),
            Elapsed(),
            TextColumn("{task.fields[run].left}", markup=False),
            console=console,
            auto_refresh=False,
            transient=True,
            get_time=time.monotonic,
            disable=not live,
        )
        self.lock = threading.RLock()  # (add_task calls refresh)

    def add(self, label: str, poll: Callable[[], Events] | None = None) -> None:
        """Puts a run on the board; its events come from `poll`, or through `take`."""
        with self.lock:
            self.add_task(label, total=None, run=RunProgress(label), poll=poll)

    def take(self, label: str, events: Events) -> None:
        """New events of the run `label`, if it is on the board."""
        with self.lock:
            task = self._task(label)
            if task:
                self._take(task, events)

    def finish(self, label: str, text: str) -> None:
        """Takes a run off the board (if on it), its last epochs and `text` printed."""
        with self.lock:
            task = self._task(label)
            if task:
                self._take(task, [])
                self.remove_task(task.id)
            self.print(text)

    def say(self, text: str) -> None:
        with self.lock:
            self.print(text)

    def refresh(self) -> None:
        """Progress.refresh, the runs' new events taken in first."""
        with self.lock:
            for task in self.tasks:
                self._take(task, [])
            super().refresh()

    def _task(self, label: str) -> Task | None:
        return next((task for task in self.tasks if task.description == label), None)

    def _take(self, task: Task, events: Events) -> None:
        """Prints the lines of the run's `events` and of those its `poll` gives (above the
        live lines: rich redraws them below)."""
        poll = task.fields["poll"]
        for line in task.fields["run"].take([*events, *(poll() if poll else [])]):
            self.print(line)
