"""The scripts' models as the tools time them: built by each script's own build_model and
compiled as every script's main() compiles it (tests/test_scripts.py checks the scripts'
compile lines against COMPILE)."""

from __future__ import annotations

import importlib
from types import ModuleType

import keras

from imdb_lstm.variants import EXTENSIONS

# The tutorial's training set-up: every script's model.compile(...), but jit_compile.
COMPILE = {"loss": "binary_crossentropy", "optimizer": "adam", "metrics": ["accuracy"]}


def script(variant: str) -> ModuleType:
    """The script of `variant`: lstm_basic.py, or extensions/bidirectional_lstm.py."""
    return importlib.import_module(f"extensions.{variant}" if variant in EXTENSIONS else variant)


def compiled_model(variant: str, jit_compile: bool | str) -> keras.Model:
    """`variant`'s model, compiled as its script compiles it."""
    model = script(variant).build_model()
    model.compile(**COMPILE, jit_compile=jit_compile)
    return model
