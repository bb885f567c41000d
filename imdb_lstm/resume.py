"""Picking up an interrupted training run at its last finished epoch, exactly.

Keras's BackupAndRestore saves, after every epoch, what `model.save_weights` writes (the
layers' weights and the optimizer's state: Adam's moments and its step count) and the
epoch number; the next `fit` loads them and starts at the next epoch. That alone does not
continue a run as if nothing had happened. Restored here as well:

- the dropout's random state: the `seed_generator_state` variables of the Dropout layers
  and of the LSTM's own dropout are in `model.variables` but not in the weights file
  (and on PyTorch, torch's global generator, which Keras's unseeded Dropout draws from);
- the shuffle order: `epochs_done` tells shuffled_batches how many epochs' orders to skip,
  so each remaining epoch trains on the order it would have had; and Python's `random`
  state, with which Keras shuffles the batches of a PyDataset (on JAX and PyTorch);
- the finished epochs' history and times, so the results cover the whole run.

Each epoch's files get new names and are taken on by one atomic write of run.json, which
holds their checksums and one of its own (`seal`): a process killed at any moment, even
while saving, leaves the last finished epoch whole. A checkpoint from other settings, or a
damaged or edited one, is never used: it is set aside, never deleted.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
from pathlib import Path
from typing import Any

import keras
import numpy as np

from imdb_lstm import files
from imdb_lstm.errors import UserError

STATE = "run.json"  # written last: the checkpoint is what it names
# The weights and Adam's two moments, 4 bytes each, a little more for HDF5's own records.
CHECKPOINT_BYTES_PER_PARAMETER = 13
STATE_KEYS = ["epoch", "settings", "threads", "history", "epoch_seconds", "python_random"]


def seed_generator_states(model: keras.Model) -> list:
    """The random state of every layer that draws random numbers (the dropout)."""
    return [v for v in model.variables if v.path.endswith("seed_generator_state")]


def global_random_states() -> dict[str, np.ndarray]:
    """The backend's global random state where the dropout draws from it: on PyTorch,
    Keras's Dropout without a seed takes its masks from torch's global generator."""
    if keras.backend.backend() == "torch":
        import torch

        return {"torch": torch.get_rng_state().numpy()}
    return {}


def set_global_random_states(states: dict[str, np.ndarray]) -> None:
    if "torch" in states:
        import torch

        torch.set_rng_state(torch.from_numpy(states["torch"]))


def sha256(path: Path) -> str:
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def epoch_files(epoch: int) -> dict[str, str]:
    """The files of the checkpoint after `epoch` finished epochs."""
    return {
        "weights": f"epoch-{epoch}.weights.h5",  # Keras's: weights and optimizer
        "metadata": f"epoch-{epoch}.metadata.json",  # Keras's: the epoch to start at
        "seeds": f"epoch-{epoch}.seeds.npz",  # the dropout's random state
    }


def seal(state: dict[str, Any]) -> str:
    """run.json's own checksum, over everything else in it: run.json holds the others'."""
    fields = {key: value for key, value in state.items() if key != "seal"}
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


def set_aside(folder: Path) -> Path:
    """Renames a checkpoint that is not resumed to <folder>.set-aside (-2, -3, ... if
    taken): it may be the user's only copy of hours of training, so it is never deleted."""
    kept, n = folder.with_name(f"{folder.name}.set-aside"), 1
    while kept.exists():
        n += 1
        kept = folder.with_name(f"{folder.name}.set-aside-{n}")
    folder.rename(kept)
    return kept


def differences(saved: dict[str, Any], current: dict[str, Any]) -> str:
    """E.g. "seed 7, not 8; epochs 3, not 6"."""
    names = [name for name in current if saved.get(name) != current[name]]
    return "; ".join(f"{name} {saved.get(name)}, not {current[name]}" for name in names)


class Backup(keras.callbacks.BackupAndRestore):
    """Keras's BackupAndRestore, made exact (see the module docstring) and safe to kill.

    `settings` say what makes two runs the same run (imdb_lstm/results.py SAME_RUN): a
    checkpoint from other settings is set aside with one line. `threads` change a run's
    rounding: a checkpoint made with other thread counts is refused (a UserError), since
    resuming it would end with numbers neither setting gives. `log` is the run's
    TrainingLog, whose finished epochs are saved and restored with the checkpoint.
    """

    def __init__(
        self, folder: Path, settings: dict, threads: dict, log: Any, restart: bool = False
    ) -> None:
        super().__init__(str(folder), delete_checkpoint=False)  # removed once results exist
        self.folder, self.settings, self.threads, self.log = Path(folder), settings, threads, log
        if restart and self.folder.exists():
            shutil.rmtree(self.folder)
            print(f"--restart: removed the checkpoint {self.folder}; training from epoch 1")
        self.state = self._usable_state()
        if self.state:
            self.log.restore(self.state["history"], self.state["epoch_seconds"])
            epochs = self.settings["epochs"]
            if self.epochs_done < epochs:
                print(f"resuming from epoch {self.epochs_done + 1} of {epochs} ({self.folder})")
            else:
                print(f"all {epochs} epochs were trained earlier ({self.folder}); evaluating")

    @property
    def epochs_done(self) -> int:
        return self.state["epoch"] if self.state else 0

    def _usable_state(self) -> dict | None:
        """The checkpoint's run.json if it can be resumed; None if there is none, or (the
        folder set aside, with one line) if it cannot be used."""
        if not self.folder.exists():
            return None
        try:
            state = json.loads((self.folder / STATE).read_text())
            problem = self._damage(state) or self._other_settings(state)
        except FileNotFoundError:
            problem = "it holds no finished epoch"
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            problem = f"it is damaged ({STATE} cannot be read)"
        if problem:
            kept = set_aside(self.folder)
            print(
                f"not resuming from {self.folder}: {problem}; kept as {kept}; training from epoch 1"
            )
            return None
        if state["threads"] != self.threads:
            raise UserError(
                f"{self.folder} was trained with {differences(state['threads'], self.threads)}"
                " (thread counts change the results): resume with the settings it was "
                "started with (the same JOBS for make), or pass --restart to start again"
            )
        return state

    def _damage(self, state: dict) -> str | None:
        missing = [key for key in STATE_KEYS if key not in state]
        if missing:
            return f"it is damaged ({STATE} lacks {', '.join(missing)})"
        if state.get("seal") != seal(state):
            return f"it is damaged ({STATE} was changed after it was written)"
        for name, checksum in state["sha256"].items():
            path = self.folder / name
            if not path.is_file() or sha256(path) != checksum:
                return f"it is damaged ({name} is missing or changed)"
        return None

    def _other_settings(self, state: dict) -> str | None:
        if state["settings"] == self.settings:
            return None
        changed = differences(state["settings"], self.settings)
        return f"it is from a run with other settings ({changed})"

    def _point_at(self, epoch: int) -> dict[str, str]:
        """Points Keras's callback at the files of `epoch`; returns their names."""
        names = epoch_files(epoch)
        self._weights_path = str(self.folder / names["weights"])
        self._training_metadata_path = str(self.folder / names["metadata"])
        return names

    def on_train_begin(self, logs: dict | None = None) -> None:
        if not self.state:
            return
        names = self._point_at(self.epochs_done)
        self._load_model()  # Keras's part: weights, optimizer, the epoch to start at
        variables = seed_generator_states(self.model)
        with np.load(self.folder / names["seeds"]) as saved:
            if sum(name.startswith("arr_") for name in saved.files) != len(variables):
                raise UserError(f"{self.folder} is from another model: pass --restart")
            for i, variable in enumerate(variables):
                variable.assign(saved[f"arr_{i}"])
            set_global_random_states({name: saved[name] for name in global_random_states()})
        version, internal, gauss = self.state["python_random"]
        random.setstate((version, tuple(internal), gauss))

    def _save_model(self) -> None:
        """Saves the checkpoint after `self._current_epoch` finished epochs; UserError
        if it cannot (the last one saved stays whole, to resume from)."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._check_room()
            self._save_checkpoint()
        except OSError as error:
            raise UserError(
                f"could not save the checkpoint in {self.folder} ({error}); free some space "
                "and run the same command again: it resumes from the last epoch saved"
            ) from None

    def _check_room(self) -> None:
        """HDF5 can crash the process outright on a full disk: check there is room first."""
        needed = CHECKPOINT_BYTES_PER_PARAMETER * self.model.count_params() + (1 << 20)
        free = shutil.disk_usage(self.folder).free
        if free < needed:
            raise OSError(f"{free:,} bytes free, about {needed:,} needed")

    def _save_checkpoint(self) -> None:
        epoch = self._current_epoch
        names = self._point_at(epoch)
        super()._save_model()  # Keras's part: the weights file and the epoch number
        states = [keras.ops.convert_to_numpy(v) for v in seed_generator_states(self.model)]
        np.savez(self.folder / names["seeds"], *states, **global_random_states())
        for name in names.values():
            files.sync(self.folder / name)
        state = {
            "epoch": epoch,
            "settings": self.settings,
            "threads": self.threads,
            "history": self.log.history,
            "epoch_seconds": self.log.epoch_seconds,
            "python_random": random.getstate(),
            "sha256": {name: sha256(self.folder / name) for name in names.values()},
        }
        files.write_json(self.folder / STATE, {**state, "seal": seal(state)})
        for name in epoch_files(epoch - 1).values():
            (self.folder / name).unlink(missing_ok=True)

    def remove(self) -> None:
        """Throws the checkpoint away: the run it backs up has written its results."""
        shutil.rmtree(self.folder, ignore_errors=True)
