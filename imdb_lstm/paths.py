"""Where things are: the checkout, each backend's virtual environment, and the files a
training run keeps in its output folder. No Keras, so that the tools and the Makefile
(`python3 -m imdb_lstm.paths venv jax`) read it fast."""

import sys
from dataclasses import dataclass
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent
# Each Keras backend's virtual environment in the checkout (make venv BACKEND=...).
VENVS = {"tensorflow": ".venv", "jax": ".venv-jax", "torch": ".venv-torch"}


@dataclass(frozen=True)
class RunFiles:
    """The files of a script's runs in an output folder: `RunFiles(Path("results"),
    "lstm_basic").results` is results/lstm_basic.json."""

    output: Path
    variant: str

    def _named(self, suffix: str) -> Path:
        return self.output / f"{self.variant}{suffix}"

    @property
    def results(self) -> Path:
        return self._named(".json")

    @property
    def model(self) -> Path:
        return self._named(".keras")

    @property
    def log(self) -> Path:
        """The script's output when make run-all runs several at once."""
        return self._named(".log")

    @property
    def progress(self) -> Path:
        """The JSON lines of its progress (--progress), which make run-all's board reads."""
        return self._named(".progress")

    @property
    def backup(self) -> Path:
        """The checkpoint folder an interrupted run resumes from."""
        return self._named(".backup")

    @property
    def lock(self) -> Path:
        """Held while a run of the script writes here (imdb_lstm/lock.py)."""
        return self.output / f".{self.variant}.lock"


def previous(path: Path) -> Path:
    """Where `path` is set aside before a run that makes it again."""
    return path.with_name(path.name + ".previous")


if __name__ == "__main__" and sys.argv[1:2] == ["venv"]:
    print(VENVS.get(sys.argv[2], ""))
