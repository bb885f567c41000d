"""Everything the four tutorial scripts share: flags, seeding, IMDB data, results.

The scripts stay as short as the tutorial's listings; this module holds the parts a
reader does not need to see to follow the model: loading and encoding the reviews the
way `keras.datasets.imdb` does, caching them, and writing results and models safely.
Only the `keras` API is used, except in the guarded backend helpers, so the
scripts also run with KERAS_BACKEND=jax or torch.
"""

from __future__ import annotations

import argparse
import collections
import datetime
import gzip
import hashlib
import importlib.metadata
import json
import os
import platform
import re
import resource
import sys
import tarfile
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np

# Index conventions of keras.datasets.imdb.
PAD_INDEX = 0  # padding
START_INDEX = 1  # marks the start of every review
OOV_INDEX = 2  # a word outside the kept vocabulary
INDEX_FROM = 3  # the most frequent word gets INDEX_FROM + 1
SHUFFLE_SEED = 113  # keras.datasets.imdb shuffles train and test with this seed

# Evaluation needs no gradients, so large batches keep the 2 CPU cores busier than
# `evaluate`'s default of 32 (bench.py measures it); the result is the same.
EVAL_BATCH_SIZE = 500

ENCODING_ENTRY = "imdb_encoding.json"  # the vocabulary, stored inside the .keras file
CACHE_VERSION = 1  # bump when the encoding changes, so old caches are not reused

DATA_HELP = (
    "point --data (or IMDB_DATA) at a local imdb.npz, an aclImdb/ directory or aclImdb_v1.tar.gz"
)


class UserError(Exception):
    """A problem with what the user gave us; printed as one line, no traceback."""


def run(main: Callable[[], object]) -> None:
    """Calls `main()` and turns a UserError into one line on stderr and exit code 1."""
    try:
        main()
    except UserError as error:
        sys.exit(f"error: {error}")
    except KeyboardInterrupt:
        sys.exit("interrupted")


# ---------------------------------------------------------------------------
# Command-line flags


def positive_int(text: str) -> int:
    """argparse type: an integer of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def parse_args(doc: str | None, argv: list[str] | None = None) -> argparse.Namespace:
    """The flags every tutorial script takes; the defaults are the tutorial's."""
    parser = argparse.ArgumentParser(
        description=(doc or "").strip().splitlines()[0].removeprefix("Title: ")
    )
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
        type=int,
        default=7,
        metavar="N",
        help="random seed (default: %(default)s)",
    )
    parser.add_argument(
        "--data",
        default=os.environ.get("IMDB_DATA"),
        metavar="PATH",
        help="a local imdb.npz, aclImdb/ directory or aclImdb_v1.tar.gz; also the "
        "IMDB_DATA environment variable (default: download keras.datasets.imdb)",
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


def _enable_tensorflow_op_determinism() -> None:
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


def gpu_names() -> list[str]:
    """The GPUs the Keras backend will use; empty on a CPU-only machine."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        details = tf.config.experimental.get_device_details
        return [
            details(g).get("device_name", g.name) for g in tf.config.list_physical_devices("GPU")
        ]
    if backend == "jax":
        import jax

        return [d.device_kind for d in jax.devices() if d.platform == "gpu"]
    if backend == "torch":
        import torch

        return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    return []


def jit_compile(xla_faster_on_cpu: bool, args: argparse.Namespace) -> bool | str:
    """The `jit_compile` for `model.compile`, chosen per model and device; makes runs
    reproducible.

    Keras's default "auto" turns XLA off on a CPU-only TensorFlow machine, and on a GPU
    it keeps cuDNN's fused LSTM kernel. Each script says whether XLA measured faster
    for its model on CPU (bench.py); that choice applies only there. Without XLA,
    TensorFlow's op determinism makes two runs with one seed agree. Keras refuses XLA
    while op determinism is on; XLA's compiled CPU code is deterministic by itself
    (tests/test_scripts.py checks that two runs agree either way).
    """
    on_tensorflow_cpu = keras.backend.backend() == "tensorflow" and not gpu_names()
    if on_tensorflow_cpu and xla_faster_on_cpu and not args.tutorial_defaults:
        return True
    _enable_tensorflow_op_determinism()
    return "auto"


def eval_batch_size(args: argparse.Namespace) -> int | None:
    """The batch size for `model.evaluate`: Keras's default (32) as the tutorial, or ours."""
    return None if args.tutorial_defaults else EVAL_BATCH_SIZE


# ---------------------------------------------------------------------------
# Text encoding, shared by training (raw Stanford data) and predict.py

_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")  # letters and digits, inner apostrophes kept


def tokenize(text: str) -> list[str]:
    """Splits a review into lower-case words, dropping HTML line breaks and punctuation."""
    return _WORD.findall(_BREAK.sub(" ", text).lower())


def pad_reviews(sequences: list[np.ndarray], maxlen: int) -> np.ndarray:
    """Pads and truncates at the start, as keras.utils.pad_sequences does by default."""
    return keras.utils.pad_sequences(sequences, maxlen=maxlen, value=PAD_INDEX)


@dataclass(frozen=True)
class TextEncoding:
    """How reviews become model input: the kept words and Keras's index conventions."""

    word_index: dict[str, int]  # word -> index, only indices below num_words
    num_words: int
    maxlen: int

    def encode(self, text: str) -> np.ndarray:
        """START, then each word's index (OOV for words outside the vocabulary)."""
        indices = [self.word_index.get(word, OOV_INDEX) for word in tokenize(text)]
        return np.array([START_INDEX, *indices], dtype=np.int32)

    def pad(self, sequences: list[np.ndarray]) -> np.ndarray:
        return pad_reviews(sequences, self.maxlen)

    def to_json(self) -> dict[str, Any]:
        return {
            "num_words": self.num_words,
            "maxlen": self.maxlen,
            "pad_index": PAD_INDEX,
            "start_index": START_INDEX,
            "oov_index": OOV_INDEX,
            "index_from": INDEX_FROM,
            "padding": "pre",
            "truncating": "pre",
            "word_index": self.word_index,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TextEncoding:
        return cls(
            {w: int(i) for w, i in data["word_index"].items()},
            data["num_words"],
            data["maxlen"],
        )


def ranked_word_index(words_in_rank_order: Iterable[str], num_words: int) -> dict[str, int]:
    """Maps the most frequent word to INDEX_FROM + 1, the next to + 2, ... below num_words."""
    index = {}
    for rank, word in enumerate(words_in_rank_order, start=INDEX_FROM + 1):
        if rank >= num_words:
            break
        index[word] = rank
    return index


def build_encoding(train_texts: list[str], num_words: int, maxlen: int) -> TextEncoding:
    """Ranks words by frequency in the training reviews only (ties: alphabetical)."""
    counts: collections.Counter[str] = collections.Counter()
    for text in train_texts:
        counts.update(tokenize(text))
    ranked = sorted(counts, key=lambda word: (-counts[word], word))
    return TextEncoding(ranked_word_index(ranked, num_words), num_words, maxlen)


# ---------------------------------------------------------------------------
# Loading IMDB


@dataclass
class ImdbData:
    """Padded reviews and labels, where they came from, and how to encode new text."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str
    encoding: TextEncoding | None  # None when the word index cannot be had


@dataclass
class _Encoded:
    """Unpadded encoded reviews of both splits, as cached on disk."""

    train: list[np.ndarray]
    y_train: np.ndarray
    test: list[np.ndarray]
    y_test: np.ndarray
    encoding: TextEncoding | None


def load_imdb(
    data: str | None, num_words: int, maxlen: int, max_samples: int | None = None
) -> ImdbData:
    """IMDB reviews as the tutorial uses them: `num_words` words, padded to `maxlen`.

    `data` is None for keras.datasets.imdb (downloaded once), or a local imdb.npz, an
    aclImdb/ directory or a Stanford .tar.gz archive. Train and test are each
    shuffled with seed 113 as Keras does; `max_samples` keeps the first N of each.
    """
    if data is None:
        encoded, source = _load_keras_download(num_words, maxlen), "keras.datasets.imdb"
    else:
        path = Path(data).expanduser()
        encoded, source = _load_local(path, num_words, maxlen), str(path)
    return ImdbData(
        x_train=pad_reviews(encoded.train[:max_samples], maxlen),
        y_train=encoded.y_train[:max_samples],
        x_test=pad_reviews(encoded.test[:max_samples], maxlen),
        y_test=encoded.y_test[:max_samples],
        source=source,
        encoding=encoded.encoding,
    )


def _load_keras_download(num_words: int, maxlen: int) -> _Encoded:
    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.imdb.load_data(num_words=num_words)
    except Exception as error:  # Keras raises a bare Exception for a failed download
        raise UserError(f"could not download keras.datasets.imdb ({error}); {DATA_HELP}") from None
    return _Encoded(
        [np.asarray(x, np.int32) for x in x_train],
        y_train,
        [np.asarray(x, np.int32) for x in x_test],
        y_test,
        _keras_word_index_encoding(num_words, maxlen),
    )


def _keras_word_index_encoding(num_words: int, maxlen: int) -> TextEncoding | None:
    """The vocabulary of keras.datasets.imdb, or None if it cannot be downloaded."""
    try:
        word_index = keras.datasets.imdb.get_word_index()
    except Exception:  # offline: the model is still trained, predict.py explains
        return None
    shifted = {word: rank + INDEX_FROM for word, rank in word_index.items()}
    kept = {word: index for word, index in shifted.items() if index < num_words}
    return TextEncoding(kept, num_words, maxlen)


def _load_local(path: Path, num_words: int, maxlen: int) -> _Encoded:
    if not path.exists():
        raise UserError(f"{path}: no such file or directory; {DATA_HELP}")
    if path.is_dir():
        root = _stanford_root(path)
        return _cached(root, _directory_fingerprint(root), num_words, maxlen, _read_directory)
    with open(path, "rb") as file:
        magic = file.read(4)
    if magic.startswith(b"PK"):
        return _read_npz(path, num_words)
    if magic.startswith(b"\x1f\x8b"):
        stat = path.stat()
        return _cached(path, f"{stat.st_size}-{stat.st_mtime_ns}", num_words, maxlen, _read_tarball)
    raise UserError(f"{path}: not an imdb.npz, aclImdb/ directory or .tar.gz archive; {DATA_HELP}")


def _read_npz(path: Path, num_words: int) -> _Encoded:
    """A Keras-format imdb.npz, transformed exactly as keras.datasets.imdb.load_data does."""
    try:  # Keras stores the reviews as object arrays, which need pickle: trusted files only
        with np.load(path, allow_pickle=True) as npz:
            missing = {"x_train", "y_train", "x_test", "y_test"} - set(npz.files)
            if missing:
                raise UserError(
                    f"{path}: not a Keras imdb.npz, missing {', '.join(sorted(missing))}"
                )
            x_train, y_train, x_test, y_test = (
                npz[k] for k in ("x_train", "y_train", "x_test", "y_test")
            )
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        raise UserError(f"{path}: unreadable .npz ({error})") from None
    rng = np.random.RandomState(SHUFFLE_SEED)
    train_order, test_order = (
        rng.permutation(len(x_train)),
        rng.permutation(len(x_test)),
    )

    def encode(ranks: Iterable[int]) -> np.ndarray:
        indices = np.asarray(list(ranks), np.int64) + INDEX_FROM
        return np.concatenate(
            [[START_INDEX], np.where(indices < num_words, indices, OOV_INDEX)]
        ).astype(np.int32)

    return _Encoded(
        [encode(x_train[i]) for i in train_order],
        np.asarray(y_train)[train_order],
        [encode(x_test[i]) for i in test_order],
        np.asarray(y_test)[test_order],
        None,  # an .npz holds numbers only: no words to encode new text with
    )


# Raw Stanford reviews: aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt
_REVIEW_PATH = re.compile(r"(?:^|/)(train|test)/(pos|neg)/[^/]+\.txt$")
Reviews = dict[str, list[tuple[str, int]]]  # split -> [(text, label)], in file-name order


def _stanford_root(path: Path) -> Path:
    for root in (path, path / "aclImdb"):
        if (root / "train").is_dir() and (root / "test").is_dir():
            return root
    raise UserError(f"{path}: a directory without train/ and test/; {DATA_HELP}")


def _directory_fingerprint(root: Path) -> str:
    """Changes when reviews are added or removed in any of the four label folders."""
    folders = [root / split / label for split in ("train", "test") for label in ("pos", "neg")]
    return "-".join(str(f.stat().st_mtime_ns) if f.is_dir() else "none" for f in folders)


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")  # a stray byte must not stop training


def _read_directory(root: Path) -> Reviews:
    files = sorted(p for p in root.glob("*/*/*.txt") if _REVIEW_PATH.search(p.as_posix()))
    return _group_reviews((p.relative_to(root).as_posix(), _decode(p.read_bytes())) for p in files)


def _read_tarball(path: Path) -> Reviews:
    """Streams the reviews out of the archive without unpacking it to disk."""
    try:
        with tarfile.open(path, "r:gz") as archive:
            members = (
                (m, archive.extractfile(m))
                for m in archive
                if m.isfile() and _REVIEW_PATH.search(m.name)
            )
            return _group_reviews(sorted((m.name, _decode(f.read())) for m, f in members))
    except (tarfile.TarError, EOFError, OSError, zlib.error, gzip.BadGzipFile) as error:
        raise UserError(
            f"{path}: truncated or corrupt archive ({error}); download it again"
        ) from None


def _group_reviews(named_texts: Iterable[tuple[str, str]]) -> Reviews:
    reviews: Reviews = {"train": [], "test": []}
    for name, text in named_texts:
        split, label = _REVIEW_PATH.search(name).groups()
        reviews[split].append((text, int(label == "pos")))
    return reviews


def _encode_reviews(reviews: Reviews, source: Path, num_words: int, maxlen: int) -> _Encoded:
    for split, found in reviews.items():
        if not found:
            raise UserError(f"{source}: no {split}/pos or {split}/neg reviews (*.txt); {DATA_HELP}")
    encoding = build_encoding([text for text, _ in reviews["train"]], num_words, maxlen)
    rng = np.random.RandomState(SHUFFLE_SEED)
    splits = {}
    for split in ("train", "test"):
        order = rng.permutation(len(reviews[split]))
        splits[split] = (
            [encoding.encode(reviews[split][i][0]) for i in order],
            np.array([reviews[split][i][1] for i in order], dtype=np.int32),
        )
    return _Encoded(*splits["train"], *splits["test"], encoding)


def keras_cache_dir() -> Path:
    """The Keras datasets cache: $KERAS_HOME/datasets, else ~/.keras/datasets."""
    home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
    return home / "datasets"


def _cached(
    source: Path,
    fingerprint: str,
    num_words: int,
    maxlen: int,
    read: Callable[[Path], Reviews],
) -> _Encoded:
    """Encodes raw reviews once; later runs load the arrays from the Keras cache folder."""
    key = f"{source.resolve()}|{fingerprint}|{num_words}|{CACHE_VERSION}"
    cache = keras_cache_dir() / f"imdb-lstm-{hashlib.sha256(key.encode()).hexdigest()[:16]}.npz"
    if cache.exists():
        try:
            return _load_cache(cache, maxlen)
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            pass  # a damaged cache is rebuilt below
    print(f"Encoding the reviews in {source} (cached for later runs) ...", flush=True)
    encoded = _encode_reviews(read(source), source, num_words, maxlen)
    try:
        _save_cache(cache, encoded)
    except OSError as error:  # a read-only home only costs the next run some time
        print(
            f"warning: could not cache the encoded reviews in {cache}: {error}",
            file=sys.stderr,
        )
    return encoded


def _save_cache(cache: Path, encoded: _Encoded) -> None:
    def flat(sequences: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        lengths = np.array([len(s) for s in sequences], dtype=np.int64)
        return np.concatenate(sequences), np.concatenate([[0], np.cumsum(lengths)])

    (train, train_offsets), (test, test_offsets) = (
        flat(encoded.train),
        flat(encoded.test),
    )
    words = json.dumps(encoded.encoding.to_json())
    cache.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(cache) as tmp, open(tmp, "wb") as file:
        np.savez(
            file,
            train=train,
            train_offsets=train_offsets,
            y_train=encoded.y_train,
            test=test,
            test_offsets=test_offsets,
            y_test=encoded.y_test,
            encoding=np.array(words),
        )


def _load_cache(cache: Path, maxlen: int) -> _Encoded:
    with np.load(cache) as npz:

        def split(name: str) -> list[np.ndarray]:
            return np.split(npz[name], npz[f"{name}_offsets"][1:-1])

        encoding = TextEncoding.from_json(json.loads(str(npz["encoding"])))
        return _Encoded(
            split("train"),
            npz["y_train"],
            split("test"),
            npz["y_test"],
            TextEncoding(encoding.word_index, encoding.num_words, maxlen),
        )


# ---------------------------------------------------------------------------
# Timing, results and models


class Timer(keras.callbacks.Callback):
    """Records the wall-clock seconds of each training epoch and of evaluation."""

    def __init__(self) -> None:
        super().__init__()
        self.epoch_seconds: list[float] = []
        self.evaluate_seconds = 0.0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch_seconds.append(time.perf_counter() - self._start)

    def on_test_begin(self, logs: dict | None = None) -> None:
        self._start = time.perf_counter()

    def on_test_end(self, logs: dict | None = None) -> None:
        self.evaluate_seconds += time.perf_counter() - self._start


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


def write_json(path: Path, data: Any) -> None:
    """Writes JSON atomically: readers never see a half-written file."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2) + "\n")


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


def machine_description() -> str:
    """CPU model and cores, and GPUs if any, e.g. "AMD EPYC (2 cores)"."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    gpus = gpu_names()
    return f"{cpu} ({os.cpu_count()} cores)" + (f", GPU: {', '.join(gpus)}" if gpus else "")


def versions() -> dict[str, str]:
    backend = keras.backend.backend()
    return {
        "python": platform.python_version(),
        "keras": keras.__version__,
        "backend": backend,
        backend: importlib.metadata.version(backend),
        "numpy": np.__version__,
    }


def peak_memory_mb() -> float:
    """The process's peak resident memory so far (Linux reports kB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def save_run(
    script: str,
    args: argparse.Namespace,
    model: keras.Model,
    data: ImdbData,
    history: keras.callbacks.History,
    timer: Timer,
    test_loss: float,
    test_accuracy: float,
) -> Path:
    """Writes <output>/<script>.json and <output>/<script>.keras; returns the JSON path."""
    name = Path(script).stem
    output = Path(args.output)
    try:
        output.mkdir(parents=True, exist_ok=True)
        save_model(model, output / f"{name}.keras", data.encoding)
        result = {
            "variant": name,
            "test_accuracy": float(test_accuracy),
            "test_loss": float(test_loss),
            "history": {k: [float(v) for v in vs] for k, vs in history.history.items()},
            "train_seconds": sum(timer.epoch_seconds),
            "epoch_seconds": timer.epoch_seconds,
            "evaluate_seconds": timer.evaluate_seconds,
            "parameters": model.count_params(),
            "peak_memory_mb": peak_memory_mb(),
            "epochs": args.epochs,
            "batch_size": args.batch_size,
            "seed": args.seed,
            "train_reviews": len(data.y_train),
            "test_reviews": len(data.y_test),
            "data": data.source,
            "jit_compile": model.jit_compile,
            "tutorial_defaults": args.tutorial_defaults,
            "versions": versions(),
            "machine": machine_description(),
            "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        }
        path = output / f"{name}.json"
        write_json(path, result)
    except OSError as error:
        raise UserError(f"could not write results to {output}: {error}") from None
    return path
