"""Keras, loaded with TensorFlow's start-up notices kept off the reader's screen.

While TensorFlow loads, its C++ code writes notices straight to the process's stderr,
before its own log level applies: absl's "All log messages before absl::InitializeLog()
...", oneDNN's rounding notice, "Could not find cuda drivers" and the CPU-feature notice.
Here stderr is caught at the file-descriptor level while Keras (and so TensorFlow) is
imported, and everything but those notices is written back, so a real error still shows
in full. threads.QUIET_LOGS (unless set otherwise) hides TensorFlow's later C++ log
lines, which honour it.
"""

import contextlib
import os
import re
import sys
import tempfile
from collections.abc import Iterator

from imdb_lstm.paths import VENVS
from imdb_lstm.threads import QUIET_LOGS

START_UP_NOTICES = re.compile(
    r"WARNING: All log messages before absl::InitializeLog\(\) is called"
    r"|[IW]\d{4} .*(oneDNN custom operations are on|Could not find cuda drivers"
    r"|This TensorFlow binary is optimized)"
    r"|To enable the following instructions: .* rebuild TensorFlow"
)


@contextlib.contextmanager
def start_up_notices_hidden() -> Iterator[None]:
    """Catches what is written to stderr inside the block; writes back all but the notices."""
    for name, value in QUIET_LOGS.items():
        os.environ.setdefault(name, value)
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as caught:
        os.dup2(caught.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            caught.seek(0)
            for line in caught.read().decode(errors="replace").splitlines(keepends=True):
                if not START_UP_NOTICES.match(line):
                    sys.stderr.write(line)
            sys.stderr.flush()


# Keras takes an empty KERAS_HOME for a folder named "", the current one: the checkout.
if not os.environ.get("KERAS_HOME"):
    os.environ.pop("KERAS_HOME", None)

# The module each backend needs; `make venv BACKEND=...` installs it into VENVS's folder.
BACKEND_MODULES = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}


def missing_backend(error: ModuleNotFoundError) -> str | None:
    """The one line for Keras failing to import its backend, None for another module."""
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    if BACKEND_MODULES.get(backend) != (error.name or "").split(".")[0]:
        return None
    make = "make venv" if backend == "tensorflow" else f"make venv BACKEND={backend}"
    venv = VENVS[backend]
    return (
        f"error: KERAS_BACKEND={backend}, but {backend} is not installed in this Python "
        f"({sys.executable}); `{make}` installs it into {venv}/, then run "
        f"{venv}/bin/python (docs/backends.md)"
    )


try:
    with start_up_notices_hidden():
        import keras  # noqa: F401 (common.py takes Keras from here)
except ModuleNotFoundError as error:
    if missing_backend(error) is None:
        raise
    sys.exit(missing_backend(error))
