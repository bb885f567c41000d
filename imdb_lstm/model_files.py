"""Saving a trained model with the vocabulary it was trained with inside the .keras
file, and reading both back from a file that may come from anyone (docs/model-files.md):
every entry of the archive is bounded before anything is read, the vocabulary's values
are checked, and the model must take what the vocabulary makes."""

from __future__ import annotations

import json
import textwrap
import zipfile
from pathlib import Path

import keras

from imdb_lstm.encoding import TextEncoding
from imdb_lstm.errors import UserError, first_line
from imdb_lstm.files import atomic_path

ENCODING_ENTRY = "imdb_encoding.json"  # the vocabulary, stored inside the .keras file
# The most a model file may unpack to, as its archive declares (zipfile reads no entry
# past its declared size): the scripts' models unpack to under 8 MB, their vocabulary
# to under 100 KB.
MAX_ENTRIES = 64
MAX_UNPACKED_BYTES = 128 << 20
MAX_VOCABULARY_BYTES = 8 << 20
ERROR_CHARACTERS = 200  # of a message from Keras, which may be long and span lines


def save_model(model: keras.Model, path: Path, encoding: TextEncoding | None) -> None:
    """Saves the model in the .keras format with its vocabulary inside, atomically."""
    with atomic_path(path) as tmp:
        model.save(tmp)
        if encoding is not None:
            with zipfile.ZipFile(tmp, "a") as archive:
                archive.writestr(ENCODING_ENTRY, json.dumps(encoding.to_json()))


def load_model(path: str | Path) -> tuple[keras.Model, TextEncoding | None]:
    """A model saved by `save_model`, and its vocabulary (None if it was saved without);
    UserError, one line, for anything else."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"{path}: a directory, not a model file; give the .keras file in it")
    if not path.is_file():
        raise UserError(f"{path}: no such model file; train one first, e.g. python lstm_basic.py")
    encoding = read_vocabulary(path)  # first: a damaged vocabulary fails before Keras loads
    try:
        model = keras.saving.load_model(path)
    except Exception as error:  # whatever Keras raises, the file is at fault
        raise UserError(f"{path}: not a .keras model Keras can load ({one_line(error)})") from None
    if encoding is not None:
        check_model_takes(model, encoding, path)
    return model, encoding


def read_vocabulary(path: Path) -> TextEncoding | None:
    """The vocabulary stored in a model file, None if there is none; the archive's
    declared sizes are checked before anything in it is read."""
    try:
        with zipfile.ZipFile(path) as archive:
            check_sizes(archive, path)
            if ENCODING_ENTRY not in archive.namelist():
                return None
            data = json.loads(archive.read(ENCODING_ENTRY))
    except (zipfile.BadZipFile, OSError, ValueError, RecursionError) as error:
        raise UserError(f"{path}: not a readable .keras model ({one_line(error)})") from None
    try:
        return TextEncoding.from_json(data)
    except ValueError as error:
        raise UserError(f"{path}: its vocabulary is damaged ({error})") from None


def check_sizes(archive: zipfile.ZipFile, path: Path) -> None:
    entries = archive.infolist()
    unpacked = sum(entry.file_size for entry in entries)
    vocabulary = sum(e.file_size for e in entries if e.filename == ENCODING_ENTRY)
    if vocabulary > MAX_VOCABULARY_BYTES:
        raise UserError(
            f"{path}: its vocabulary unpacks to {vocabulary:,} bytes, more than the "
            f"{MAX_VOCABULARY_BYTES:,} one may; not loaded"
        )
    if len(entries) > MAX_ENTRIES or unpacked > MAX_UNPACKED_BYTES:
        raise UserError(
            f"{path}: unpacks to {len(entries):,} files, {unpacked:,} bytes, more than a model "
            f"file may ({MAX_ENTRIES} files, {MAX_UNPACKED_BYTES:,} bytes); not loaded"
        )


def check_model_takes(model: keras.Model, encoding: TextEncoding, path: Path) -> None:
    """The model must read reviews of the vocabulary's length, have room in its Embedding
    for every word index, and give one probability a review."""
    inputs, outputs = model.inputs or [], model.outputs or []
    shapes = [tuple(tensor.shape) for tensor in (*inputs, *outputs)]
    if len(inputs) != 1 or len(outputs) != 1 or len(shapes[0]) != 2 or shapes[1][1:] != (1,):
        raise UserError(
            f"{path}: not a review classifier: it should take one sequence of word indices "
            f"and give one probability, but its inputs and outputs are {shapes}"
        )
    length = shapes[0][1]
    if length not in (None, encoding.maxlen):
        raise UserError(
            f"{path}: the model reads {length} words a review, its vocabulary pads them to "
            f"{encoding.maxlen}: they do not belong together"
        )
    embeddings = [layer for layer in model.layers if isinstance(layer, keras.layers.Embedding)]
    if embeddings and embeddings[0].input_dim < encoding.num_words:
        raise UserError(
            f"{path}: its vocabulary numbers words up to {encoding.num_words - 1}, its "
            f"Embedding only up to {embeddings[0].input_dim - 1}: they do not belong together"
        )


def one_line(error: BaseException) -> str:
    return textwrap.shorten(first_line(error), ERROR_CHARACTERS, placeholder="...")
