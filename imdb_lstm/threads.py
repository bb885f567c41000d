"""The thread counts a run trains with, and the environment variables that set them.

They change a run's rounding, so results and checkpoints record them. No Keras here, so
the tools that only start runs load none.
"""

import os

# Each backend's thread pools and the variable that sizes each. "default" in a record is
# the backend's own choice (for TensorFlow, one thread per CPU core in each pool).
VARIABLES = {
    "tensorflow": {"intra_op": "TF_NUM_INTRAOP_THREADS", "inter_op": "TF_NUM_INTEROP_THREADS"},
    "torch": {"intra_op": "OMP_NUM_THREADS"},
}


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
