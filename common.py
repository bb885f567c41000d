"""Everything the four tutorial scripts share: IMDB's reviews as numbers, the seed, and
one object for the rest of a run.

How a review becomes model input, as in keras.datasets.imdb: the text is lower-cased,
punctuation other than the apostrophe becomes spaces (so "<br />" is the word "br"),
and each word becomes its frequency rank in the training reviews, starting from 4 for
the most frequent. 1 marks the start of every review, 2 stands for a word outside the
5,000 kept, and each review is padded with 0 (or cut) at the start to 500 numbers.

A script reads like the tutorial's listing: its own model and `compile` line, and
`common.Run` for what is policy rather than tutorial (the flags, the seed, op
determinism and XLA, the training batches, the checkpoint an interrupted run resumes
from, the progress make run-all shows, the results file). Reading the data formats,
caching, the backends and writing files safely live in the imdb_lstm/ package. Only
the `keras` API is used here, so the scripts also run with KERAS_BACKEND=jax or torch.
"""

from __future__ import annotations

from imdb_lstm.quiet import keras  # Keras, without TensorFlow's start-up notices

import ast
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from imdb_lstm import backend, files, flags, lock, machine, progress, results, resume
from imdb_lstm import data as imdb_data
from imdb_lstm.cli import run as run  # the scripts end with common.run(main)
from imdb_lstm.data import ImdbData
from imdb_lstm.paths import run_files
from imdb_lstm.variants import XLA_FASTER_ON_CPU

# Run.batches shuffles; Keras's note that its own `shuffle=True` is then unused is noise.
warnings.filterwarnings("ignore", message="`shuffle=True` was passed, but will be ignored")

# Evaluation needs no gradients, so large batches keep the 2 CPU cores busier than
# `evaluate`'s default of 32 (tools/bench.py measures it); the result is the same.
EVAL_BATCH_SIZE = 500


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


class Run:
    """One run of a script, beside its model. `Run(__file__, argv, seed=SEED, ...)` reads
    the script's flags (`python lstm_basic.py --help`), its settings the defaults, and
    fixes the seed; then, in the script's order:

    - `load_imdb(num_words, maxlen)`: the reviews, and the checkpoint of an interrupted
      run (<output>/<script>.backup), which training resumes from;
    - `jit_compile`: XLA where it trains this model faster (imdb_lstm/variants.py),
      otherwise Keras's default with TensorFlow's op determinism, so a seed fixes the
      numbers;
    - `batches(x, y)`, `epochs`, `callbacks`: what `model.fit` takes: shuffled, seeded
      batches of the flags' size, the log of each epoch, the checkpoint, the progress;
    - `evaluate_options`: evaluation in large batches, timed;
    - `save(model, loss, accuracy)`: <output>/<script>.json and <script>.keras.
    """

    def __init__(
        self, script: str, argv: list[str] | None, *, seed: int, epochs: int, batch_size: int
    ) -> None:
        self.variant = Path(script).stem
        doc = ast.get_docstring(ast.parse(Path(script).read_text()))
        self.args = flags.parse_args(doc, argv, seed=seed, epochs=epochs, batch_size=batch_size)
        results.check_outputs_spare_inputs(self.variant, self.args)  # before any work
        lock.hold(self.output, self.variant)  # one run of a script per output folder
        self.epochs = self.args.epochs
        keras.utils.set_random_seed(self.args.seed)
        xla_faster = self.variant in XLA_FASTER_ON_CPU
        self.jit_compile = backend.jit_compile(xla_faster)
        backend.warn_if_slow()
        self.settings = results.same_run(self.variant, self.args)
        self.log = results.TrainingLog()
        self.callbacks: list[keras.callbacks.Callback] = [self.log]
        if self.args.progress:
            files.check_appendable(Path(self.args.progress))  # before training, not after it
            self.callbacks += progress.writer_callbacks(self.args.progress)

    def load_imdb(self, num_words: int, maxlen: int) -> ImdbData:
        """The reviews (`load_imdb`), and the run's checkpoint, saved after each epoch."""
        args = self.args
        self.data = load_imdb(args.data, num_words, maxlen, args.max_samples)
        folder = run_files(self.output, self.variant).backup
        self.backup = resume.Backup(
            folder, self.settings, machine.threads(), self.log, args.restart
        )
        self.callbacks.insert(1, self.backup)  # saved after the log has the epoch
        return self.data

    @property
    def output(self) -> Path:
        return Path(self.args.output)

    def batches(self, x: np.ndarray, y: np.ndarray) -> Any:
        """Training batches in a seeded new order every epoch, from the first epoch the
        checkpoint has not finished."""
        args = self.args
        done = self.backup.epochs_done
        return backend.shuffled_batches(x, y, args.batch_size, args.seed, done)

    @property
    def evaluate_options(self) -> dict[str, Any]:
        """`model.evaluate`'s batch size, quiet, timed by the run's log."""
        return {"batch_size": EVAL_BATCH_SIZE, "verbose": 0, "callbacks": self.callbacks}

    def save(self, model: keras.Model, test_loss: float, test_accuracy: float) -> Path:
        """Writes the results, then the model, then removes the checkpoint; returns the
        results' path."""
        resumed = self.backup.epochs_done + 1 if self.backup.state else None
        test = (test_loss, test_accuracy)
        path = results.write(self.output, self.settings, model, self.data, self.log, resumed, test)
        self.backup.remove()
        return path
