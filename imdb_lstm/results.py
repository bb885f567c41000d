"""What a training run reports: the log of its epochs, and <output>/<variant>.json with
<output>/<variant>.keras beside it. Also the one definition of "the same run", which the
checkpoint (imdb_lstm/resume.py) and make seeds' skipping both use."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import keras

from imdb_lstm import files, machine, model_files
from imdb_lstm.data import ImdbData, identity
from imdb_lstm.errors import UserError
from imdb_lstm.paths import run_files

# What makes two runs of a script the same run: a checkpoint of another is not resumed
# (it is set aside), and make seeds does not take another's results for its own. Results
# record each. The data is named by what it is, not how --data spelled it: "data" is its
# resolved path, "data_fingerprint" the size and time of the file (of every review in an
# aclImdb/ folder), so a relative and an absolute path are one run and an edited file
# another (imdb_lstm/data.py identity).
SAME_RUN = [
    *["variant", "data", "data_fingerprint", "backend"],
    *["epochs", "batch_size", "seed", "max_samples"],
]


def same_run(variant: str, args: argparse.Namespace) -> dict[str, Any]:
    """The settings that make the run of `variant` with the flags `args` the run it is."""
    given = {"variant": variant, **identity(args.data), "backend": keras.backend.backend()}
    return {name: given[name] if name in given else getattr(args, name) for name in SAME_RUN}


def check_outputs_spare_inputs(variant: str, args: argparse.Namespace) -> None:
    """UserError before the run starts if what it writes (its results, model, checkpoint
    or --progress file) would replace what it reads (--data)."""
    made = run_files(Path(args.output), variant)._asdict()
    written = {f"--output's {what}": made[what] for what in ("results", "model", "backup")}
    files.check_outputs_spare_inputs(
        {**written, "--progress": args.progress}, {"--data": args.data}
    )


def finished(output: Path, settings: dict[str, Any]) -> bool:
    """Whether `output` holds the finished run with `settings`: its results, and its
    model beside them (the model is saved second, so results alone are not done)."""
    made = run_files(output, settings["variant"])
    try:
        run = json.loads(made.results.read_text())
    except (OSError, ValueError):
        return False
    same = isinstance(run, dict) and all(run.get(k) == v for k, v in settings.items())
    return same and made.model.is_file()


class TrainingLog(keras.callbacks.Callback):
    """Each epoch's loss and accuracy (the history) and wall-clock seconds, and the
    seconds of evaluation; a resumed run starts from its finished epochs' (`restore`)."""

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[float]] = {}
        self.epoch_seconds: list[float] = []
        self.evaluate_seconds = 0.0

    def restore(self, history: dict[str, list[float]], epoch_seconds: list[float]) -> None:
        self.history, self.epoch_seconds = history, epoch_seconds

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch_seconds.append(time.perf_counter() - self._start)
        for name, value in (logs or {}).items():
            self.history.setdefault(name, []).append(float(value))

    def on_test_begin(self, logs: dict | None = None) -> None:
        self._start = time.perf_counter()

    def on_test_end(self, logs: dict | None = None) -> None:
        self.evaluate_seconds += time.perf_counter() - self._start


def write(
    output: Path,
    settings: dict[str, Any],
    model: keras.Model,
    data: ImdbData,
    log: TrainingLog,
    resumed_from_epoch: int | None,
    test: tuple[float, float],
) -> Path:
    """Writes <output>/<variant>.json, then <output>/<variant>.keras; returns the JSON's
    path. `test` is the test (loss, accuracy).

    The results come first and need nothing that can fail but the disk, so a finished
    run is never lost to a problem saving the model (which `finished` does not take for
    done)."""
    test_loss, test_accuracy = test
    result = {
        **settings,
        "test_accuracy": float(test_accuracy),
        "test_loss": float(test_loss),
        "history": log.history,
        "train_seconds": sum(log.epoch_seconds),
        "epoch_seconds": log.epoch_seconds,
        "evaluate_seconds": log.evaluate_seconds,
        "resumed_from_epoch": resumed_from_epoch,
        "parameters": model.count_params(),
        "peak_memory_mb": machine.peak_memory_mb(),
        "train_reviews": len(data.y_train),
        "test_reviews": len(data.y_test),
        "split": data.split,
        # The labels of the reviews evaluated (after --max-samples): a model that says the
        # same for every review scores the larger share (tools/compare.py says so).
        "test_labels": {
            "positive": sum(int(label == 1) for label in data.y_test),
            "negative": sum(int(label != 1) for label in data.y_test),
        },
        "jit_compile": model.jit_compile,
        **machine.provenance(),
    }
    made = run_files(output, settings["variant"])
    try:
        output.mkdir(parents=True, exist_ok=True)
        files.write_json(made.results, result)
        model_files.save_model(model, made.model, data.encoding)
    except OSError as error:
        raise UserError(f"could not write results to {output}: {error}") from None
    return made.results
