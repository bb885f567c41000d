"""Writing results and models so that nothing is ever half-written, and reading a
model back with the vocabulary it was trained with."""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import keras

from imdb_lstm.encoding import TextEncoding
from imdb_lstm.errors import UserError

ENCODING_ENTRY = "imdb_encoding.json"  # the vocabulary, stored inside the .keras file


class atomic_path:
    """A temporary path beside `target` that replaces it only if the block succeeds."""

    def __init__(self, target: Path) -> None:
        self.target = Path(target)

    def __enter__(self) -> Path:
        fd, tmp = tempfile.mkstemp(
            dir=self.target.parent,
            prefix=f".{self.target.name}.",
            suffix=self.target.suffix,
        )
        os.close(fd)
        self.tmp = Path(tmp)
        return self.tmp

    def __exit__(self, exc_type: type | None, *_: object) -> None:
        if exc_type is None:
            # mkstemp makes the file private; give it the permissions of a normal file.
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(self.tmp, 0o666 & ~umask)
            os.replace(self.tmp, self.target)
        else:
            self.tmp.unlink(missing_ok=True)


def write_bytes(path: Path, content: str | bytes) -> None:
    """Writes a file atomically: readers never see it half-written."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(content.encode() if isinstance(content, str) else content)


def write_json(path: Path, data: Any) -> None:
    write_bytes(path, json.dumps(data, indent=2) + "\n")


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
