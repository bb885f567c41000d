"""The encoded reviews of a raw data set, kept in the Keras cache folder: encoding
50,000 reviews takes seconds, loading the arrays a fraction of one.

An entry is found by the source, its fingerprint and num_words, and holds the tokenizer
and cache version that made it: an entry made by another tokenizer or version, or a
damaged one, is encoded again, with one line saying why."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import sys
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from imdb_lstm import progress
from imdb_lstm.encoding import TOKENIZER, TextEncoding
from imdb_lstm.files import atomic_path

# Bump when the cached arrays change in a way the tokenizer's name does not say
# (4: CSV text read with universal newlines).
VERSION = 4
_MADE_BY = f"tokenizer {TOKENIZER}, cache version {VERSION}"  # stored in every entry


def keras_cache_dir() -> Path:
    """The Keras datasets cache: $KERAS_HOME/datasets, else (KERAS_HOME unset or empty,
    as imdb_lstm/quiet.py has Keras take it) ~/.keras/datasets."""
    home = Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras")
    return home / "datasets"


def file_fingerprint(path: Path) -> str:
    stat = path.stat()
    return f"{stat.st_size}-{stat.st_mtime_ns}"


def folder_fingerprint(folders: list[Path]) -> str:
    """Changes when any file in `folders` is added, removed or edited (size or time)."""
    digest = hashlib.sha256()
    for folder in folders:
        if not folder.is_dir():
            digest.update(f"{folder} missing\n".encode())
            continue
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            digest.update(f"{entry.name} {_size_and_time(entry)}\n".encode())
    return digest.hexdigest()


def _size_and_time(entry: os.DirEntry) -> str:
    """Of the file an entry names; "unreadable" for a broken link or a link loop, which
    reading the folder refuses with one line."""
    try:
        stat = entry.stat()
    except OSError:
        return "unreadable"
    return f"{stat.st_size} {stat.st_mtime_ns}"


Split = tuple[list[np.ndarray], np.ndarray]  # unpadded reviews and their labels


def cached(
    source: Path,
    fingerprint: str,
    num_words: int,
    maxlen: int,
    encode: Callable[[], tuple[Split, Split, TextEncoding]],
) -> tuple[Split, Split, TextEncoding]:
    """`encode()`'s result, computed once per source, fingerprint, num_words, tokenizer
    and cache version."""
    key = f"{source.resolve()}|{fingerprint}|{num_words}"
    cache = keras_cache_dir() / f"imdb-lstm-{hashlib.sha256(key.encode()).hexdigest()[:16]}.npz"
    with _encoding_lock(cache.parent):
        return _cached(cache, source, maxlen, encode)


@contextmanager
def _encoding_lock(folder: Path) -> Iterator[None]:
    """Held while a process looks for, or makes, an entry in the cache `folder`: of several
    runs started together (make run-all), one encodes the reviews and the others wait, then
    read its entry. An flock on the folder itself (no lock file left behind), which the
    kernel releases however the process ends; none where the folder cannot be made (each
    run then encodes for itself)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        yield
        return
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print("Waiting for another run encoding reviews into the cache ...", flush=True)
            progress.note(event="waiting")
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def _cached(
    cache: Path, source: Path, maxlen: int, encode: Callable[[], tuple[Split, Split, TextEncoding]]
) -> tuple[Split, Split, TextEncoding]:
    if cache.exists():
        try:
            made_by = _made_by(cache)
            if made_by == _MADE_BY:
                return _load(cache, maxlen)
            print(f"The cached encoding {cache} was made by {made_by}, not {_MADE_BY}.")
        except _DAMAGED as error:
            print(f"The cached encoding {cache} is damaged ({error}).")
    print(f"Encoding the reviews in {source} (cached for later runs) ...", flush=True)
    progress.note(event="encoding", source=str(source))
    encoded = encode()
    try:
        _save(cache, *encoded)
    except OSError as error:  # a read-only home only costs the next run some time
        print(f"warning: could not cache the encoded reviews in {cache}: {error}", file=sys.stderr)
    return encoded


# What reading a damaged entry raises: a cut file (EOFError), another kind of file in its
# place (a .npy: ValueError or TypeError), arrays that do not fit together (IndexError).
_DAMAGED = (OSError, ValueError, KeyError, EOFError, TypeError, IndexError, zipfile.BadZipFile)


def _open(cache: Path) -> np.lib.npyio.NpzFile:
    """The entry's arrays; ValueError if it is not an .npz at all."""
    npz = np.load(cache)
    if not isinstance(npz, np.lib.npyio.NpzFile):
        raise ValueError("not an .npz file")
    return npz


def _made_by(cache: Path) -> str:
    """What made a cache entry, as _MADE_BY says it ("an unknown tokenizer" before version 3)."""
    with _open(cache) as npz:
        return str(npz["made_by"]) if "made_by" in npz.files else "an unknown tokenizer"


def _save(cache: Path, train: Split, test: Split, encoding: TextEncoding) -> None:
    def flat(sequences: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        lengths = np.array([len(s) for s in sequences], dtype=np.int64)
        return np.concatenate(sequences), np.concatenate([[0], np.cumsum(lengths)])

    (train_words, train_offsets), (test_words, test_offsets) = flat(train[0]), flat(test[0])
    cache.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(cache) as tmp, open(tmp, "wb") as file:
        np.savez(
            file,
            train=train_words,
            train_offsets=train_offsets,
            y_train=train[1],
            test=test_words,
            test_offsets=test_offsets,
            y_test=test[1],
            encoding=np.array(json.dumps(encoding.to_json())),
            made_by=np.array(_MADE_BY),
        )


def _load(cache: Path, maxlen: int) -> tuple[Split, Split, TextEncoding]:
    with _open(cache) as npz:

        def split(name: str) -> Split:
            return np.split(npz[name], npz[f"{name}_offsets"][1:-1]), npz[f"y_{name}"]

        encoding = TextEncoding.from_json(json.loads(str(npz["encoding"])))
        return (
            split("train"),
            split("test"),
            TextEncoding(encoding.word_index, encoding.num_words, maxlen),
        )
