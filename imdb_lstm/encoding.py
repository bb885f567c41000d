"""How text becomes model input, the way keras.datasets.imdb encoded its reviews.

One tokenizer for training and for predict.py: Keras's `text_to_word_sequence`, which
built the keras.datasets.imdb vocabulary. Words are ranked by frequency; the most
frequent gets index 4, since 0, 1 and 2 are reserved and Keras starts at index_from=3.
"""

from __future__ import annotations

import collections
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np

from imdb_lstm.errors import UserError

PAD_INDEX = 0  # padding
START_INDEX = 1  # marks the start of every review
OOV_INDEX = 2  # a word outside the kept vocabulary
INDEX_FROM = 3  # the most frequent word gets INDEX_FROM + 1

# These characters (all ASCII punctuation but the apostrophe, plus tab and newline)
# become spaces, as in text_to_word_sequence's default filters.
KERAS_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'
TOKENIZER = "keras-text_to_word_sequence"  # saved with each model's vocabulary
# How the numbers are laid out, saved with each vocabulary; one that says otherwise is refused.
CONVENTIONS = {
    "tokenizer": TOKENIZER,
    "pad_index": PAD_INDEX,
    "start_index": START_INDEX,
    "oov_index": OOV_INDEX,
    "index_from": INDEX_FROM,
    "padding": "pre",
    "truncating": "pre",
}
# Bounds on a stored vocabulary's numbers (the scripts keep 5,000 words and pad to 500):
# a hostile maxlen would make padding one review allocate gigabytes.
MAX_NUM_WORDS = 1_000_000
MAX_MAXLEN = 10_000
_TO_SPACES = str.maketrans(dict.fromkeys(KERAS_FILTERS, " "))


def tokenize(text: str) -> list[str]:
    """Lower-cases, turns punctuation into spaces and splits on spaces, as Keras did:
    "<br />" becomes the word "br", "don't" stays one word."""
    return [word for word in text.lower().translate(_TO_SPACES).split(" ") if word]


def pad_reviews(sequences: list[np.ndarray], maxlen: int) -> np.ndarray:
    """Pads and truncates at the start, as keras.utils.pad_sequences does by default."""
    return keras.utils.pad_sequences(sequences, maxlen=maxlen, value=PAD_INDEX)


@dataclass(frozen=True)
class TextEncoding:
    """How reviews become model input: the kept words and Keras's index conventions."""

    word_index: dict[str, int]  # word -> index, only indices below num_words
    num_words: int
    maxlen: int

    def encode(self, text: str) -> np.ndarray:
        """START, then each word's index (OOV for words outside the vocabulary)."""
        return np.array([START_INDEX, *self.indices(tokenize(text))], dtype=np.int32)

    def indices(self, words: list[str]) -> list[int]:
        """Each word's index, OOV_INDEX for a word outside the vocabulary."""
        return [self.word_index.get(word, OOV_INDEX) for word in words]

    def words_cut(self, words: int) -> int:
        """How many of a review's first words padding cuts: it keeps the last maxlen
        numbers, and the start marker, before the words, goes first."""
        return max(0, words - self.maxlen)

    def pad(self, sequences: list[np.ndarray]) -> np.ndarray:
        return pad_reviews(sequences, self.maxlen)

    def to_json(self) -> dict[str, Any]:
        return {
            "num_words": self.num_words,
            "maxlen": self.maxlen,
            **CONVENTIONS,
            "word_index": self.word_index,
        }

    @classmethod
    def from_json(cls, data: Any) -> TextEncoding:
        """The encoding `to_json` wrote; ValueError, saying what is wrong, for any other
        value (a model file's vocabulary may come from anyone)."""
        if not isinstance(data, dict):
            raise ValueError(f"a JSON {type(data).__name__}, not an object")
        if data.get("tokenizer") != TOKENIZER:
            raise UserError(
                "this model's vocabulary was built with an older tokenizer than the one "
                "predict.py uses; train it again with this version"
            )
        num_words = _whole_number(data, "num_words", INDEX_FROM + 2, MAX_NUM_WORDS)
        maxlen = _whole_number(data, "maxlen", 1, MAX_MAXLEN)
        other = [name for name, value in CONVENTIONS.items() if data.get(name) != value]
        if other:
            raise ValueError(f"other conventions than predict.py's ({', '.join(other)})")
        if "word_index" not in data:
            raise ValueError("no word_index")
        return cls(_word_index(data["word_index"], num_words), num_words, maxlen)


def _whole_number(data: dict[str, Any], name: str, least: int, most: int) -> int:
    value = data.get(name)
    if type(value) is not int or not least <= value <= most:
        raise ValueError(f"{name} should be a whole number from {least:,} to {most:,}: {value!r}")
    return value


def _word_index(word_index: Any, num_words: int) -> dict[str, int]:
    """word -> index, every index a whole number above INDEX_FROM and below num_words."""
    if not isinstance(word_index, dict):
        raise ValueError(f"word_index is a JSON {type(word_index).__name__}, not an object")
    for word, index in word_index.items():
        if type(index) is not int or not INDEX_FROM < index < num_words:
            raise ValueError(
                f"word_index gives {word!r} the index {index!r}, not a whole number from "
                f"{INDEX_FROM + 1} to {num_words - 1}"
            )
    return word_index


def ranked_word_index(words_in_rank_order: Iterable[str], num_words: int) -> dict[str, int]:
    """Maps the most frequent word to INDEX_FROM + 1, the next to + 2, ... below num_words."""
    index = {}
    for rank, word in enumerate(words_in_rank_order, start=INDEX_FROM + 1):
        if rank >= num_words:
            break
        index[word] = rank
    return index


def build_encoding(train_texts: list[str], num_words: int, maxlen: int) -> TextEncoding:
    """Ranks words by frequency in the training reviews only (ties: alphabetical)."""
    counts: collections.Counter[str] = collections.Counter()
    for text in train_texts:
        counts.update(tokenize(text))
    ranked = sorted(counts, key=lambda word: (-counts[word], word))
    return TextEncoding(ranked_word_index(ranked, num_words), num_words, maxlen)


def keras_word_index_encoding(
    word_index: dict[str, int], num_words: int, maxlen: int
) -> TextEncoding:
    """keras.datasets.imdb.get_word_index() (ranks from 1), shifted as load_data shifts
    the reviews, keeping the indices below num_words."""
    shifted = {word: rank + INDEX_FROM for word, rank in word_index.items()}
    return TextEncoding(
        {word: index for word, index in shifted.items() if index < num_words}, num_words, maxlen
    )
