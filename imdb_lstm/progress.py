"""Training progress that another process can show: a Keras callback appends it to a
file as JSON lines, and tools/run_all.py reads the files of the runs it started (its
board, tools/board.py, shows them).

A run writes {"event": "encoding"} when it encodes the reviews (once for all runs: the
others write {"event": "waiting"} and then read the cache, imdb_lstm/cache.py),
{"event": "start", ...} when training begins, {"event": "step", ...} at most
once a second, {"event": "epoch", ...} when an epoch has finished (after its checkpoint
is saved) and {"event": "evaluate"} when the test set is evaluated. No Keras is needed
to read them.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import IO, Any

STEP_INTERVAL = 1.0  # seconds between step lines
_file: IO[str] | None = None  # this process's progress file, once writer_callbacks opened it


def note(**event: Any) -> None:
    """Adds `event` to this process's progress file, if it has one."""
    if _file is not None:
        _file.write(json.dumps(event) + "\n")
        _file.flush()


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


def writer_callbacks(path: str) -> list[Any]:
    """For a run whose output goes to a log: a Keras callback that writes the run's
    progress to `path` (see the docstring), and Keras's progress as one plain line per
    epoch (its bar's control characters and redraws are for a terminal)."""
    import keras

    global _file
    _file = open(path, "a", encoding="utf-8")  # noqa: SIM115 (for the process's life)

    class ProgressFile(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.last_step = 0.0

        def write(self, **event: Any) -> None:
            note(**event)

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

    class EpochLines(keras.callbacks.ProgbarLogger):
        def set_params(self, params: dict) -> None:
            quiet = not params["verbose"]  # evaluate's verbose=0 stays
            super().set_params(params if quiet else params | {"verbose": 2})  # a line an epoch

    return [ProgressFile(), EpochLines()]
