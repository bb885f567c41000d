"""Writing files so that nothing is ever half-written: a reader sees the old file or the
new one, never a part, and what is replaced is only ever a regular file. Needs nothing
but the standard library, so the tools that only write reports do not load Keras."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from imdb_lstm import paths
from imdb_lstm.errors import UserError

# What lstat says a path is, for a refusal to replace it.
_KINDS = {
    stat.S_ISDIR: "a directory",
    stat.S_ISLNK: "a symbolic link",
    stat.S_ISCHR: "a character device",
    stat.S_ISBLK: "a block device",
    stat.S_ISFIFO: "a named pipe",
    stat.S_ISSOCK: "a socket",
}
_TEMPORARY_RANDOM = "[a-z0-9_]{8}"  # the random part of a mkstemp name


def check_replaceable(target: Path) -> None:
    """UserError unless `target` is a regular file or nothing: the atomic rename must
    never turn a device, a link or a folder into a file (as root it could)."""
    try:
        mode = os.lstat(target).st_mode
    except FileNotFoundError:
        return
    except OSError as error:
        raise UserError(f"{target}: cannot write ({error.strerror})") from None
    if stat.S_ISREG(mode):
        return
    raise UserError(
        f"{target}: it is {_kind(mode)}, which is never replaced; give the name of a new file "
        "or of a regular file to replace"
    )


def _temporary_prefix(target: Path) -> str:
    """The start of a temporary file's name: the writer's process id, so that one left by
    a killed writer can be told from one being written."""
    return f".{target.name}.{os.getpid()}."


def remove_stale_temporaries(target: Path) -> None:
    """Removes the temporary files of `target` whose writer no longer runs (killed)."""
    suffix = re.escape(_suffix(target))
    pattern = re.compile(rf"\.{re.escape(target.name)}\.(\d+)\.{_TEMPORARY_RANDOM}{suffix}")
    try:
        candidates = list(target.parent.iterdir())
    except OSError:
        return
    for path in candidates:
        match = pattern.fullmatch(path.name)
        if match and not _process_runs(int(match.group(1))):
            path.unlink(missing_ok=True)


def _process_runs(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _suffix(target: Path) -> str:
    return "".join(target.suffixes[-2:])  # e.g. .weights.h5, as Keras wants


class atomic_path:
    """A temporary path beside `target` that replaces it only if the block succeeds;
    `target` must be a regular file or nothing (check_replaceable)."""

    def __init__(self, target: Path) -> None:
        self.target = Path(target)

    def __enter__(self) -> Path:
        check_replaceable(self.target)
        remove_stale_temporaries(self.target)
        fd, tmp = tempfile.mkstemp(
            dir=self.target.parent,
            prefix=_temporary_prefix(self.target),
            suffix=_suffix(self.target),
        )
        os.close(fd)
        self.tmp = Path(tmp)
        return self.tmp

    def __exit__(self, exc_type: type | None, *_: object) -> None:
        if exc_type is None:
            try:
                sync(self.tmp)  # on disk before it takes the name: a power cut leaves either
                # mkstemp makes the file private; give it the permissions of a normal file.
                umask = os.umask(0)
                os.umask(umask)
                os.chmod(self.tmp, 0o666 & ~umask)
                check_replaceable(self.target)  # again: it may have changed meanwhile
                os.replace(self.tmp, self.target)
            except BaseException:
                self.tmp.unlink(missing_ok=True)
                raise
        else:
            self.tmp.unlink(missing_ok=True)


def check_appendable(path: Path) -> None:
    """UserError unless lines can be appended to `path` (made if missing): checked before
    training, not found out after its first epoch."""
    try:
        with open(path, "a"):
            pass
    except OSError as error:
        raise UserError(f"{path}: cannot write there ({error.strerror})") from None


def sync(path: Path) -> None:
    """Waits until the file's content is on the disk."""
    with open(path, "rb") as file:
        os.fsync(file.fileno())


def write_bytes(path: Path, content: str | bytes) -> None:
    """Writes a file atomically: readers never see it half-written."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(content.encode() if isinstance(content, str) else content)


def set_aside(path: Path) -> Path:
    """Moves `path`, if there, to <path>.previous before a run that makes it again, so
    that a run that fails leaves nothing stale behind (and loses nothing); that path."""
    kept = paths.previous(path)
    if path.exists():
        path.replace(kept)
    return kept


def write_json(path: Path, data: Any) -> None:
    write_bytes(path, json.dumps(data, indent=2) + "\n")


GZIP_MAGIC = b"\x1f\x8b"  # how every gzip file starts (RFC 1952)


def gzipped(start: bytes) -> bool:
    """Whether a file that starts with `start` is gzip-compressed."""
    return start.startswith(GZIP_MAGIC)


def open_uncompressed(path: Path, mode: str = "rb", **kwargs: Any) -> IO:
    """`path` opened through gzip if it is gzip-compressed, as it is otherwise."""
    with open(path, "rb") as file:
        start = file.read(len(GZIP_MAGIC))
    return (gzip.open if gzipped(start) else open)(path, mode, **kwargs)


# ---------------------------------------------------------------------------
# Compressed input: what a .csv.gz, a Stanford .tar.gz or an imdb.npz may unpack to

# The Stanford archive unpacks to 3.8 times its size (108 MB), text compresses about 4
# to 1: a file that unpacks to more than UNPACK_RATIO times its size, and past
# UNPACK_FLOOR_BYTES, is far more likely made to fill the memory than a data set.
UNPACK_RATIO = 20
UNPACK_FLOOR_BYTES = 64 << 20
MAX_UNPACKED_BYTES = 1 << 30


def unpack_limit(packed_bytes: int) -> int:
    """The most a compressed file of `packed_bytes` may unpack to."""
    return min(MAX_UNPACKED_BYTES, max(UNPACK_FLOOR_BYTES, UNPACK_RATIO * packed_bytes))


def unpack_refusal(path: Path, unpacked: int | None = None) -> UserError:
    """The one line refusing `path`, which unpacks to `unpacked` bytes (None: found out
    while reading, so not known)."""
    limit = unpack_limit(os.path.getsize(path))
    size = "" if unpacked is None else f"{unpacked:,} bytes, "
    return UserError(
        f"{path}: unpacks to {size}more than a data file of its size may ({limit:,} bytes: "
        f"{UNPACK_RATIO} times its size, at least {UNPACK_FLOOR_BYTES:,} bytes, at most "
        f"{MAX_UNPACKED_BYTES:,}); not read"
    )


class BoundedReader(io.RawIOBase):
    """A stream's bytes, read with a bound: reading past `unpack_limit` of `path`'s size
    raises the UserError of `unpack_refusal`, so no more than that is ever unpacked."""

    def __init__(self, stream: IO[bytes], path: Path) -> None:
        super().__init__()
        self.stream, self.path = stream, path
        self.left = unpack_limit(os.path.getsize(path))

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer)
        data = self.stream.read(min(len(view), self.left + 1))
        if len(data) > self.left:
            raise unpack_refusal(self.path)
        self.left -= len(data)
        view[: len(data)] = data
        return len(data)


def read_unpacked(path: Path) -> bytes:
    """All of a regular file (`open_regular`), unpacked if it is gzip-compressed, with
    the bound of `BoundedReader`."""
    with open_regular(path) as file:
        if not gzipped(file.peek(len(GZIP_MAGIC))):
            return file.read()
        with gzip.GzipFile(fileobj=file) as stream:
            return BoundedReader(stream, path).readall()


def open_regular(path: Path) -> io.BufferedReader:
    """`path` opened for reading if it is a regular file (links followed); else one line
    saying what it is. A named pipe is refused, not waited on."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as error:
        reason = error.strerror
        if os.path.islink(path):
            reason = f"a link to {os.readlink(path)}: {reason}"
        raise UserError(f"{path}: cannot read ({reason})") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise UserError(f"{path}: it is {_kind(mode)}, not a file to read")
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS.items() if test(mode)), "not a regular file")


def check_outputs_spare_inputs(
    outputs: dict[str, str | Path | None], inputs: dict[str, str | Path | None]
) -> None:
    """UserError, before any work starts, if a path a command writes (`outputs`, by the
    flag that names it) is a file it reads (`inputs`), however either is spelled:
    relative or absolute, through a link or a hard link. Outputs never replace inputs."""
    for output_flag, output in outputs.items():
        for input_flag, source in inputs.items():
            if output is None or source is None:
                continue
            if _same_file(Path(output).expanduser(), Path(source).expanduser()):
                raise UserError(
                    f"{output}: {output_flag} is the {input_flag} file this reads, which "
                    "it would replace; give another name"
                )


def _same_file(a: Path, b: Path) -> bool:
    if a.exists() and b.exists():
        return os.path.samefile(a, b)  # a hard link too
    return a.resolve() == b.resolve()


def write_csv(path: Path, header: list[str], rows: Iterable[list[str]]) -> None:
    """Writes a UTF-8 CSV file atomically; a failure is one line."""
    try:
        with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(header)
            writer.writerows(rows)
    except OSError as error:
        raise UserError(f"{path}: cannot write ({error.strerror})") from None
