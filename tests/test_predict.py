"""predict.py: new text is encoded exactly as in training; every bad input is handled."""

import json

import keras
import numpy as np
import pytest
from conftest import assert_clean_error, make_review, run_command

import common


@pytest.fixture(scope="session")
def trained(stanford_dir, tmp_path_factory):
    """lstm_basic trained on the synthetic reviews, whose label the sentiment words decide."""
    output = tmp_path_factory.mktemp("trained")
    result = run_command(
        "lstm_basic.py", "--data", str(stanford_dir), "--output", str(output),
        "--epochs", "4", "--batch-size", "8",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return output / "lstm_basic.keras"


def predict(model, *args, stdin=None):
    result = run_command("predict.py", "--model", str(model), "--json", *args, stdin=stdin)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), result.stderr


def test_positive_words_rank_above_negative_words(trained):
    results, _ = predict(trained, "great wonderful superb moving", "awful boring dreadful tedious")
    positive, negative = (r["probability_positive"] for r in results)
    assert positive > negative
    assert [r["label"] for r in results] == ["positive", "negative"]


def test_encoding_and_probability_match_training(trained, stanford_dir, tmp_path):
    """A raw test review, read from its file, becomes the very sequence training used."""
    model, encoding = common.load_model(trained)
    data = common.load_imdb(str(stanford_dir), 5000, 500)
    assert encoding == data.encoding
    files = sorted((stanford_dir / "test").glob("*/*.txt"))
    shuffle = np.random.RandomState(113)  # shuffles train first, then test, as Keras does
    shuffle.permutation(len(list((stanford_dir / "train").glob("*/*.txt"))))
    test_order = shuffle.permutation(len(files))
    for row in (0, 7):
        review = files[test_order[row]]
        np.testing.assert_array_equal(
            encoding.pad([encoding.encode(review.read_text())])[0], data.x_test[row]
        )
        results, _ = predict(trained, "--file", str(review))
        expected = model.predict(data.x_test[row : row + 1], verbose=0)[0, 0]
        assert results[0]["probability_positive"] == pytest.approx(float(expected), abs=1e-6)


def test_reviews_from_stdin_one_per_line(trained):
    rng = np.random.default_rng(5)
    lines = f"{make_review(True, rng)}\n\n{make_review(False, rng)}\n"
    results, _ = predict(trained, stdin=lines)
    assert [r["source"] for r in results] == ["line 1", "line 3"]  # the blank line is skipped


def test_table_output(trained):
    result = run_command("predict.py", "--model", str(trained), "A superb film")
    assert result.returncode == 0, result.stderr
    header, row = result.stdout.strip().splitlines()
    assert header.split() == ["positive", "label", "review"]
    assert row.endswith("A superb film") and row.split()[1] in ("positive", "negative")


def test_long_review_is_truncated_as_in_training(trained):
    model, encoding = common.load_model(trained)
    text = "great " * 300 + "awful " * 400
    results, warnings = predict(trained, text)
    assert results[0]["truncated"] and results[0]["words"] == 700
    assert "only the last 499 were read" in warnings
    expected = model.predict(encoding.pad([encoding.encode(text)]), verbose=0)[0, 0]
    assert results[0]["probability_positive"] == pytest.approx(float(expected), abs=1e-6)


def test_review_without_known_words_gets_a_warning(trained):
    results, warnings = predict(trained, "zxq qqq vvv")
    assert results[0]["known_words"] == 0
    assert "none of its words is among the model's" in warnings


@pytest.mark.parametrize("review", ["", "   \n\t"])
def test_empty_review(trained, review):
    assert_clean_error(run_command("predict.py", "--model", str(trained), review), "empty")


def test_no_reviews_on_stdin(trained):
    result = run_command("predict.py", "--model", str(trained), stdin="\n  \n")
    assert_clean_error(result, "no reviews given")


def test_file_that_is_not_utf8(trained, tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("un film épatant".encode("latin-1"))
    result = run_command("predict.py", "--model", str(trained), "--file", str(path))
    assert_clean_error(result, "latin1.txt", "not UTF-8")


def test_missing_review_file(trained, tmp_path):
    result = run_command("predict.py", "--model", str(trained), "--file", str(tmp_path / "no.txt"))
    assert_clean_error(result, "no.txt", "cannot read")


def test_missing_model(tmp_path):
    result = run_command("predict.py", "--model", str(tmp_path / "none.keras"), "Great")
    assert_clean_error(result, "none.keras", "no such model file")


def test_file_that_is_not_a_model(tmp_path):
    path = tmp_path / "fake.keras"
    path.write_text("not a model")
    assert_clean_error(run_command("predict.py", "--model", str(path), "Great"), "fake.keras")


def test_model_without_vocabulary(tmp_path):
    model = keras.Sequential([keras.Input((500,)), keras.layers.Dense(1, activation="sigmoid")])
    common.save_model(model, tmp_path / "bare.keras", encoding=None)
    result = run_command("predict.py", "--model", str(tmp_path / "bare.keras"), "Great")
    assert_clean_error(result, "saved without its vocabulary", "cannot encode")
