"""IMDB reviews from every source the scripts take, encoded as keras.datasets.imdb
encodes them: the Keras download, a Keras imdb.npz, the Stanford aclImdb/ folder or
its .tar.gz archive (read without unpacking), or a CSV file of reviews (csv_reviews.py)."""

from __future__ import annotations

import gzip
import os
import re
import socket
import sys
import tarfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from imdb_lstm import cache, csv_reviews, files, npz, text_files
from imdb_lstm.csv_reviews import VALUES_SHOWN
from imdb_lstm.encoding import (
    INDEX_FROM,
    OOV_INDEX,
    START_INDEX,
    TextEncoding,
    build_encoding,
    keras_word_index_encoding,
    pad_reviews,
)
from imdb_lstm.errors import UserError, first_line
from imdb_lstm.paths import CHECKOUT

SHUFFLE_SEED = 113  # keras.datasets.imdb shuffles train and test with this seed
KERAS_SOURCE = "keras.datasets.imdb"
# Where a run looks for a local copy when neither --data nor IMDB_DATA names one, in this
# order, before keras.datasets.imdb (which uses $KERAS_HOME/datasets/imdb.npz if there):
# the checkout's data/ folder (ignored by git), or the folder IMDB_DATA_FOLDER names.
CHECKOUT_DATA_FOLDER = CHECKOUT / "data"
DEFAULT_COPIES = ["aclImdb_v1.tar.gz", "aclImdb", "imdb.npz"]
DATA_HELP = (
    "point --data (or IMDB_DATA) at a local imdb.npz, an aclImdb/ directory, "
    "aclImdb_v1.tar.gz or a CSV file of reviews"
)
LOCAL_COPY_HELP = (
    "give a local copy in one of three ways: put aclImdb_v1.tar.gz, aclImdb/ or imdb.npz in "
    "{folder}/; or imdb.npz in the Keras cache ({cache}); or --data PATH (or IMDB_DATA)"
)
# A download that receives nothing for this long gives up; one that is slow but moving
# goes on (the limit is on each read, not on the whole download).
DOWNLOAD_STALL_SECONDS = 30
# How each source divides its reviews into train and test (csv_reviews has its own).
KERAS_SPLIT = "keras.datasets.imdb's train and test sets"
STANFORD_SPLIT = "the Stanford train/ and test/ folders"
STANFORD_FOLDERS = "from train/pos, train/neg, test/pos and test/neg"


@dataclass
class ImdbData:
    """Padded reviews and labels, where they came from, and how to encode new text."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str
    encoding: TextEncoding | None  # None when the word index cannot be had
    # The split rule and each half's label counts (before --max-samples); see split_summary.
    split: dict | None = None


Split = cache.Split  # unpadded reviews and their labels
Loaded = tuple[Split, Split, TextEncoding | None]  # train, test, vocabulary if known


def data_folder() -> Path:
    """The folder of local copies found without a flag (DEFAULT_COPIES)."""
    return Path(os.environ.get("IMDB_DATA_FOLDER") or CHECKOUT_DATA_FOLDER)


def data_source(data: str | None) -> str:
    """How results name the data: the expanded path given; else the first local copy in
    the data/ folder (as a path from the current folder where it lies inside it); else
    the Keras download."""
    if data is not None:
        return str(Path(data).expanduser())
    for name in DEFAULT_COPIES:
        found = data_folder() / name
        if found.exists():
            inside = found.is_relative_to(Path.cwd())
            return str(found.relative_to(Path.cwd()) if inside else found)
    return KERAS_SOURCE


def identity(data: str | None) -> dict[str, str | None]:
    """What the data of a run is, however --data spelled it: the resolved path and its
    `fingerprint`, so that a relative and an absolute path name one source and an edited
    file another (None where it cannot be had: loading then says why)."""
    source = data_source(data)  # a local copy found without --data too
    if source == KERAS_SOURCE:
        return {"data": source, "data_fingerprint": None}
    path = Path(source).resolve()
    try:
        return {"data": str(path), "data_fingerprint": fingerprint(path)}
    except (OSError, UserError):
        return {"data": str(path), "data_fingerprint": None}


def load(data: str | None, num_words: int, maxlen: int, max_samples: int | None) -> ImdbData:
    """See common.load_imdb."""
    source = data_source(data)
    if data is None:
        print(f"Reviews: {_describe_default(source)}", flush=True)
    if source == KERAS_SOURCE:
        (train, test, encoding), rule = _load_keras_download(num_words, maxlen), KERAS_SPLIT
    else:
        (train, test, encoding), rule = _load_local(Path(source), num_words, maxlen)
    return ImdbData(
        x_train=pad_reviews(train[0][:max_samples], maxlen),
        y_train=train[1][:max_samples],
        x_test=pad_reviews(test[0][:max_samples], maxlen),
        y_test=test[1][:max_samples],
        source=source,
        encoding=encoding,
        split=split_summary(rule, train[1], test[1]),
    )


def split_summary(rule: str, y_train: np.ndarray, y_test: np.ndarray) -> dict:
    """The rule that split the reviews and how many of each label each half got."""

    def counts(labels: np.ndarray) -> dict[str, int]:
        positive = int(np.count_nonzero(labels == 1))
        return {"positive": positive, "negative": len(labels) - positive}

    return {"rule": rule, "train": counts(y_train), "test": counts(y_test)}


def keras_shuffle(train: Split, test: Split) -> tuple[Split, Split]:
    """Each split reordered as keras.datasets.imdb.load_data does: one RandomState(113)
    permutes train, then test."""
    rng = np.random.RandomState(SHUFFLE_SEED)
    shuffled = []
    for reviews, labels in (train, test):
        order = rng.permutation(len(reviews))
        shuffled.append(([reviews[i] for i in order], np.asarray(labels)[order]))
    return shuffled[0], shuffled[1]


def _describe_default(source: str) -> str:
    """Which copy a run without --data uses, for the one line it prints."""
    if source != KERAS_SOURCE:
        return f"{source} (a local copy, found without --data)"
    cached = cache.keras_cache_dir() / "imdb.npz"
    where = (
        f"the Keras cache, {cached}"
        if cached.exists()
        else f"no local copy: downloading it to {cached}"
    )
    return f"{KERAS_SOURCE} ({where})"


class _DownloadStalls:
    """While active, a network read that waits DOWNLOAD_STALL_SECONDS gives up (Keras's
    download has no timeout of its own, so a blocked connection would wait for ever)."""

    def __enter__(self) -> None:
        self.before = socket.getdefaulttimeout()
        socket.setdefaulttimeout(DOWNLOAD_STALL_SECONDS)

    def __exit__(self, *exc: object) -> None:
        socket.setdefaulttimeout(self.before)


def _download_failed(what: str, error: Exception) -> UserError:
    reason = first_line(error)
    cached = cache.keras_cache_dir() / "imdb.npz"
    help = LOCAL_COPY_HELP.format(folder=data_folder(), cache=cached)
    return UserError(f"could not download {what} ({reason}); {help}")


def _load_keras_download(num_words: int, maxlen: int) -> Loaded:
    try:
        with _DownloadStalls():
            (x_train, y_train), (x_test, y_test) = keras.datasets.imdb.load_data(
                num_words=num_words
            )
    except Exception as error:  # Keras raises a bare Exception for a failed download
        raise _download_failed(KERAS_SOURCE, error) from None
    try:
        with _DownloadStalls():
            word_index = keras.datasets.imdb.get_word_index()
    except Exception as error:  # Keras raises a bare Exception for a failed download
        print(
            f"warning: could not download the words of keras.datasets.imdb ({error}): the "
            "model is trained, but saved without its vocabulary, so predict.py cannot use it",
            file=sys.stderr,
        )
        encoding = None
    else:
        encoding = keras_word_index_encoding(word_index, num_words, maxlen)
    return (
        ([np.asarray(x, np.int32) for x in x_train], y_train),
        ([np.asarray(x, np.int32) for x in x_test], y_test),
        encoding,
    )


def _load_local(path: Path, num_words: int, maxlen: int) -> tuple[Loaded, str]:
    """The reviews of a local source, and the rule that split them."""
    if not path.exists():
        raise UserError(f"{path}: no such file or directory; {DATA_HELP}")
    if path.is_dir():
        root = _stanford_root(path)
        return _raw_reviews_cached(root, _read_directory, num_words, maxlen), STANFORD_SPLIT
    kind = _file_kind(path)
    if kind == "npz":
        return _read_npz(path, num_words), KERAS_SPLIT
    if kind == "tarball":
        return _raw_reviews_cached(path, _read_tarball, num_words, maxlen), STANFORD_SPLIT
    if kind == "csv":
        loaded = _raw_reviews_cached(path, csv_reviews.read_reviews, num_words, maxlen)
        return loaded, csv_reviews.file_split_rule(path)
    raise UserError(
        f"{path}: not an imdb.npz, aclImdb/ directory, .tar.gz archive or .csv file; {DATA_HELP}"
    )


def _file_kind(path: Path) -> str | None:
    """What a file holds: a .csv or .csv.gz name is "csv" whatever it holds (the CSV
    reader says what else it is); else by content, "tarball" (as tarfile finds), "npz"
    (a zip, whole or damaged: its reader says which), "csv" (anything else gzip-compressed,
    a corrupt gzip too: the CSV reader says so) or None."""
    if csv_reviews.is_csv_name(path):
        return "csv"
    with files.open_regular(path) as file:  # a named pipe refused before tarfile waits
        magic = file.read(4)
    if tarfile.is_tarfile(path):
        return "tarball"
    if magic.startswith(b"PK"):  # zipfile.is_zipfile says no to a truncated download
        return "npz"
    return "csv" if files.gzipped(magic) else None


# What a file that is not a Stanford archive is, for read_stanford to say.
_KIND_NAMES = {"csv": "a CSV file of reviews (--data takes it as it is)", "npz": "an imdb.npz"}


def _raw_reviews_cached(
    source: Path, read: Callable[[Path], Reviews], num_words: int, maxlen: int
) -> Loaded:
    """Raw reviews that `read` takes from `source`, encoded once, then from the cache."""
    return cache.cached(
        source,
        fingerprint(source),
        num_words,
        maxlen,
        lambda: _encode_reviews(read(source), num_words, maxlen),
    )


def fingerprint(path: Path) -> str:
    """What a local source's cache entry is keyed on: the archive's size and time, or
    the name, size and time of every review in an aclImdb/ folder."""
    if not path.is_dir():
        return cache.file_fingerprint(path)
    root = _stanford_root(path)
    return cache.folder_fingerprint(
        [root / split / label for split in ("train", "test") for label in ("pos", "neg")]
    )


def _read_npz(path: Path, num_words: int) -> Loaded:
    """A Keras-format imdb.npz (word ranks from 1, no start marker), transformed exactly
    as keras.datasets.imdb.load_data does."""
    x_train, y_train, x_test, y_test = npz.read_arrays(
        path, ["x_train", "y_train", "x_test", "y_test"]
    )

    def encode(ranks: np.ndarray) -> np.ndarray:
        indices = ranks + INDEX_FROM
        return np.concatenate(
            [[START_INDEX], np.where(indices < num_words, indices, OOV_INDEX)]
        ).astype(np.int32)

    train, test = keras_shuffle(
        _checked_npz_split(path, "train", x_train, y_train),
        _checked_npz_split(path, "test", x_test, y_test),
    )
    return (
        ([encode(x) for x in train[0]], train[1]),
        ([encode(x) for x in test[0]], test[1]),
        None,  # an .npz holds numbers only: no words to encode new text with
    )


def _checked_npz_split(path: Path, name: str, x: np.ndarray, y: np.ndarray) -> Split:
    """An imdb.npz split as Keras writes it: as many reviews as labels, each label 0 or 1,
    each review a list of word ranks (whole numbers, none negative); else UserError."""
    if x.ndim not in (1, 2) or y.ndim != 1 or len(x) != len(y):
        raise UserError(
            f"{path}: x_{name} holds {x.shape} reviews, y_{name} {y.shape} labels; they "
            "should be two lists of one length"
        )
    if not np.isin(y, (0, 1)).all():
        found = ", ".join(map(repr, np.unique(y)[:VALUES_SHOWN].tolist()))
        raise UserError(f"{path}: y_{name} should hold labels 0 and 1, but holds {found}")
    reviews = [np.asarray(review) for review in x]
    for i, ranks in enumerate(reviews):
        whole = ranks.dtype.kind in "iu" or ranks.size == 0
        if ranks.ndim != 1 or not whole or (ranks < 0).any():
            raise UserError(
                f"{path}: review {i} of x_{name} is not a list of word ranks (whole numbers "
                f"from 0): it holds {ranks.dtype} {ranks.ravel()[:VALUES_SHOWN].tolist()}"
            )
    return [ranks.astype(np.int64) for ranks in reviews], y


# Raw Stanford reviews: aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt
_REVIEW_PATH = re.compile(r"(?:^|/)(train|test)/(pos|neg)/[^/]+\.txt$")
Reviews = csv_reviews.Reviews  # split -> [(text, label)], in file-name order


def read_stanford(path: Path) -> Reviews:
    """The raw reviews of an aclImdb/ folder or Stanford .tar.gz archive, each split in
    file-name order (the order they are encoded in, before the shuffle)."""
    if path.is_dir():
        return _read_directory(_stanford_root(path))
    kind = _file_kind(path)
    if kind == "csv" and not csv_reviews.is_csv_name(path):
        kind = "tarball"  # gzip that tarfile cannot read: its reader says what is wrong
    if kind != "tarball":
        what = _KIND_NAMES.get(kind, "not a .tar.gz archive")
        raise UserError(f"{path}: {what}, not the Stanford aclImdb_v1.tar.gz or aclImdb/ folder")
    return _read_tarball(path)


def _stanford_root(path: Path) -> Path:
    for root in (path, path / "aclImdb"):
        if (root / "train").is_dir() and (root / "test").is_dir():
            return root
    raise UserError(f"{path}: a directory without train/ and test/; {DATA_HELP}")


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")  # a stray byte must not stop training


def _read_directory(root: Path) -> Reviews:
    """The reviews of an aclImdb/ folder; each must be a regular file inside it."""
    paths = sorted(p for p in root.glob("*/*/*.txt") if _REVIEW_PATH.search(p.as_posix()))
    return _group_reviews(
        ((p.relative_to(root).as_posix(), _read_review(root, p)) for p in paths), root
    )


def _read_review(root: Path, path: Path) -> str:
    """A review file, refused in one line if it is a link out of the data folder (or in a
    subfolder that is one: it could make any file the user can read part of the
    vocabulary a model carries), a broken link, a link loop, a folder or a named pipe."""
    target = Path(os.path.realpath(path))
    if not target.is_relative_to(os.path.realpath(root)):
        raise UserError(
            f"{path}: a link to {target}, outside the data folder {root}; copy the reviews into it"
        )
    with files.open_regular(path) as file:
        return _decode(file.read())


# A Stanford archive holds 50,000 reviews, with the unlabeled ones 100,000; each member
# is a record kept while the archive is read.
MAX_ARCHIVE_MEMBERS = 200_000


def _read_tarball(path: Path) -> Reviews:
    """Streams the reviews out of the archive (any compression tarfile reads) without
    unpacking it to disk."""
    try:
        with tarfile.open(path) as archive:
            return _group_reviews(sorted(_tar_reviews(archive, path)), path)
    except (tarfile.TarError, EOFError, OSError, zlib.error, gzip.BadGzipFile) as error:
        raise UserError(
            f"{path}: truncated or corrupt archive ({error}); download it again"
        ) from None


def _tar_reviews(archive: tarfile.TarFile, path: Path) -> Iterator[tuple[str, str]]:
    """(name, text) of each review; the reviews may add up to no more than compressed
    input may unpack to (files.unpack_limit), checked by the sizes their headers declare
    before each is read (tarfile reads no member past its declared size)."""
    limit, total = files.unpack_limit(path.stat().st_size), 0
    for count, member in enumerate(archive, start=1):
        if count > MAX_ARCHIVE_MEMBERS:
            raise UserError(
                f"{path}: holds more than {MAX_ARCHIVE_MEMBERS:,} files, more than a Stanford "
                "archive does; not read"
            )
        if member.isfile() and _REVIEW_PATH.search(member.name):
            total += member.size
            if total > limit:
                raise files.unpack_refusal(path)
            yield member.name, _decode(archive.extractfile(member).read())


def _group_reviews(named_texts: Iterable[tuple[str, str]], source: Path) -> Reviews:
    """The reviews by split; each must hold some text, each split both labels."""
    reviews: Reviews = {"train": [], "test": []}
    for name, text in named_texts:
        split, label = _REVIEW_PATH.search(name).groups()
        reviews[split].append(
            (text_files.check_review(f"{source}: {name}", text), int(label == "pos"))
        )
    csv_reviews.check_halves(
        str(source), reviews, STANFORD_FOLDERS, f"each needs reviews (*.txt); {DATA_HELP}"
    )
    return reviews


def _encode_reviews(
    reviews: Reviews, num_words: int, maxlen: int
) -> tuple[Split, Split, TextEncoding]:
    encoding = build_encoding([text for text, _ in reviews["train"]], num_words, maxlen)

    def encoded(split: str) -> Split:
        texts = reviews[split]
        return [encoding.encode(t) for t, _ in texts], np.array([y for _, y in texts], np.int32)

    train, test = keras_shuffle(encoded("train"), encoded("test"))
    return train, test, encoding
