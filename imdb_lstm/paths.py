"""Where things are: the checkout, each backend's virtual environment, and the files a
training run keeps in its output folder. No Keras, so that the tools and the Makefile
(`python3 -m imdb_lstm.paths venv jax`) read it fast."""

import sys
from pathlib import Path
from typing import NamedTuple

CHECKOUT = Path(__file__).resolve().parent.parent
# Each Keras backend's virtual environment in the checkout (make venv BACKEND=...).
VENVS = {"tensorflow": ".venv", "jax": ".venv-jax", "torch": ".venv-torch"}


class RunFiles(NamedTuple):
    """The files of a script's runs in an output folder (`run_files`)."""

    results: Path  # <variant>.json
    model: Path  # <variant>.keras
    log: Path  # the script's output when make run-all runs several at once
    progress: Path  # its progress as JSON lines (--progress), for make run-all's board
    backup: Path  # the checkpoint folder an interrupted run resumes from
    lock: Path  # held while a run of the script writes there (imdb_lstm/lock.py)


def run_files(output: Path, variant: str) -> RunFiles:
    """E.g. `run_files(Path("results"), "lstm_basic").results`: results/lstm_basic.json."""
    suffixes = [".json", ".keras", ".log", ".progress", ".backup"]
    return RunFiles(*(output / f"{variant}{s}" for s in suffixes), output / f".{variant}.lock")


def previous(path: Path) -> Path:
    """Where `path` is set aside before a run that makes it again."""
    return path.with_name(path.name + ".previous")


if __name__ == "__main__" and sys.argv[1:2] == ["venv"]:
    print(VENVS.get(sys.argv[2], ""))
