"""The only module that knows which Keras backend runs: what makes runs reproducible
(TensorFlow's op determinism), where XLA is used, the training batches' pipeline, and the
one backend known to train these models very slowly. The scripts reach all of it through
common.Run, so they use nothing but the `keras` API and run on JAX and PyTorch too."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from imdb_lstm import machine


def on_tensorflow_cpu() -> bool:
    return keras.backend.backend() == "tensorflow" and not machine.gpu_names()


def uses_xla(xla_faster_on_cpu: bool) -> bool:
    """Whether a model gets XLA: only on a CPU-only TensorFlow machine, and only where it
    was measured faster there (imdb_lstm/variants.py)."""
    return on_tensorflow_cpu() and xla_faster_on_cpu


def jit_compile(xla_faster_on_cpu: bool) -> bool | str:
    """The `jit_compile` for `model.compile`, chosen per model and device; makes the run
    reproducible.

    Keras's default "auto" turns XLA off on a CPU-only TensorFlow machine, and on a GPU
    it keeps cuDNN's fused LSTM kernel. Without XLA, TensorFlow's op determinism makes
    two runs with one seed agree. Keras refuses XLA while op determinism is on, so it is
    switched off for an XLA model (as in a process that never switched it on: one process
    can train both kinds, e.g. the notebook); XLA's compiled CPU code is deterministic by
    itself (tests/test_run_all.py checks that two runs agree either way).
    """
    xla = uses_xla(xla_faster_on_cpu)
    op_determinism(not xla)
    return True if xla else "auto"


def op_determinism(enabled: bool) -> None:
    """Switches TensorFlow's op determinism on or off (nothing to switch elsewhere)."""
    if keras.backend.backend() == "tensorflow":
        # Keras's own trainer reads the switch from here.
        from tensorflow.python.framework import config

        (config.enable_op_determinism if enabled else config.disable_op_determinism)()


def warn_if_slow() -> None:
    """One line where Keras is known to train these models very slowly: PyTorch without
    a GPU, where each step of the LSTM's backward pass zero-fills the gradient of all 500
    words (docs/backends.md)."""
    if keras.backend.backend() == "torch" and not machine.gpu_names():
        print(
            "note: on PyTorch without a GPU, Keras trains these LSTMs many times slower "
            "than TensorFlow (measured: docs/backends.md); use KERAS_BACKEND=jax or "
            "tensorflow instead (make ... BACKEND=jax)"
        )


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
    batches = ShuffledBatches(x, y, batch_size, seed)
    for _ in range(epochs_done):
        batches.on_epoch_end()
    return batches


class ShuffledBatches(keras.utils.PyDataset):
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
