"""Everything the four tutorial scripts share: flags, seeding, IMDB data, results.

How a review becomes model input, as in keras.datasets.imdb: the text is lower-cased,
punctuation other than the apostrophe becomes spaces (so "<br />" is the word "br"),
and each word becomes its frequency rank in the training reviews, starting from 4 for
the most frequent. 1 marks the start of every review, 2 stands for a word outside the
5,000 kept, and each review is padded with 0 (or cut) at the start to 500 numbers.

The scripts stay as short as the tutorial's listings; reading the data formats,
caching, and writing files safely live in the imdb_lstm/ package. Only the `keras` API
is used here, except in the guarded backend helpers, so the scripts also run with
KERAS_BACKEND=jax or torch.
"""

from __future__ import annotations

from imdb_lstm.quiet import keras  # Keras, without TensorFlow's start-up notices

import argparse
import datetime
import os
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from imdb_lstm import data as imdb_data
from imdb_lstm import files, lock, machine, model_files, progress, resume
from imdb_lstm.cli import non_negative_int, positive_int, title
from imdb_lstm.cli import run as run  # the scripts end with common.run(main)
from imdb_lstm.data import ImdbData
from imdb_lstm.errors import UserError

# shuffled_batches shuffles; Keras's note that its own `shuffle=True` is then unused is noise.
warnings.filterwarnings("ignore", message="`shuffle=True` was passed, but will be ignored")

# Evaluation needs no gradients, so large batches keep the 2 CPU cores busier than
# `evaluate`'s default of 32 (tools/bench.py measures it); the result is the same.
EVAL_BATCH_SIZE = 500


# ---------------------------------------------------------------------------
# Command-line flags


def parse_args(doc: str | None, argv: list[str] | None = None) -> argparse.Namespace:
    """The flags every tutorial script takes; the defaults are the tutorial's."""
    parser = argparse.ArgumentParser(description=title(doc))
    parser.add_argument(
        "--epochs",
        type=positive_int,
        default=3,
        metavar="N",
        help="training epochs (default: %(default)s)",
    )
    parser.add_argument(
        "--batch-size",
        type=positive_int,
        default=64,
        metavar="N",
        help="reviews per training step (default: %(default)s)",
    )
    parser.add_argument(
        "--seed",
        type=non_negative_int,
        default=7,
        metavar="N",
        help="random seed (default: %(default)s)",
    )
    parser.add_argument(
        "--data",
        default=os.environ.get("IMDB_DATA"),
        metavar="PATH",
        help="a local imdb.npz, aclImdb/ directory, aclImdb_v1.tar.gz, or a CSV file of "
        "your own reviews (.csv or .csv.gz, see the README); also the IMDB_DATA "
        "environment variable (default: download keras.datasets.imdb)",
    )
    parser.add_argument(
        "--max-samples",
        type=positive_int,
        metavar="N",
        help="use only the first N train and N test reviews, for quick runs "
        "(default: all 25,000 of each)",
    )
    parser.add_argument(
        "--output",
        default="results",
        metavar="DIR",
        help="folder for the results JSON and the trained model (default: %(default)s)",
    )
    parser.add_argument(
        "--restart",
        action="store_true",
        help="throw away the checkpoint of an interrupted run (<output>/<script>.backup) "
        "and train from the first epoch (default: resume from it)",
    )
    parser.add_argument(
        "--progress",
        metavar="FILE",
        help="also append the training's progress to FILE as JSON lines, for make "
        "run-all to show (default: none)",
    )
    parser.add_argument(
        "--tutorial-defaults",
        action="store_true",
        help="compile and evaluate exactly as the tutorial's listing does (Keras's "
        "default jit_compile, evaluate's default batch size), to time the project against it",
    )
    return parser.parse_args(argv)


# ---------------------------------------------------------------------------
# Backend: the only places that know which backend runs


def set_seed(seed: int) -> None:
    """Seeds Python, NumPy and the backend (`jit_compile` below does the rest)."""
    keras.utils.set_random_seed(seed)


def enable_op_determinism() -> None:
    """TensorFlow's op determinism: with it, two runs with one seed agree exactly."""
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


def warn_if_slow_backend() -> None:
    """One line where Keras is known to train these models very slowly: PyTorch without
    a GPU, where each step of the LSTM's backward pass zero-fills the gradient of all 500
    words (docs/backends.md)."""
    if keras.backend.backend() == "torch" and not machine.gpu_names():
        print(
            "note: on PyTorch without a GPU, Keras trains these LSTMs 4 to 67 times slower "
            "than TensorFlow (measured on 2 cores, docs/backends.md); use KERAS_BACKEND=jax "
            "or tensorflow instead (make ... BACKEND=jax)"
        )


def uses_xla(xla_faster_on_cpu: bool, tutorial_defaults: bool = False) -> bool:
    """Whether a model gets XLA: only on a CPU-only TensorFlow machine, and only where
    its script measured XLA faster there (tools/bench.py)."""
    on_tensorflow_cpu = keras.backend.backend() == "tensorflow" and not machine.gpu_names()
    return on_tensorflow_cpu and xla_faster_on_cpu and not tutorial_defaults


def jit_compile(xla_faster_on_cpu: bool, args: argparse.Namespace) -> bool | str:
    """The `jit_compile` for `model.compile`, chosen per model and device; makes runs
    reproducible.

    Keras's default "auto" turns XLA off on a CPU-only TensorFlow machine, and on a GPU
    it keeps cuDNN's fused LSTM kernel. Without XLA, TensorFlow's op determinism makes
    two runs with one seed agree. Keras refuses XLA while op determinism is on; XLA's
    compiled CPU code is deterministic by itself (tests/test_scripts.py checks that two
    runs agree either way).
    """
    if uses_xla(xla_faster_on_cpu, args.tutorial_defaults):
        return True
    enable_op_determinism()
    return "auto"


def shuffled_batches(
    x: np.ndarray, y: np.ndarray, batch_size: int, seed: int, epochs_done: int = 0
) -> Any:
    """Training batches for `model.fit`, in a new order every epoch, seeded; a resumed
    run skips the orders of its `epochs_done` finished epochs.

    On TensorFlow this is a tf.data pipeline with autotuning off. Keras's own pipeline
    for arrays autotunes, and tearing that down between epochs stalled the XLA model
    before every epoch after the first (docs/speed.md).
    """
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        options = tf.data.Options()
        options.autotune.enabled = False
        batches = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(y), seed=seed)
        batches = batches.batch(batch_size).with_options(options)
        # Each new iterator of the dataset moves it on to the next order, and Keras 3's
        # fit makes two an epoch (one to train on, one at the epoch's end that it drops).
        for _ in range(2 * epochs_done):
            iter(batches)
        return batches
    batches = _ShuffledBatches(x, y, batch_size, seed)
    for _ in range(epochs_done):
        batches.on_epoch_end()
    return batches


class _ShuffledBatches(keras.utils.PyDataset):
    """`shuffled_batches` for the JAX and PyTorch backends."""

    def __init__(self, x: np.ndarray, y: np.ndarray, batch_size: int, seed: int) -> None:
        super().__init__()
        self.x, self.y, self.batch_size = x, y, batch_size
        self.rng = np.random.default_rng(seed)
        self.on_epoch_end()

    def __len__(self) -> int:
        return -(-len(self.y) // self.batch_size)

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        rows = self.order[index * self.batch_size : (index + 1) * self.batch_size]
        return self.x[rows], self.y[rows]

    def on_epoch_end(self) -> None:
        self.order = self.rng.permutation(len(self.y))


def eval_batch_size(args: argparse.Namespace) -> int | None:
    """The batch size for `model.evaluate`: Keras's default (32) as the tutorial, or ours."""
    return None if args.tutorial_defaults else EVAL_BATCH_SIZE


# ---------------------------------------------------------------------------
# Data


def load_imdb(
    data: str | None, num_words: int, maxlen: int, max_samples: int | None = None
) -> ImdbData:
    """IMDB reviews as the tutorial uses them: `num_words` words, padded to `maxlen`.

    `data` is None for keras.datasets.imdb (downloaded once), or a local imdb.npz, an
    aclImdb/ directory, a Stanford .tar.gz archive or a CSV file of reviews, encoded as
    the module docstring says (and cached). Train and test are each shuffled with seed
    113 as Keras does; `max_samples` keeps the first N of each.
    """
    return imdb_data.load(data, num_words, maxlen, max_samples)


# ---------------------------------------------------------------------------
# Timing and results


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


# What makes two runs of a script the same run: a checkpoint of another is not resumed.
RUN_SETTINGS = ["epochs", "batch_size", "seed", "max_samples", "tutorial_defaults"]


class Training:
    """A script's training run besides its model: the log of its epochs, the checkpoint
    an interrupted run resumes from (<output>/<script>.backup, imdb_lstm/resume.py), and
    the progress make run-all shows (--progress)."""

    def __init__(self, script: str, args: argparse.Namespace, data: ImdbData) -> None:
        lock.hold(Path(args.output), Path(script).stem)  # before the checkpoint is touched
        warn_if_slow_backend()
        self.args, self.log = args, TrainingLog()
        settings = {
            "script": Path(script).name,
            "data": data.source,
            "train_reviews": len(data.y_train),
            "backend": keras.backend.backend(),
            **{name: getattr(args, name) for name in RUN_SETTINGS},
        }
        folder = Path(args.output) / f"{Path(script).stem}.backup"
        self.backup = resume.Backup(folder, settings, machine.threads(), self.log, args.restart)
        self.callbacks = [self.log, self.backup]  # the checkpoint saved after the log's epoch
        if args.progress:
            files.check_appendable(Path(args.progress))
            self.callbacks.append(progress.writer_callback(args.progress))

    def shuffled_batches(self, x: np.ndarray, y: np.ndarray) -> Any:
        """The run's training batches (`shuffled_batches`), from its first unfinished epoch."""
        return shuffled_batches(x, y, self.args.batch_size, self.args.seed, self.backup.epochs_done)


def save_run(
    script: str,
    args: argparse.Namespace,
    model: keras.Model,
    data: ImdbData,
    training: Training,
    test_loss: float,
    test_accuracy: float,
) -> Path:
    """Writes <output>/<script>.json, then <output>/<script>.keras, then removes the run's
    checkpoint; returns the JSON path.

    The results come first and need nothing that can fail but the disk, so a finished
    run is never lost to a problem saving the model."""
    log = training.log
    name = Path(script).stem
    output = Path(args.output)
    result = {
        "variant": name,
        "test_accuracy": float(test_accuracy),
        "test_loss": float(test_loss),
        "history": log.history,
        "train_seconds": sum(log.epoch_seconds),
        "epoch_seconds": log.epoch_seconds,
        "evaluate_seconds": log.evaluate_seconds,
        "resumed_from_epoch": training.backup.epochs_done + 1 if training.backup.state else None,
        "parameters": model.count_params(),
        "peak_memory_mb": machine.peak_memory_mb(),
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "seed": args.seed,
        "max_samples": args.max_samples,
        "train_reviews": len(data.y_train),
        "test_reviews": len(data.y_test),
        "data": data.source,
        "split": data.split,
        "jit_compile": model.jit_compile,
        "tutorial_defaults": args.tutorial_defaults,
        "versions": machine.versions(),
        "machine": machine.machine_description(),
        # Besides the seed, these fix a run's numbers (docs/reproducible.md).
        "threads": machine.threads(),
        "vector_isa": machine.vector_isa(),
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
    }
    path = output / f"{name}.json"
    try:
        output.mkdir(parents=True, exist_ok=True)
        files.write_json(path, result)
        model_files.save_model(model, output / f"{name}.keras", data.encoding)
    except OSError as error:
        raise UserError(f"could not write results to {output}: {error}") from None
    training.backup.remove()
    return path
