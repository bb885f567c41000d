"""One run at a time per output folder and script: a second run of lstm_basic.py into
results/ while one trains there would remove or replace its checkpoint and results.

The lock is an flock on <output>/.<script>.lock, held for as long as the process lives:
the kernel releases it when the process ends, a crash or kill -9 included, so a stale
lock never blocks a run. The file also names the run holding it, for the refusal."""

from __future__ import annotations

import datetime
import fcntl
import os
import sys
from pathlib import Path

from imdb_lstm.errors import UserError
from imdb_lstm.paths import run_files

_held: dict[Path, int] = {}  # lock file -> its descriptor, kept open for the process's life


def hold(folder: Path, script: str) -> None:
    """Takes the lock of `script`'s runs in `folder` (made if missing); UserError, naming
    the run that holds it, if another process does. A process may take it again."""
    path = run_files(folder, script).lock.absolute()
    if path in _held:
        return
    if folder.exists() and not folder.is_dir():
        raise UserError(f"{folder}: a file, not a folder; give --output a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as error:
        raise UserError(
            f"{folder}: cannot write there ({error.strerror}); give --output a folder you "
            "can write to"
        ) from None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(descriptor, 1000).decode(errors="replace").strip()
        os.close(descriptor)
        raise UserError(
            f"{folder} is in use by another run of {script} ({holder or 'just started'}); "
            "wait for it to end, or give this one another --output"
        ) from None
    started = datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    os.ftruncate(descriptor, 0)
    os.write(descriptor, f"process {os.getpid()}, started {started}: {' '.join(sys.argv)}".encode())
    _held[path] = descriptor
