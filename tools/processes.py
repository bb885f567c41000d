"""The processes a sweep starts: each training run is a process group of its own, so that
only the sweep signals it (it passes a Ctrl-C on: one stop path here and on a cluster's
workers), and it dies with the process that started it (Linux), so that no run trains on,
unseen, after its sweep or worker. Standard library only: tools/cluster.py sends this
module to its workers by value."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
from typing import Any

# A stopped run gets the signal and this many seconds to end by itself (its last finished
# epoch is saved already); then it is killed: nothing of a sweep runs 15 s after a Ctrl-C.
STOP_SECONDS = 8
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
PR_SET_PDEATHSIG = 1  # prctl's: a signal for the process when the thread that started it ends


def start_run(command: list[str], **options: Any) -> subprocess.Popen:
    """Starts a training run in a process group of its own that dies with its starter."""
    if sys.platform == "linux":
        prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before the fork
        options["preexec_fn"] = lambda: prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    return subprocess.Popen(command, start_new_session=True, **options)


def signal_group(process: subprocess.Popen, signum: int) -> None:
    """Sends `signum` to the process group of `process`, if it still runs."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)
