"""Writing files so that nothing is ever half-written: a reader sees the old file or the
new one, never a part. Needs nothing but the standard library, so the tools that only
write reports do not load Keras."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


class atomic_path:
    """A temporary path beside `target` that replaces it only if the block succeeds."""

    def __init__(self, target: Path) -> None:
        self.target = Path(target)

    def __enter__(self) -> Path:
        fd, tmp = tempfile.mkstemp(
            dir=self.target.parent,
            prefix=f".{self.target.name}.",
            suffix="".join(self.target.suffixes[-2:]),  # e.g. .weights.h5, as Keras wants
        )
        os.close(fd)
        self.tmp = Path(tmp)
        return self.tmp

    def __exit__(self, exc_type: type | None, *_: object) -> None:
        if exc_type is None:
            sync(self.tmp)  # on disk before it takes the name: a power cut leaves one or the other
            # mkstemp makes the file private; give it the permissions of a normal file.
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(self.tmp, 0o666 & ~umask)
            os.replace(self.tmp, self.target)
        else:
            self.tmp.unlink(missing_ok=True)


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
    previous = path.with_name(path.name + ".previous")
    if path.exists():
        path.replace(previous)
    return previous


def write_json(path: Path, data: Any) -> None:
    write_bytes(path, json.dumps(data, indent=2) + "\n")
