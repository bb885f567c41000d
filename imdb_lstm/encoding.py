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
        indices = [self.word_index.get(word, OOV_INDEX) for word in tokenize(text)]
        return np.array([START_INDEX, *indices], dtype=np.int32)

    def pad(self, sequences: list[np.ndarray]) -> np.ndarray:
        return pad_reviews(sequences, self.maxlen)

    def to_json(self) -> dict[str, Any]:
        return {
            "num_words": self.num_words,
            "maxlen": self.maxlen,
            "tokenizer": TOKENIZER,
            "pad_index": PAD_INDEX,
            "start_index": START_INDEX,
            "oov_index": OOV_INDEX,
            "index_from": INDEX_FROM,
            "padding": "pre",
            "truncating": "pre",
            "word_index": self.word_index,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TextEncoding:
        if data.get("tokenizer") != TOKENIZER:
            raise UserError(
                "this model's vocabulary was built with an older tokenizer than the one "
                "predict.py uses; train it again with this version"
            )
        return cls(
            {w: int(i) for w, i in data["word_index"].items()},
            data["num_words"],
            data["maxlen"],
        )


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
