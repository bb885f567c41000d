"""Results and models are written atomically: a failed write leaves the old file intact."""

import argparse
import json
import os

import keras
import pytest
from conftest import ROOT, TUTORIAL_SETTINGS

from imdb_lstm import files, machine, model_files, results
from imdb_lstm.encoding import TextEncoding
from imdb_lstm.errors import UserError

# A run's settings (imdb_lstm/results.py SAME_RUN) for the tests that write results.
SETTINGS = {
    "variant": "lstm_basic", "data": "tiny", "backend": "tensorflow", "epochs": 1,
    "batch_size": 2, "seed": 0, "max_samples": 2,
}  # fmt: skip


def tiny_model() -> keras.Model:
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])


def test_model_round_trip_keeps_the_vocabulary(tmp_path):
    encoding = TextEncoding({"great": 4, "film": 5}, num_words=6, maxlen=3)  # tiny_model's 3
    model_files.save_model(tiny_model(), tmp_path / "m.keras", encoding)
    model, loaded = model_files.load_model(tmp_path / "m.keras")
    assert loaded == encoding and model.count_params() == 4


def test_failed_model_save_keeps_the_earlier_model(tmp_path, monkeypatch):
    path = tmp_path / "m.keras"
    model_files.save_model(tiny_model(), path, None)
    before = path.read_bytes()

    def save_half_then_fail(self, filepath, **kwargs):
        open(filepath, "wb").write(b"PK half a model")
        raise OSError("disk full")

    monkeypatch.setattr(keras.Model, "save", save_half_then_fail)
    with pytest.raises(OSError, match="disk full"):
        model_files.save_model(tiny_model(), path, None)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.keras"]  # no temporary file left


def test_failed_json_write_keeps_the_earlier_results(tmp_path):
    path = tmp_path / "r.json"
    files.write_json(path, {"test_accuracy": 0.87})
    with pytest.raises(TypeError):
        files.write_json(path, {"not serialisable": object()})
    assert json.loads(path.read_text()) == {"test_accuracy": 0.87}
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_written_files_get_normal_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        files.write_json(tmp_path / "r.json", {})
    finally:
        os.umask(umask)
    assert (tmp_path / "r.json").stat().st_mode & 0o777 == 0o644


def test_versions_come_from_each_package_and_never_fail(monkeypatch):
    import tensorflow

    assert machine.versions()["tensorflow"] == tensorflow.__version__
    # A build installed under another name (tensorflow-cpu, tf-nightly) has no
    # "tensorflow" distribution metadata; a backend that will not import at all:
    monkeypatch.setattr(machine.importlib, "import_module", lambda name: object())
    assert machine.versions()["tensorflow"] == "unknown"

    def broken(name):
        raise ImportError(name)

    monkeypatch.setattr(machine.importlib, "import_module", broken)
    assert machine.versions()["tensorflow"] == "unknown"


LSTM_BASIC = ROOT / "lstm_basic.py"


def test_results_are_written_before_the_model(tmp_path, monkeypatch):

    def disk_full(*args):
        raise OSError("disk full")

    monkeypatch.setattr(model_files, "save_model", disk_full)
    data = argparse.Namespace(
        y_train=[0, 1], y_test=[1, 0], source="tiny", encoding=None, split=None
    )
    log = results.TrainingLog()
    log.restore({"loss": [0.5], "accuracy": [0.75]}, [2.0])
    with pytest.raises(UserError, match="could not write results to .*disk full"):
        results.write(tmp_path, SETTINGS, tiny_model(), data, log, None, (0.25, 0.5))
    saved = json.loads((tmp_path / "lstm_basic.json").read_text())
    assert saved["test_accuracy"] == 0.5 and saved["history"] == {"loss": [0.5], "accuracy": [0.75]}
    assert not results.finished(tmp_path, SETTINGS)  # to be run again


@pytest.mark.parametrize(
    "flags, isa",
    [
        ("fpu sse2 avx avx2 fma avx512f avx512bw", "AVX-512"),
        ("fpu sse2 avx avx2 fma", "AVX2"),
        ("fpu sse2 avx", "AVX"),
        ("fp asimd evtstrm", ""),  # an Arm CPU's features
        ("", ""),
    ],
)
def test_results_name_the_cpus_vector_instructions(flags, isa, monkeypatch):
    info = {"flags": flags, "model name": "Test CPU"}
    monkeypatch.setattr(machine, "cpu_info", lambda field: info[field])
    monkeypatch.setattr(machine.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(machine, "gpu_names", lambda: [])
    assert machine.vector_isa() == isa
    assert machine.machine_description() == f"Test CPU (2 cores{', ' + isa if isa else ''})"


def test_an_output_folder_that_is_a_file_is_refused_before_training_and_kept(tmp_path):
    import common

    blocking = tmp_path / "results"
    blocking.write_text("my notes\n")
    with pytest.raises(UserError) as error:
        common.Run(str(LSTM_BASIC), ["--output", str(blocking)], **TUTORIAL_SETTINGS)
    assert str(error.value) == f"{blocking}: a file, not a folder; give --output a folder"
    assert blocking.read_text() == "my notes\n"


def test_a_progress_file_in_a_missing_folder_is_refused_before_training(tmp_path):
    import common

    progress = tmp_path / "missing" / "p.jsonl"
    with pytest.raises(UserError) as error:
        common.Run(
            str(LSTM_BASIC),
            ["--output", str(tmp_path), "--progress", str(progress)],
            **TUTORIAL_SETTINGS,
        )
    assert str(error.value) == f"{progress}: cannot write there (No such file or directory)"


# --- what the atomic rename may replace ---------------------------------------------------


def non_regular_targets(tmp_path):
    """A path of each kind the rename must never turn into a file, and how to tell it is
    still there: a named pipe, a link to one (as a link to /dev/null would be), a folder,
    a link to a regular file."""
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    (tmp_path / "folder").mkdir()
    (tmp_path / "notes.txt").write_text("mine\n")
    links = {"link-to-pipe": pipe, "link-to-file": tmp_path / "notes.txt"}
    for name, target in links.items():
        (tmp_path / name).symlink_to(target)
    return {
        "pipe": "a named pipe",
        "link-to-pipe": "a symbolic link",
        "folder": "a directory",
        "link-to-file": "a symbolic link",
    }


def kinds(tmp_path) -> dict[str, str]:
    return {p.name: os.lstat(p).st_mode for p in sorted(tmp_path.iterdir())}


def test_the_atomic_rename_replaces_only_a_regular_file(tmp_path):
    targets = non_regular_targets(tmp_path)
    before = kinds(tmp_path)
    for name, kind in targets.items():
        with pytest.raises(UserError) as error:
            files.write_json(tmp_path / name, {"accuracy": 0.5})
        assert str(error.value) == (
            f"{tmp_path / name}: it is {kind}, which is never replaced; give the name of a "
            "new file or of a regular file to replace"
        )
    assert kinds(tmp_path) == before and (tmp_path / "notes.txt").read_text() == "mine\n"
    files.write_json(tmp_path / "notes.txt", {})  # a regular file is replaced
    assert (tmp_path / "notes.txt").read_text() == "{}\n"


def test_a_model_is_not_saved_over_a_link(tmp_path):
    (tmp_path / "m.keras").symlink_to(os.devnull)
    with pytest.raises(UserError, match="m.keras: it is a symbolic link, which is never"):
        model_files.save_model(tiny_model(), tmp_path / "m.keras", None)
    assert os.readlink(tmp_path / "m.keras") == os.devnull


def test_temporary_files_of_a_killed_writer_are_removed_by_the_next(tmp_path):
    import subprocess
    import sys

    killed = subprocess.Popen([sys.executable, "-c", "pass"])
    killed.wait()  # its process id runs no more, as a killed writer's
    # As a killed model save leaves them: .<name>.<pid>.<8 random characters><suffix>
    left = tmp_path / f".m.keras.{killed.pid}.a1b2c3d4.keras"
    being_written = tmp_path / f".m.keras.{os.getpid()}.e5f6g7h8.keras"
    other_file = tmp_path / f".r.json.{killed.pid}.a1b2c3d4.json"
    for path in (left, being_written, other_file):
        path.write_bytes(b"PK half a model")
    model_files.save_model(tiny_model(), tmp_path / "m.keras", None)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["m.keras", being_written.name, other_file.name]
    )
