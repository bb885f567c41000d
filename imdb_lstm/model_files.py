"""Saving a trained model with the vocabulary it was trained with inside the .keras
file, and reading both back."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import keras

from imdb_lstm.encoding import TextEncoding
from imdb_lstm.errors import UserError
from imdb_lstm.files import atomic_path

ENCODING_ENTRY = "imdb_encoding.json"  # the vocabulary, stored inside the .keras file


def save_model(model: keras.Model, path: Path, encoding: TextEncoding | None) -> None:
    """Saves the model in the .keras format with its vocabulary inside, atomically."""
    with atomic_path(path) as tmp:
        model.save(tmp)
        if encoding is not None:
            with zipfile.ZipFile(tmp, "a") as archive:
                archive.writestr(ENCODING_ENTRY, json.dumps(encoding.to_json()))


def load_model(path: str | Path) -> tuple[keras.Model, TextEncoding | None]:
    """A model saved by `save_model`, and its vocabulary (None if it was saved without)."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such model file; train one first, e.g. python lstm_basic.py")
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            encoding = json.loads(archive.read(ENCODING_ENTRY)) if ENCODING_ENTRY in names else None
        model = keras.saving.load_model(path)
    except (zipfile.BadZipFile, OSError, ValueError, KeyError) as error:
        raise UserError(f"{path}: not a readable .keras model ({error})") from None
    return model, encoding and TextEncoding.from_json(encoding)
