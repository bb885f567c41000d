"""Keras's tokenizer and index conventions, with expectations written out by hand."""

import numpy as np
import pytest

from imdb_lstm.encoding import (
    TextEncoding,
    build_encoding,
    keras_word_index_encoding,
    tokenize,
)
from imdb_lstm.errors import UserError


@pytest.mark.parametrize(
    "text, words",
    [
        ("Don't miss it!<br /><br />10/10", ["don't", "miss", "it", "br", "br", "10", "10"]),
        (
            "It's GREAT!<br/>Really, it's great...",
            ["it's", "great", "br", "really", "it's", "great"],
        ),
        (
            'A "so-so" film (2/5); see: imdb.com',
            ["a", "so", "so", "film", "2", "5", "see", "imdb", "com"],
        ),
        ("tab\tand\nnewline", ["tab", "and", "newline"]),
        ("Café — naïve", ["café", "—", "naïve"]),  # only ASCII punctuation is removed
        ("   \n\t ", []),
    ],
)
def test_tokenize_splits_as_keras_text_to_word_sequence(text, words):
    assert tokenize(text) == words


def test_words_are_ranked_by_training_frequency_from_index_4():
    encoding = build_encoding(["the cat the dog", "the cat bird"], num_words=7, maxlen=10)
    # the: 3 times, cat: 2, bird and dog: once each (ties alphabetical); 7 is not < num_words
    assert encoding.word_index == {"the": 4, "cat": 5, "bird": 6}


def test_encoding_marks_start_and_out_of_vocabulary_words():
    encoding = build_encoding(["the cat the dog", "the cat bird"], num_words=7, maxlen=10)
    # "br" is a word of its own; dog is rare (rank 7 >= num_words); zebra never seen.
    assert encoding.encode("The<br />dog, CAT! zebra").tolist() == [1, 4, 2, 2, 5, 2]


def test_padding_and_truncation_happen_at_the_start():
    encoding = TextEncoding({"a": 4}, num_words=10, maxlen=4)
    padded = encoding.pad([np.array([1, 4]), np.array([1, 4, 5, 6, 7, 8])])
    assert padded.tolist() == [[0, 0, 1, 4], [5, 6, 7, 8]]
    assert padded.dtype == np.int32


def test_keras_word_index_is_shifted_by_three():
    ranks = {"the": 1, "and": 2, "a": 3, "great": 10, "rare": 4997}
    encoding = keras_word_index_encoding(ranks, num_words=5000, maxlen=500)
    assert encoding.word_index == {"the": 4, "and": 5, "a": 6, "great": 13}
    assert encoding.encode("The great unknown").tolist() == [1, 4, 13, 2]


def test_saved_vocabulary_names_its_tokenizer_and_an_older_one_is_refused():
    saved = TextEncoding({"br": 4, "don't": 5}, num_words=10, maxlen=8).to_json()
    assert saved["tokenizer"] == "keras-text_to_word_sequence"
    assert TextEncoding.from_json(saved).word_index == {"br": 4, "don't": 5}
    del saved["tokenizer"]  # as saved before the tokenizer was Keras's
    with pytest.raises(UserError, match="older tokenizer.*train it again"):
        TextEncoding.from_json(saved)
