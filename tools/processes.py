"""The processes a sweep starts, and how they stop: each training run is a process group of
its own, so that only the sweep signals it (a Ctrl-C reaches the sweep, which passes it
on: one stop path for runs here and on a cluster's workers), and it dies with the process
that started it (Linux), so that no run trains on, unseen, after its sweep or worker.

Standard library only: tools/cluster.py sends this module to its workers by value."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from typing import Any

# A stopped run gets the signal and this many seconds to end by itself (its last finished
# epoch is saved already); then it is killed: nothing of a sweep runs 15 s after a Ctrl-C.
STOP_SECONDS = 8
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def start_run(command: list[str], **options: Any) -> subprocess.Popen:
    """Starts a training run in a process group of its own that dies with its starter."""
    return subprocess.Popen(
        command, start_new_session=True, preexec_fn=die_with_parent(), **options
    )


def signal_group(process: subprocess.Popen, signum: int) -> None:
    """Sends `signum` to the process group of `process`, if it still runs."""
    try:
        os.killpg(process.pid, signum)
    except ProcessLookupError:
        pass


def die_with_parent() -> Callable[[], None] | None:
    """For a run's process: killed when the thread that started it ends (Linux's
    PR_SET_PDEATHSIG), e.g. with its killed sweep or worker."""
    if sys.platform != "linux":
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before the fork
    set_parent_death_signal = 1  # PR_SET_PDEATHSIG

    return lambda: prctl(set_parent_death_signal, signal.SIGKILL)
