"""A model file is something readers download and share: whatever it holds, predict.py
reads a bounded amount of it, checks its vocabulary's values, and refuses with one line
(docs/model-files.md). Every hostile file here is built by the test itself."""

import json
import zipfile

import keras
import pytest
from conftest import assert_clean_error, refusal_in_child, run_command

from imdb_lstm.encoding import TextEncoding
from imdb_lstm.errors import UserError
from imdb_lstm.model_files import ENCODING_ENTRY, load_model, save_model

WORDS = {"a": 4, "good": 5, "film": 6}


def small_model(maxlen: int = 8, input_dim: int = 9) -> keras.Model:
    return keras.Sequential(
        [
            keras.Input((maxlen,)),
            keras.layers.Embedding(input_dim, 2),
            keras.layers.Flatten(),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )


def with_vocabulary(path, vocabulary: bytes):
    """A model file whose vocabulary entry holds `vocabulary`, as written."""
    save_model(small_model(), path, None)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr(ENCODING_ENTRY, vocabulary)
    return path


def vocabulary_json(**changes) -> bytes:
    data = TextEncoding(WORDS, num_words=9, maxlen=8).to_json()
    return json.dumps({**data, **changes}).encode()


def refusal(path) -> str:
    with pytest.raises(UserError) as error:
        load_model(path)
    return str(error.value)


# --- 1. bounded reading --------------------------------------------------------------

# Read in a child of bounded memory (conftest.refusal_in_child) with this much headroom.
MEMORY_HEADROOM_MB = 300
BOMB_MB = 400  # the vocabulary entry unpacks to this much, from under 0.5 MB


def test_a_vocabulary_that_unpacks_to_hundreds_of_megabytes_is_refused_unread(tmp_path):
    path = tmp_path / "bomb.keras"
    save_model(small_model(), path, None)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        with archive.open(ENCODING_ENTRY, "w", force_zip64=True) as entry:
            for _ in range(BOMB_MB):
                entry.write(b" " * 2**20)
            entry.write(b"{}")
    assert path.stat().st_size < 2**20
    printed = refusal_in_child("imdb_lstm.model_files", "read_vocabulary", path, MEMORY_HEADROOM_MB)
    assert f"its vocabulary unpacks to {BOMB_MB * 2**20 + 2:,} bytes" in printed


def test_an_archive_of_too_many_bytes_is_refused_before_keras_reads_it(tmp_path):
    path = tmp_path / "big.keras"
    save_model(small_model(), path, None)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("assets/padding.bin", b"\0" * (129 * 2**20))
    assert "more than a model file may (64 files, 134,217,728 bytes)" in refusal(path)


@pytest.mark.parametrize(
    "changes, expected",
    [
        ({"maxlen": 10**9}, "maxlen should be a whole number from 1 to 10,000: 1000000000"),
        ({"maxlen": "500"}, "maxlen should be a whole number from 1 to 10,000: '500'"),
        (
            {"num_words": 10**12},
            "num_words should be a whole number from 5 to 1,000,000: 1000000000000",
        ),
        ({"num_words": 4.5}, "num_words should be a whole number from 5 to 1,000,000: 4.5"),
    ],
)
def test_numbers_that_would_make_padding_allocate_gigabytes_are_refused(
    tmp_path, changes, expected
):
    message = refusal(with_vocabulary(tmp_path / "m.keras", vocabulary_json(**changes)))
    assert message == f"{tmp_path / 'm.keras'}: its vocabulary is damaged ({expected})"


# --- 7. damaged vocabularies and other models -------------------------------------------


@pytest.mark.parametrize(
    "vocabulary, expected",
    [
        (b"[]", "a JSON list, not an object"),
        (b'["a", 4]', "a JSON list, not an object"),
        (b"not json", "not a readable .keras model"),
        (vocabulary_json(word_index=["a", "good"]), "word_index is a JSON list"),
        (vocabulary_json(word_index={"a": "4"}), "gives 'a' the index '4', not a whole number"),
        (vocabulary_json(word_index={"a": 4.0}), "gives 'a' the index 4.0, not a whole number"),
        (vocabulary_json(word_index={"a": 0}), "gives 'a' the index 0, not a whole number from 4"),
        (
            vocabulary_json(word_index={"a": 9}),
            "gives 'a' the index 9, not a whole number from 4 to 8",
        ),
        (vocabulary_json(index_from=0), "other conventions than predict.py's (index_from)"),
    ],
)
def test_a_damaged_vocabulary_is_one_line(tmp_path, vocabulary, expected):
    path = with_vocabulary(tmp_path / "m.keras", vocabulary)
    assert expected in refusal(path)


def test_a_vocabulary_without_word_index_is_one_line(tmp_path):
    data = TextEncoding(WORDS, num_words=9, maxlen=8).to_json()
    del data["word_index"]
    path = with_vocabulary(tmp_path / "m.keras", json.dumps(data).encode())
    assert refusal(path).endswith("its vocabulary is damaged (no word_index)")


class Doubling(keras.layers.Layer):
    """A custom layer: Keras cannot rebuild it from the file without this code."""

    def call(self, x):
        return 2 * x


@pytest.mark.parametrize(
    "model, expected",
    [
        (
            keras.Sequential([keras.Input((8,)), Doubling(), keras.layers.Dense(1)]),
            "not a .keras model Keras can load (",
        ),
        (
            small_model(maxlen=100),
            "the model reads 100 words a review, its vocabulary pads them to 8",
        ),
        (
            small_model(input_dim=5),
            "its vocabulary numbers words up to 8, its Embedding only up to 4",
        ),
        (
            keras.Sequential([keras.Input((8,)), keras.layers.Dense(3)]),
            "not a review classifier: it should take one sequence of word indices and give "
            "one probability, but its inputs and outputs are [(None, 8), (None, 3)]",
        ),
    ],
)
def test_another_model_carrying_a_vocabulary_is_one_line(tmp_path, model, expected):
    path = tmp_path / "other.keras"
    save_model(model, path, TextEncoding(WORDS, num_words=9, maxlen=8))
    assert expected in refusal(path)


# --- 12. a directory as the model ---------------------------------------------------------


def test_a_directory_given_as_the_model_is_called_a_directory(tmp_path):
    result = run_command("predict.py", "--model", str(tmp_path), "a good film")
    assert_clean_error(result, f"{tmp_path}: a directory, not a model file")
