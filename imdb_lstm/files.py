"""Writing files so that nothing is ever half-written: a reader sees the old file or the
new one, never a part, and what is replaced is only ever a regular file. Needs nothing
but the standard library, so the tools that only write reports do not load Keras."""

from __future__ import annotations

import csv
import gzip
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
    kind = next((name for test, name in _KINDS.items() if test(mode)), "not a regular file")
    raise UserError(
        f"{target}: it is {kind}, which is never replaced; give the name of a new file "
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


def write_csv(path: Path, header: list[str], rows: Iterable[list[str]]) -> None:
    """Writes a UTF-8 CSV file atomically; a failure is one line."""
    try:
        with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(header)
            writer.writerows(rows)
    except OSError as error:
        raise UserError(f"{path}: cannot write ({error.strerror})") from None
