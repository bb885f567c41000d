"""What a new user hit in their first hour (issue 26), on the data, file and predict side:
each fault as the user met it, built by the test itself, and the one line that answers it.
A compressed file that would unpack to more than memory holds is read in a child process
whose address space is capped, so that reading it without a bound fails there."""

import gzip
import importlib.util
import io
import json
import os
import signal
import subprocess
import sys
import tarfile
import zipfile
from contextlib import contextmanager
from pathlib import Path

import keras
import numpy as np
import pytest
from conftest import ROOT, TUTORIAL_SETTINGS, assert_clean_error, refusal_in_child, run_command
from test_data import TINY_REVIEWS, write_reviews
from test_resume import SETTINGS, THREADS, Log, write_checkpoint

import predict
from imdb_lstm import csv_reviews, flags, results, resume
from imdb_lstm import data as imdb_data
from imdb_lstm.encoding import TextEncoding
from imdb_lstm.errors import UserError
from imdb_lstm.model_files import save_model
from tools import stanford_csv

MAXLEN = 500


def load_error(path) -> str:
    with pytest.raises(UserError) as caught:
        imdb_data.load(str(path), 5000, MAXLEN, None)
    assert "\n" not in str(caught.value)
    return str(caught.value)


def csv_error(text: str | bytes, tmp_path, name: str = "reviews.csv") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    with pytest.raises(UserError) as caught:
        csv_reviews.read_reviews(path)
    assert "\n" not in str(caught.value)
    return str(caught.value)


# --- 2, 3. a run's identity is its data, not its spelling -------------------------------

REVIEWS_CSV = "review,sentiment\ngreat film,positive\nbad film,negative\ngreat fun,1\n"


def same_run(data: str) -> dict:
    return results.same_run(
        "lstm_basic", flags.script_args(ROOT / "lstm_basic.py", ["--data", data])
    )


def test_a_relative_and_an_absolute_path_name_one_run(tmp_path, monkeypatch):
    (tmp_path / "rs").mkdir()
    (tmp_path / "rs" / "data.csv").write_text(REVIEWS_CSV)
    monkeypatch.chdir(tmp_path / "rs")
    relative = same_run("../rs/data.csv")
    assert relative == same_run(str(tmp_path / "rs" / "data.csv"))
    assert relative["data"] == str(tmp_path / "rs" / "data.csv")


def test_an_edited_data_file_is_another_run_and_make_seeds_trains_it_again(tmp_path):
    """Labels flipped in place (the same size): the run done earlier is not this one."""
    data = tmp_path / "data.csv"
    data.write_text(REVIEWS_CSV)
    before = same_run(str(data))
    (tmp_path / "lstm_basic.json").write_text(json.dumps(before))
    (tmp_path / "lstm_basic.keras").write_bytes(b"a model")
    assert results.finished(tmp_path, before)

    data.write_text(
        REVIEWS_CSV.replace("positive", "negative", 1).replace("negative\n", "positive\n", 1)
    )
    os.utime(data, ns=(data.stat().st_atime_ns, data.stat().st_mtime_ns + 10**9))
    after = same_run(str(data))
    assert after["data"] == before["data"] and after != before
    assert not results.finished(tmp_path, after)


def test_an_edited_folder_of_reviews_is_another_run(tmp_path):
    root = write_reviews(tmp_path / "aclImdb", TINY_REVIEWS)
    before = same_run(str(root))
    (root / "train/neg/1_2.txt").write_text("bad bad plot!")
    assert same_run(str(root)) != before


def test_a_checkpoint_that_is_not_resumed_is_set_aside_each_time(tmp_path, capsys):
    folder = tmp_path / "lstm_basic.backup"
    for kept in ("lstm_basic.backup.set-aside", "lstm_basic.backup.set-aside-2"):
        write_checkpoint(folder)
        resume.Backup(folder, {**SETTINGS, "data_fingerprint": "1-2"}, THREADS, Log())
        assert f"; kept as {tmp_path / kept}; training from epoch 1" in capsys.readouterr().out
        assert json.loads((tmp_path / kept / "run.json").read_text())["settings"] == SETTINGS
    assert not folder.exists()


# --- 4. outputs never replace inputs ------------------------------------------------------


@pytest.fixture
def small_model(tmp_path) -> Path:
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(1, activation="sigmoid")])
    encoding = TextEncoding({"a": 4, "good": 5, "film": 6, "bad": 7}, num_words=8, maxlen=8)
    save_model(model, tmp_path / "model.keras", encoding)
    return tmp_path / "model.keras"


def test_predict_refuses_to_write_its_csv_over_the_model(small_model, tmp_path, monkeypatch):
    (tmp_path / "x.csv").write_text("review\ngood film\n")
    model = small_model.read_bytes()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError, match="--output is the --model file this reads"):
        predict.main(["--model", str(small_model), "--csv", "x.csv", "--output", "./model.keras"])
    assert small_model.read_bytes() == model


def test_an_output_that_is_a_hard_link_to_the_csv_is_refused(small_model, tmp_path):
    (tmp_path / "x.csv").write_text("review\ngood film\n")
    os.link(tmp_path / "x.csv", tmp_path / "same.csv")
    with pytest.raises(UserError, match="--output is the --csv file this reads"):
        predict.main(["--model", str(small_model), "--csv", str(tmp_path / "x.csv"),
                      "--output", str(tmp_path / "same.csv")])  # fmt: skip


def test_stanford_csv_refuses_to_write_over_its_source(stanford_tarball, tmp_path):
    archive = tmp_path / "aclImdb_v1.tar.gz"
    archive.write_bytes(stanford_tarball.read_bytes())
    with pytest.raises(UserError, match="the output is the source file this reads"):
        stanford_csv.main([str(archive), str(archive)])
    assert archive.read_bytes() == stanford_tarball.read_bytes()


def test_a_script_refuses_progress_written_over_its_data(tmp_path):
    import common

    data = tmp_path / "reviews.csv"
    data.write_text(REVIEWS_CSV)
    flags = ["--data", str(data), "--progress", str(data), "--output", str(tmp_path)]
    with pytest.raises(UserError, match="--progress is the --data file this reads"):
        common.Run(str(ROOT / "lstm_basic.py"), flags, **TUTORIAL_SETTINGS)
    assert data.read_text() == REVIEWS_CSV
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reviews.csv"]  # nothing started


# --- 5. every compressed input is bounded -----------------------------------------------

# Each bomb unpacks to more than the child's headroom (conftest.refusal_in_child), from a
# file of a few megabytes (gzip members of 64 MiB of zeros, concatenated).
MEMORY_HEADROOM_MB = 400
BOMB_MEMBERS = 16  # 1 GiB
NPZ_BOMB_MEMBERS = 8  # 512 MiB: an .npz entry is one deflate stream, slower to make


def zeros_gzip(start: bytes) -> bytes:
    """`start`, then a gigabyte of zeros, gzip-compressed into a few megabytes."""
    member = gzip.compress(b"\0" * (64 << 20), compresslevel=1)
    return gzip.compress(start) + member * BOMB_MEMBERS


def test_a_csv_gz_that_unpacks_to_a_gigabyte_is_refused_in_bounded_memory(tmp_path):
    path = tmp_path / "reviews.csv.gz"
    path.write_bytes(zeros_gzip(b"review,sentiment\n"))
    printed = refusal_in_child("imdb_lstm.csv_reviews", "read_table", path, MEMORY_HEADROOM_MB)
    assert f"refused: {path}: unpacks to more than a data file of its size may " in printed
    assert (
        "20 times its size, at least 67,108,864 bytes, at most 1,073,741,824); not read" in printed
    )


def test_a_stanford_archive_that_unpacks_to_a_gigabyte_is_refused_in_bounded_memory(tmp_path):
    header = tarfile.TarInfo("aclImdb/train/pos/0_9.txt")
    header.size = BOMB_MEMBERS * (64 << 20)
    path = tmp_path / "aclImdb_v1.tar.gz"
    path.write_bytes(zeros_gzip(header.tobuf(format=tarfile.GNU_FORMAT)))
    printed = refusal_in_child("imdb_lstm.data", "read_stanford", path, MEMORY_HEADROOM_MB)
    assert f"refused: {path}: unpacks to more than a data file of its size may" in printed


def test_an_npz_whose_arrays_unpack_to_half_a_gigabyte_is_refused_unread(tmp_path):
    path = tmp_path / "imdb.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name in ("y_train", "x_test", "y_test"):
            archive.writestr(f"{name}.npy", b"")
        with archive.open("x_train.npy", "w", force_zip64=True) as entry:
            header = io.BytesIO()
            np.lib.format.write_array_header_1_0(
                header, {"descr": "|u1", "fortran_order": False, "shape": (NPZ_BOMB_MEMBERS << 26,)}
            )
            entry.write(header.getvalue())
            for _ in range(NPZ_BOMB_MEMBERS):
                entry.write(b"\0" * (64 << 20))
    names = ', ["x_train", "y_train", "x_test", "y_test"]'
    printed = refusal_in_child("imdb_lstm.npz", "read_arrays", path, MEMORY_HEADROOM_MB, names)
    assert f"refused: {path}: unpacks to 536,871,040 bytes, more than a data file" in printed


# --- 6, 13. data folders are checked like CSV files --------------------------------------


def test_a_folder_with_an_empty_train_pos_is_refused(tmp_path):
    reviews = {name: text for name, text in TINY_REVIEWS.items() if "train/pos" not in name}
    root = write_reviews(tmp_path / "aclImdb", reviews)
    (root / "train/pos").mkdir()
    assert load_error(root).startswith(
        f"{root}: the train reviews are all negative, none positive "
        "(from train/pos, train/neg, test/pos and test/neg); each needs reviews (*.txt)"
    )


def test_a_folder_of_empty_reviews_is_refused(tmp_path):
    root = write_reviews(tmp_path / "aclImdb", dict.fromkeys(TINY_REVIEWS, ""))
    assert load_error(root) == f"{root}: test/neg/0_3.txt: the review is empty"


@contextmanager
def no_hang(seconds: int = 60):
    def stuck(*_):
        raise AssertionError(f"still reading after {seconds} s")

    previous = signal.signal(signal.SIGALRM, stuck)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize(
    "make, said",
    [
        (lambda p: p.symlink_to(p),
         "cannot read (a link to {p}: Too many levels of symbolic links)"),
        (lambda p: p.symlink_to(p.parent / "gone.txt"),
         "cannot read (a link to {gone}: No such file or directory)"),
        (lambda p: p.mkdir(), "it is a directory, not a file to read"),
        (lambda p: os.mkfifo(p), "it is a named pipe, not a file to read"),
    ],
    ids=["link loop", "dangling link", "directory", "named pipe"],
)  # fmt: skip
def test_a_review_that_is_not_a_regular_file_is_one_line(tmp_path, make, said):
    root = write_reviews(tmp_path / "aclImdb", TINY_REVIEWS)
    path = root / "train/pos/2_9.txt"
    make(path)
    with no_hang():
        message = load_error(root)
    assert message == f"{path}: " + said.format(p=path, gone=path.parent / "gone.txt")


# --- 7, 8, 23. CSV reading -------------------------------------------------------------


def test_two_review_columns_are_refused(tmp_path):
    message = csv_error("review,sentiment,Review \ngood,positive,bad\n", tmp_path)
    assert message.endswith(
        "columns 1 and 3 are both named 'Review'; rename one, so that which is read is not a guess"
    )


@pytest.mark.parametrize(
    "text, said",
    [
        ("review;sentiment\ngood, really;positive\nbad;negative\n",
         "the header 'review;sentiment' is one column: semicolon-separated? save the file "
         "comma-separated (this reader takes commas only)"),
        ("review\tsentiment\ngood\tpositive\n",
         "the header 'review\\tsentiment' is one column: tab-separated?"),
        ("sep=,\nreview,sentiment\ngood,positive\n",
         "the first row is a spreadsheet's delimiter line ('sep=,'), not the header; delete "
         "that line"),
    ],
)  # fmt: skip
def test_another_delimiter_is_named(tmp_path, text, said):
    assert said in csv_error(text, tmp_path)


@pytest.mark.parametrize(
    "raw",
    [
        "review,sentiment\ngood,positive\n".encode("utf-16"),  # with its byte-order mark
        "review,sentiment\ngood,positive\n".encode("utf-16-le"),
        "review,sentiment\ngood,positive\n".encode("utf-16-be"),
    ],
    ids=["marked", "little-endian", "big-endian"],
)
def test_a_utf16_csv_is_named_utf16(tmp_path, raw):
    assert (
        csv_error(raw, tmp_path)
        == f"{tmp_path / 'reviews.csv'}: UTF-16 text, not UTF-8; save it as UTF-8"
    )


def test_a_nul_byte_is_named_with_its_line(tmp_path):
    message = csv_error(b"review,sentiment\ngood,positive\nbad\0,negative\n", tmp_path)
    assert message == f"{tmp_path / 'reviews.csv'}: not text: line 3 holds a NUL byte (binary data)"


@pytest.fixture
def counting_model(tmp_path) -> Path:
    """Each "good" among the last 4 words adds ln 3 to the logit: one gives 3/4."""
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Embedding(6, 1), keras.layers.Flatten(),
         keras.layers.Dense(1, activation="sigmoid")]
    )  # fmt: skip
    model.layers[0].set_weights([np.array([[0], [0], [0], [0], [np.log(3)], [-np.log(3)]])])
    model.layers[2].set_weights([np.ones((4, 1)), np.zeros(1)])
    save_model(
        model, tmp_path / "m.keras", TextEncoding({"good": 4, "bad": 5}, num_words=6, maxlen=4)
    )
    return tmp_path / "m.keras"


def test_predict_csv_says_how_many_rows_have_no_known_word(counting_model, tmp_path, capsys):
    (tmp_path / "in.csv").write_text("review\n这部电影很好\ngood\n非常无聊\n", encoding="utf-8")
    predict.main(["--model", str(counting_model), "--csv", str(tmp_path / "in.csv"),
                  "--output", str(tmp_path / "out.csv")])  # fmt: skip
    assert capsys.readouterr().err == (
        "warning: 2 of 3 rows have none of the model's 2 known words, so their labels say "
        "nothing about them (rows 2, 4)\n"
    )


def test_predict_csv_scores_only_the_rows_with_a_label(counting_model, tmp_path, capsys):
    (tmp_path / "in.csv").write_text(
        "review,sentiment\ngood,positive\nbad,\ngood,negative\nbad, \n"
    )
    predict.main(["--model", str(counting_model), "--csv", str(tmp_path / "in.csv"),
                  "--output", str(tmp_path / "out.csv")])  # fmt: skip
    assert capsys.readouterr().out.splitlines()[1] == (
        "accuracy against column sentiment: 50.00% (2 rows; 2 without a label left out)"
    )


def test_stanford_csv_says_what_a_csv_given_to_it_is(tmp_path):
    (tmp_path / "reviews.csv").write_text(REVIEWS_CSV)
    with pytest.raises(UserError) as caught:
        stanford_csv.main([str(tmp_path / "reviews.csv"), str(tmp_path / "out.csv")])
    assert str(caught.value) == (
        f"{tmp_path / 'reviews.csv'}: a CSV file of reviews (--data takes it as it is), not "
        "the Stanford aclImdb_v1.tar.gz or aclImdb/ folder"
    )


def test_standard_input_has_the_review_size_limit_of_files(small_model, monkeypatch):
    line = b"good " * (1 << 18) + b"film\n"  # 1,310,725 characters
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"good film\n" + line)))
    with pytest.raises(UserError) as caught:
        predict.main(["--model", str(small_model)])
    assert str(caught.value) == "line 2: longer than a review may be (1,048,576 characters (1 MiB))"


def test_an_empty_keras_home_counts_as_unset(tmp_path):
    """Not the current folder (the checkout, where the user runs the scripts)."""
    home = tmp_path / "home"
    code = "import common; from imdb_lstm import cache; print(cache.keras_cache_dir())"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
        env={**os.environ, "KERAS_HOME": "", "HOME": str(home), "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{home / '.keras' / 'datasets'}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home"]  # no keras.json here


# --- 12, 14, 15, 16. the scripts from the shell -----------------------------------------


def test_a_seed_out_of_range_is_one_line(capsys):
    with pytest.raises(SystemExit) as exit:
        flags.script_args(ROOT / "lstm_basic.py", ["--seed", "4294967296"])
    assert exit.value.code == 2
    assert (
        capsys.readouterr()
        .err.splitlines()[-1]
        .endswith("error: argument --seed: must be at most 4,294,967,295, got 4,294,967,296")
    )
    assert flags.script_args(ROOT / "lstm_basic.py", ["--seed", "4294967295"]).seed == 4294967295


def test_a_closed_pipe_ends_quietly(small_model):
    """`python predict.py ... | head -1`, with head gone before predict.py writes."""
    command = [sys.executable, "predict.py", "--model", str(small_model), "good film"]
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    child.stdout.close()  # the reader is gone before anything is written
    stderr = child.stderr.read().decode()
    assert child.wait(timeout=300) == 1
    assert stderr == ""


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_a_backend_that_is_not_installed_names_the_make_command(backend):
    if importlib.util.find_spec(backend) is not None:
        pytest.skip(f"{backend} is installed here")
    result = run_command("cnn_lstm.py", env={"KERAS_BACKEND": backend})
    assert_clean_error(
        result,
        f"KERAS_BACKEND={backend}, but {backend} is not installed",
        f"`make venv BACKEND={backend}` installs it into .venv-{backend}/",
    )


def test_an_extension_runs_by_path_as_a_reader_types_it():
    result = run_command("extensions/cnn_lstm_dropout.py", "--help", env={"PYTHONPATH": ""})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: cnn_lstm_dropout.py")
