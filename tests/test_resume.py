"""An interrupted run resumes from its last finished epoch and ends exactly as a run never
stopped; checkpoints from other settings, damaged ones or other thread counts are not
used; the progress make run-all shows."""

import hashlib
import io
import json
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from conftest import (
    ONE_THREAD,
    RESUMED_THE_SAME,
    ROOT,
    TINY,
    TUTORIAL_SETTINGS,
    kill_in_second_epoch,
    run_command,
)

from imdb_lstm import cache, progress, resume
from imdb_lstm.encoding import TextEncoding
from imdb_lstm.errors import UserError
from imdb_lstm.variants import EXTENSION_SCRIPTS, SCRIPTS
from tools import board

ENCODING = TextEncoding({"good": 4, "bad": 5}, 10, 5)


@pytest.mark.slow
@pytest.mark.parametrize(
    "script", ["lstm_dropout_layers.py", "lstm_recurrent_dropout.py", "cnn_lstm.py"]
)
def test_a_run_killed_in_its_second_epoch_resumes_to_the_same_results(
    script, run_all_output, stanford_tarball, tmp_path
):
    """The Dropout layers' random state and the XLA model's (the LSTM's own dropout), the
    optimizer's and the shuffle order all carry on as if nothing had happened; and two runs
    of one seed agree (cnn_lstm's determinism, the convolution included). The run never
    stopped is make run-all's, with the same flags and thread counts."""
    name = script.removesuffix(".py")
    stopped = [script, "--data", str(stanford_tarball), *TINY, "--output", str(tmp_path)]
    kill_in_second_epoch(*stopped, progress_file=tmp_path / "progress.jsonl", env=ONE_THREAD)
    backup = tmp_path / f"{name}.backup"
    assert sorted(p.name for p in backup.iterdir()) == [
        "epoch-1.metadata.json",
        "epoch-1.seeds.npz",
        "epoch-1.weights.h5",
        "run.json",
    ]
    resumed = run_command(*stopped, env=ONE_THREAD)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming from epoch 2 of 2 ({backup})\n" in resumed.stdout
    assert not backup.exists()  # the results are written: the checkpoint is gone

    expected = json.loads((run_all_output / f"{name}.json").read_text())
    got = json.loads((tmp_path / f"{name}.json").read_text())
    assert got["threads"] == expected["threads"] == {"intra_op": 1, "inter_op": 1}
    for key in RESUMED_THE_SAME:
        assert got[key] == expected[key], key
    assert len(got["epoch_seconds"]) == 2 and got["train_reviews"] == 100
    assert (got["resumed_from_epoch"], expected["resumed_from_epoch"]) == (2, None)


# --- which checkpoints are used, in-process, on a checkpoint written out by hand --------

SETTINGS = {"script": "lstm_basic.py", "data": "aclImdb_v1.tar.gz", "epochs": 3, "seed": 7}
THREADS = {"intra_op": 1, "inter_op": 1}


class Log:
    def restore(self, history, epoch_seconds):
        self.history, self.epoch_seconds = history, epoch_seconds


def write_checkpoint(folder, settings=SETTINGS, threads=THREADS):
    """The files a run leaves after its first epoch, with run.json naming their checksums."""
    folder.mkdir()
    contents = {
        "epoch-1.weights.h5": b"weights",
        "epoch-1.metadata.json": b'{"epoch": 1, "batch": 0}',
        "epoch-1.seeds.npz": b"seeds",
    }
    for name, content in contents.items():
        (folder / name).write_bytes(content)
    state = {
        "epoch": 1,
        "settings": settings,
        "threads": threads,
        "history": {"loss": [0.69], "accuracy": [0.52]},
        "epoch_seconds": [140.5],
        "python_random": [3, [0] * 625, None],
        "sha256": {name: hashlib.sha256(c).hexdigest() for name, c in contents.items()},
    }
    (folder / "run.json").write_text(json.dumps({**state, "seal": seal_of(state)}))
    return folder


def seal_of(state: dict) -> str:
    """run.json's own checksum: SHA-256 of its other fields as JSON, keys sorted."""
    return hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()


def edit_run_json(folder, edit) -> None:
    """Edits run.json by hand, as a reader with a text editor would."""
    text = (folder / "run.json").read_text()
    (folder / "run.json").write_text(edit(text))


def test_a_checkpoint_of_the_same_run_is_resumed(tmp_path, capsys):
    folder = write_checkpoint(tmp_path / "lstm_basic.backup")
    log = Log()
    backup = resume.Backup(folder, SETTINGS, THREADS, log)
    assert backup.epochs_done == 1
    assert (log.history, log.epoch_seconds) == ({"loss": [0.69], "accuracy": [0.52]}, [140.5])
    assert capsys.readouterr().out == f"resuming from epoch 2 of 3 ({folder})\n"


@pytest.mark.parametrize(
    "change, why",
    [
        ({"seed": 8}, "it is from a run with other settings (seed 7, not 8)"),
        ({"epochs": 6, "data": "reviews.csv"}, "it is from a run with other settings (data "
         "aclImdb_v1.tar.gz, not reviews.csv; epochs 3, not 6)"),
    ],
)  # fmt: skip
def test_a_checkpoint_from_other_settings_is_not_used(change, why, tmp_path, capsys):
    folder = write_checkpoint(tmp_path / "lstm_basic.backup")
    backup = resume.Backup(folder, {**SETTINGS, **change}, THREADS, Log())
    assert backup.epochs_done == 0 and not folder.exists()
    kept = tmp_path / "lstm_basic.backup.set-aside"
    printed = capsys.readouterr().out
    assert printed == f"not resuming from {folder}: {why}; kept as {kept}; training from epoch 1\n"
    assert (kept / "run.json").is_file()  # set aside, not deleted


@pytest.mark.parametrize(
    "damage, why",
    [
        (lambda f: (f / "epoch-1.weights.h5").write_bytes(b"weigh"),
         "it is damaged (epoch-1.weights.h5 is missing or changed)"),
        (lambda f: (f / "epoch-1.seeds.npz").unlink(),
         "it is damaged (epoch-1.seeds.npz is missing or changed)"),
        (lambda f: (f / "run.json").write_text('{"epoch": 1, "sett'),
         "it is damaged (run.json cannot be read)"),
        (lambda f: (f / "run.json").unlink(), "it holds no finished epoch"),
        (lambda f: (f / "run.json").write_text('{"epoch": 1, "sha256": {}}'),
         "it is damaged (run.json lacks settings, threads, history, epoch_seconds, "
         "python_random)"),
        (lambda f: edit_run_json(f, lambda t: t.replace("0.69", "0.68")),
         "it is damaged (run.json was changed after it was written)"),
        (lambda f: edit_run_json(f, lambda t: t.replace('"epoch": 1', '"epoch": 7')),
         "it is damaged (run.json was changed after it was written)"),
        (lambda f: edit_run_json(f, lambda t: t.replace('"seal": "', '"seal": "0')),
         "it is damaged (run.json was changed after it was written)"),
    ],
)  # fmt: skip
def test_a_damaged_checkpoint_is_not_used(damage, why, tmp_path, capsys):
    folder = write_checkpoint(tmp_path / "lstm_basic.backup")
    damage(folder)
    assert resume.Backup(folder, SETTINGS, THREADS, Log()).epochs_done == 0
    assert not folder.exists()
    kept = tmp_path / "lstm_basic.backup.set-aside"
    printed = capsys.readouterr().out
    assert printed == f"not resuming from {folder}: {why}; kept as {kept}; training from epoch 1\n"


def test_a_checkpoint_of_every_epoch_says_so_and_not_epoch_4_of_3(tmp_path, capsys):
    folder = write_checkpoint(tmp_path / "lstm_basic.backup", settings={**SETTINGS, "epochs": 1})
    backup = resume.Backup(folder, {**SETTINGS, "epochs": 1}, THREADS, Log())
    assert backup.epochs_done == 1
    assert capsys.readouterr().out == (
        f"all 1 epochs were trained earlier ({folder}); evaluating\n"
    )


def test_a_full_disk_while_saving_a_checkpoint_is_one_line(tmp_path, monkeypatch):
    import shutil

    import keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])  # 4 parameters
    folder = tmp_path / "lstm_basic.backup"
    backup = resume.Backup(folder, SETTINGS, THREADS, Log())
    backup.set_model(model)
    backup._current_epoch = 1
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(resume.shutil, "disk_usage", lambda path: usage._replace(free=2**20))
    with pytest.raises(UserError) as error:
        backup._save_model()
    assert str(error.value) == (
        f"could not save the checkpoint in {folder} (1,048,576 bytes free, about 1,048,628 "
        "needed); free some space and run the same command again: it resumes from the "
        "last epoch saved"
    )
    assert list(folder.iterdir()) == []  # nothing half-written taken as a checkpoint


HOLD_THE_LOCK = """
import sys, time
sys.path.insert(0, sys.argv[1])
from imdb_lstm import lock
lock.hold(__import__("pathlib").Path(sys.argv[2]), "lstm_basic")
print("holding", flush=True)
time.sleep(60)
"""


def test_a_second_run_into_one_folder_is_refused_until_the_first_ends(tmp_path):
    from imdb_lstm import lock

    first = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_LOCK, str(ROOT), str(tmp_path), "--seed", "7"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert first.stdout.readline() == "holding\n"
        with pytest.raises(UserError) as error:
            lock.hold(tmp_path, "lstm_basic")
        message = str(error.value)
        assert message.startswith(f"{tmp_path} is in use by another run of lstm_basic (process ")
        assert f"process {first.pid}, started " in message
        assert message.endswith(
            f"-c {ROOT} {tmp_path} --seed 7); wait for it to end, or give this one another --output"
        )
        lock.hold(tmp_path, "cnn_lstm")  # another script's runs have a lock of their own
    finally:
        first.kill()  # as kill -9: the kernel releases the lock
        first.wait()
    lock.hold(tmp_path, "lstm_basic")


def test_resuming_under_other_thread_counts_is_refused(tmp_path):
    folder = write_checkpoint(tmp_path / "lstm_basic.backup")
    default = {"intra_op": "default", "inter_op": "default"}
    with pytest.raises(UserError) as error:
        resume.Backup(folder, SETTINGS, default, Log())
    assert str(error.value) == (
        f"{folder} was trained with intra_op 1, not default; inter_op 1, not default "
        "(thread counts change the results): resume with the settings it was started with "
        "(the same JOBS for make), or pass --restart to start again"
    )
    assert folder.exists()  # kept for a resume with the right settings


def test_restart_throws_the_checkpoint_away(tmp_path, capsys):
    folder = write_checkpoint(tmp_path / "lstm_basic.backup")
    backup = resume.Backup(folder, SETTINGS, THREADS, Log(), restart=True)
    assert backup.epochs_done == 0 and not folder.exists()
    assert capsys.readouterr().out == (
        f"--restart: removed the checkpoint {folder}; training from epoch 1\n"
    )


# --- the progress make run-all shows ---------------------------------------------------


def test_run_all_prints_one_plain_line_per_finished_epoch_off_a_terminal(run_all_output):
    """make run-all's output was captured (not a terminal): no progress bar, no escapes."""
    printed = (run_all_output / "make.log").read_text()
    for i, script in enumerate(SCRIPTS + EXTENSION_SCRIPTS, start=1):
        for epoch in (1, 2):
            assert printed.count(f"[{i}/7] {script}: epoch {epoch}/2 done in ") == 1, printed
    assert "\x1b" not in printed and "\r" not in printed and "━" not in printed


def write_events(path, *events):
    with open(path, "a") as file:
        file.writelines(json.dumps(event) + "\n" for event in events)


@pytest.fixture
def two_runs(tmp_path, monkeypatch):
    """The progress file of a run here, a clock stopped at 1000 s, and a way to move it."""
    now = [1000.0]
    monkeypatch.setattr(board.time, "monotonic", lambda: now[0])

    def later(seconds):
        now[0] += seconds

    return tmp_path / "a.jsonl", later


def first_epoch_of_lstm_basic(path, later, screen: board.Board) -> None:
    """lstm_basic, here, trains 100 of 391 steps in 50 s, 65 s after the start, then ends
    its first epoch in 195.6 s; cnn_lstm, on a worker (its events pushed), starts."""
    screen.add("[1/2] lstm_basic.py", progress.Reader(path).new_events)
    screen.add("[2/2] cnn_lstm.py")
    write_events(path, {"event": "start", "epochs": 3, "steps": 391})
    step = {"event": "step", "epoch": 1, "step": 100, "train_seconds": 50.0, "steps_done": 100}
    write_events(path, step)
    later(65)
    screen.refresh()
    logs = {"accuracy": 0.7, "loss": 0.5}
    write_events(path, {"event": "epoch", "epoch": 1, "seconds": 195.6, "logs": logs})
    screen.take("[2/2] cnn_lstm.py", [{"event": "start", "epochs": 3, "steps": 391}])
    screen.refresh()


def test_the_board_draws_a_live_line_per_run_on_a_terminal(two_runs):
    output = io.StringIO()
    with board.Board(output, live=True) as screen:
        first_epoch_of_lstm_basic(*two_runs, screen)
    drawn = output.getvalue()
    # 100 steps took 50 s: 291 + 2 x 391 steps were left, 536.5 s; then 2 x 391, 391 s.
    # A column each: label, epoch (or what the run does), step, elapsed, time left.
    for line in [
        "  [1/2] lstm_basic.py  epoch 1/3  step 100/391  elapsed 1m05s  left ~8m56s\n",
        "  [2/2] cnn_lstm.py    starting                 elapsed 1m05s",
        "[1/2] lstm_basic.py: epoch 1/3 done in 3m16s - accuracy 0.7000 - loss 0.5000\n",
        "  [1/2] lstm_basic.py  epoch 1/3  step 391/391  elapsed 1m05s  left ~6m31s\n",
        "  [2/2] cnn_lstm.py    epoch 1/3  step 0/391    elapsed 1m05s  left ?",
    ]:
        assert line in drawn
    assert drawn.count("epoch 1/3 done") == 1  # printed once, above the live lines
    assert "\x1b[2K" in drawn  # the live lines are redrawn in place


def test_off_a_terminal_the_board_prints_finished_epochs_only(two_runs):
    output = io.StringIO()
    with board.Board(output, live=False) as screen:
        first_epoch_of_lstm_basic(*two_runs, screen)
        screen.say("x" * 150)  # a long line stays one line
    assert output.getvalue() == (
        "[1/2] lstm_basic.py: epoch 1/3 done in 3m16s - accuracy 0.7000 - loss 0.5000\n"
        + "x" * 150
        + "\n"
    )


def test_runs_started_together_encode_the_reviews_once(tmp_path, capsys, monkeypatch):
    """The first run encodes (the board says so), the second waits for its cache entry."""
    encoded, first_began = [], threading.Event()

    def encode():
        first_began.set()
        time.sleep(1)  # the second run asks for the entry meanwhile
        encoded.append(1)
        return ([np.array([1, 4])], np.array([1])), ([np.array([1, 5])], np.array([0])), ENCODING

    progress_file = tmp_path / "run.progress"
    monkeypatch.setattr(progress, "_file", open(progress_file, "a"))  # noqa: SIM115
    source = tmp_path / "reviews.csv"
    source.write_text("review,sentiment\n")
    results = []
    first = threading.Thread(
        target=lambda: results.append(cache.cached(source, "f", 10, 5, encode))
    )
    first.start()
    first_began.wait(10)
    results.append(cache.cached(source, "f", 10, 5, encode))
    first.join()
    assert len(encoded) == 1 and len(results) == 2
    printed = capsys.readouterr().out
    assert "Waiting for another run encoding reviews into the cache ..." in printed
    assert [p.name for p in cache.keras_cache_dir().iterdir() if "lock" in p.name] == []
    run = board.RunProgress("[1/2] lstm_basic.py")
    assert run.take(progress.Reader(progress_file).new_events()) == [
        f"[1/2] lstm_basic.py: encoding the reviews in {source} (once for every run, cached "
        "for later runs)"
    ]
    assert run.doing == " waiting for the run encoding the reviews" and run.left == ""


def test_a_progress_line_still_being_written_waits(tmp_path):
    path = tmp_path / "progress.jsonl"
    path.write_text('{"event": "start", "epochs": 3, "steps": 4}\n{"event": "ste')
    reader = progress.Reader(path)
    assert reader.new_events() == [{"event": "start", "epochs": 3, "steps": 4}]
    with open(path, "a") as file:
        file.write('p", "epoch": 1}\n')
    assert reader.new_events() == [{"event": "step", "epoch": 1}]


def test_the_checkpoint_is_of_the_run_its_settings_name(stanford_tarball, tmp_path):
    import common

    flags = ["--data", str(stanford_tarball), "--output", str(tmp_path), "--seed", "3"]
    run = common.Run(str(ROOT / "cnn_lstm.py"), flags, **TUTORIAL_SETTINGS)
    run.load_imdb(5000, 500)
    stat = stanford_tarball.stat()
    assert run.backup.settings == {
        "variant": "cnn_lstm",
        "data": str(stanford_tarball),
        "data_fingerprint": f"{stat.st_size}-{stat.st_mtime_ns}",  # the archive's size and time
        "backend": "tensorflow",
        "epochs": 3,
        "batch_size": 64,
        "seed": 3,
        "max_samples": None,
    }
    assert run.backup.folder == tmp_path / "cnn_lstm.backup"
