"""Training progress that another process can show: a Keras callback appends it to a
file as JSON lines, and tools/run_all.py reads the files of the runs it started (its
board, tools/board.py, shows them).

A run writes {"event": "start", ...} when training begins, {"event": "step", ...} at most
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
