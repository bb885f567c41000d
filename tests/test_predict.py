"""predict.py: new text is encoded exactly as in training; every bad input is handled.
Called in-process (`predict.main`), but for one run from the command line."""

import common

import io
import json
import subprocess
import sys

import keras
import numpy as np
import pytest
from conftest import assert_clean_error, make_review, run_command

import lstm_basic
import predict
from imdb_lstm import cli
from imdb_lstm import data as imdb_data
from imdb_lstm.encoding import TextEncoding
from imdb_lstm.model_files import load_model, save_model


@pytest.fixture(scope="session")
def trained(stanford_dir, tmp_path_factory):
    """lstm_basic trained on the synthetic reviews, whose label the sentiment words
    decide; in-process, once per session."""
    output = tmp_path_factory.mktemp("trained")
    flags = ["--data", str(stanford_dir), "--output", str(output), "--epochs", "4"]
    lstm_basic.main([*flags, "--batch-size", "8"])
    return output / "lstm_basic.keras"


@pytest.fixture
def predict_cli(capsys, monkeypatch):
    """Runs predict.py's main in-process as the command line would: what it printed and
    its exit code (1 with the one-line message for a user error)."""

    def call(*argv: str, stdin: str | bytes = "") -> subprocess.CompletedProcess:
        raw = stdin.encode() if isinstance(stdin, str) else stdin
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
        capsys.readouterr()
        try:
            cli.run(lambda: predict.main(list(argv)))
            code = 0
        except SystemExit as exit:
            code = exit.code
        out, err = capsys.readouterr()
        if isinstance(code, str):  # sys.exit(message) prints it and exits with 1
            code, err = 1, err + code + "\n"
        return subprocess.CompletedProcess(argv, code, out, err)

    return call


@pytest.fixture
def predict_json(predict_cli):
    def call(model, *args, stdin=""):
        result = predict_cli("--model", str(model), "--json", *args, stdin=stdin)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout), result.stderr

    return call


def test_positive_words_rank_above_negative_words(trained, predict_json):
    reviews = ["great wonderful superb moving", "awful boring dreadful tedious"]
    results, _ = predict_json(trained, *reviews)
    positive, negative = (r["probability_positive"] for r in results)
    assert positive > negative
    assert [r["label"] for r in results] == ["positive", "negative"]


def test_encoding_and_probability_match_training(trained, stanford_dir, tmp_path, predict_json):
    """A raw test review, read from its file, becomes the very sequence training used."""
    model, encoding = load_model(trained)
    data = common.load_imdb(str(stanford_dir), 5000, 500)
    assert encoding == data.encoding
    train, test = (sorted((stanford_dir / s).glob("*/*.txt")) for s in ("train", "test"))
    labels = [int(p.parent.name == "pos") for p in test]
    _, (test_files, _) = imdb_data.keras_shuffle((train, train), (test, labels))
    for row in (0, 7):
        review = test_files[row]
        np.testing.assert_array_equal(
            encoding.pad([encoding.encode(review.read_text())])[0], data.x_test[row]
        )
        results, _ = predict_json(trained, "--file", str(review))
        expected = model.predict(data.x_test[row : row + 1], verbose=0)[0, 0]
        assert results[0]["probability_positive"] == pytest.approx(float(expected), abs=1e-6)


def test_reviews_from_stdin_one_per_line_from_the_command_line(trained):
    rng = np.random.default_rng(5)
    lines = f"{make_review(True, rng)}\n\n{make_review(False, rng)}\n"
    result = run_command("predict.py", "--model", str(trained), "--json", stdin=lines)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    results = json.loads(result.stdout)
    assert [r["source"] for r in results] == ["line 1", "line 3"]  # the blank line is skipped
    assert [r["label"] for r in results] == ["positive", "negative"]


def test_table_output(trained, predict_cli):
    result = predict_cli("--model", str(trained), "A superb film")
    assert result.returncode == 0, result.stderr
    header, row = result.stdout.strip().splitlines()
    assert header.split() == ["positive", "label", "review"]
    assert row.endswith("A superb film") and row.split()[1] in ("positive", "negative")


def test_long_review_is_truncated_as_in_training(trained, predict_json):
    model, encoding = load_model(trained)
    text = "great " * 300 + "awful " * 400
    results, warnings = predict_json(trained, text)
    assert results[0]["truncated"] and results[0]["words"] == 700
    assert "it has 700 words; only the last 500 were read" in warnings
    # What the model read: the last 400 "awful" and the 100 "great" before them.
    great, awful = encoding.word_index["great"], encoding.word_index["awful"]
    read = np.array([[great] * 100 + [awful] * 400])
    expected = model.predict(read, verbose=0)[0, 0]
    assert results[0]["probability_positive"] == pytest.approx(float(expected), abs=1e-6)


@pytest.mark.parametrize("words, truncated", [(499, False), (500, False), (501, True)])
def test_a_review_of_500_words_is_read_whole(trained, words, truncated, predict_json):
    # Padding keeps the last 500 numbers: at 500 words only the start marker goes.
    results, warnings = predict_json(trained, "great " * words)
    assert results[0]["truncated"] is truncated
    assert ("only the last 500 were read" in warnings) is truncated


def test_trained_vocabulary_keeps_keras_words(trained):
    _, encoding = load_model(trained)
    # The synthetic reviews hold "<br />", "it's" and "don't", as real ones do.
    assert {"br", "it's", "don't"} <= set(encoding.word_index)


def test_new_text_is_tokenized_the_keras_way(tmp_path, predict_json):
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(1, activation="sigmoid")])
    vocabulary = {"don't": 4, "miss": 5, "it": 6, "br": 7, "10": 8}
    save_model(model, tmp_path / "m.keras", TextEncoding(vocabulary, num_words=9, maxlen=8))
    results, warnings = predict_json(tmp_path / "m.keras", "Don't miss it!<br /><br />10/10")
    assert (results[0]["words"], results[0]["known_words"]) == (7, 7)
    assert "warning:" not in warnings


def test_model_with_an_older_tokenizer_is_refused(tmp_path, predict_cli):
    import json as json_module
    import zipfile

    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(1, activation="sigmoid")])
    save_model(model, tmp_path / "old.keras", None)
    old = TextEncoding({"great": 4}, num_words=5, maxlen=8).to_json()
    del old["tokenizer"]
    with zipfile.ZipFile(tmp_path / "old.keras", "a") as archive:
        archive.writestr("imdb_encoding.json", json_module.dumps(old))
    result = predict_cli("--model", str(tmp_path / "old.keras"), "Great")
    assert_clean_error(result, "older tokenizer", "train it again")


def test_review_without_known_words_gets_a_warning(trained, predict_json):
    results, warnings = predict_json(trained, "zxq qqq vvv")
    assert results[0]["known_words"] == 0
    assert "none of its words is among the model's" in warnings


@pytest.mark.parametrize("review", ["", "   \n\t"])
def test_empty_review(trained, review, predict_cli):
    assert_clean_error(predict_cli("--model", str(trained), review), "empty")


def test_no_reviews_on_stdin(trained, predict_cli):
    result = predict_cli("--model", str(trained), stdin="\n  \n")
    assert_clean_error(result, "no reviews given")


def test_file_that_is_not_utf8(trained, tmp_path, predict_cli):
    path = tmp_path / "latin1.txt"
    path.write_bytes("un film épatant".encode("latin-1"))
    result = predict_cli("--model", str(trained), "--file", str(path))
    assert_clean_error(result, "latin1.txt", "not UTF-8")


def test_missing_review_file(trained, tmp_path, predict_cli):
    result = predict_cli("--model", str(trained), "--file", str(tmp_path / "no.txt"))
    assert_clean_error(result, "no.txt", "cannot read")


def test_missing_model(tmp_path, predict_cli):
    result = predict_cli("--model", str(tmp_path / "none.keras"), "Great")
    assert_clean_error(result, "none.keras", "no such model file")


def test_file_that_is_not_a_model(tmp_path, predict_cli):
    path = tmp_path / "fake.keras"
    path.write_text("not a model")
    assert_clean_error(predict_cli("--model", str(path), "Great"), "fake.keras")


def test_model_without_vocabulary(tmp_path, predict_cli):
    model = keras.Sequential([keras.Input((500,)), keras.layers.Dense(1, activation="sigmoid")])
    save_model(model, tmp_path / "bare.keras", encoding=None)
    result = predict_cli("--model", str(tmp_path / "bare.keras"), "Great")
    assert_clean_error(result, "saved without its vocabulary", "cannot encode")


@pytest.fixture
def small_model(tmp_path):
    """A model that knows four words; what it answers does not matter here."""
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(1, activation="sigmoid")])
    vocabulary = {"a": 4, "good": 5, "film": 6, "really": 7}
    save_model(model, tmp_path / "m.keras", TextEncoding(vocabulary, num_words=8, maxlen=8))
    return tmp_path / "m.keras"


def test_a_command_line_answer_writes_nothing_to_stderr(small_model):
    result = run_command("predict.py", "--model", str(small_model), stdin="a good film\n")
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert result.stdout.splitlines()[1].endswith("a good film")


def test_a_file_saved_on_windows_reads_as_its_copy_saved_elsewhere(
    small_model, tmp_path, predict_json
):
    (tmp_path / "windows.txt").write_bytes(b"\xef\xbb\xbfa good film\r\nreally\r\n")
    (tmp_path / "old-mac.txt").write_bytes(b"a good film\rreally\r")
    results, _ = predict_json(small_model, *(f"--file={tmp_path / n}" for n in ("windows.txt",
                              "old-mac.txt")))  # fmt: skip
    assert [(r["words"], r["known_words"]) for r in results] == [(4, 4), (4, 4)]
    assert [r["review"] for r in results] == ["a good film\nreally"] * 2


def test_standard_input_saved_on_windows_reads_as_lines(small_model, predict_json):
    results, _ = predict_json(small_model, stdin=b"\xef\xbb\xbfa good film\r\nreally\r\n")
    assert [(r["source"], r["review"], r["known_words"]) for r in results] == [
        ("line 1", "a good film", 3),
        ("line 2", "really", 1),
    ]


def test_standard_input_that_is_not_utf8_is_refused_as_a_file_is(small_model, predict_cli):
    result = predict_cli("--model", str(small_model), stdin="a good film\nun film épatant\n"
                         .encode("latin-1"))  # fmt: skip
    assert_clean_error(result, "standard input: not UTF-8 text (byte 0xe9 on line 2)")


def test_a_review_file_longer_than_a_review_may_be(small_model, tmp_path, predict_cli):
    path = tmp_path / "huge.txt"
    path.write_bytes(b"good " * (2**20 // 5 + 1))  # 1,048,580 characters
    result = predict_cli("--model", str(small_model), "--file", str(path))
    assert_clean_error(result, f"{path}: longer than a review may be (1,048,576 characters")
