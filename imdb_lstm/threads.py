"""The environment variables a run's backend reads: the thread counts it trains with,
and TensorFlow's C++ log level.

The thread counts change a run's rounding, so results and checkpoints record them. No
Keras here, so the tools that only start runs load none.
"""

import os

# Each backend's thread pools and the variable that sizes each. "default" in a record is
# the backend's own choice (for TensorFlow, one thread per CPU core in each pool).
VARIABLES = {
    "tensorflow": {"intra_op": "TF_NUM_INTRAOP_THREADS", "inter_op": "TF_NUM_INTEROP_THREADS"},
    "torch": {"intra_op": "OMP_NUM_THREADS"},
}

# Hides TensorFlow's C++ log lines (cuInit on a machine without a GPU, tf.data notices);
# imdb_lstm/quiet.py sets it unless the caller did.
QUIET_LOGS = {"TF_CPP_MIN_LOG_LEVEL": "3"}


def variables() -> list[str]:
    """Every thread variable of every backend."""
    return [name for pools in VARIABLES.values() for name in pools.values()]


def environment(threads: int) -> dict[str, str]:
    """The variables that give a run `threads` threads for its operations on every
    backend, and one to run them from, e.g. for one of several runs side by side."""
    return {
        name: str(threads if pool == "intra_op" else 1)
        for pools in VARIABLES.values()
        for pool, name in pools.items()
    }


def recorded(backend: str) -> dict[str, int | str]:
    """The backend's thread counts as this process was given them, e.g. {"intra_op": 1,
    "inter_op": 1}, or "default" where none was set."""
    pools = VARIABLES.get(backend, {})
    return {pool: int(os.environ.get(name) or 0) or "default" for pool, name in pools.items()}
