"""On the real Large Movie Review Dataset, when it lies beside the checkout (as in CI).

predict.py must read raw reviews exactly as training encoded them. By default this
trains a small model for a minute; to check a fully trained one instead:

    IMDB_MODEL=results/lstm_basic.keras pytest tests/test_real_data.py
"""

import common

import os
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, SUITE_KERAS_HOME

import lstm_basic
import predict
from imdb_lstm import data as imdb_data
from imdb_lstm.model_files import load_model

ARCHIVE = ROOT.parent / "shared" / "data" / "aclImdb_v1_labeled.tar.gz"
REVIEWS_CHECKED = 200

# The whole real data set: in make test-slow, where it lies.
pytestmark = [
    pytest.mark.skipif(not ARCHIVE.exists(), reason=f"no real data at {ARCHIVE}"),
    pytest.mark.slow,
]


@pytest.fixture(autouse=True)
def suite_keras_home(monkeypatch):
    """The suite's Keras cache, not a test's own: the 50,000 reviews are encoded once."""
    monkeypatch.setenv("KERAS_HOME", str(SUITE_KERAS_HOME))


@pytest.fixture(scope="module")
def model_path(tmp_path_factory) -> Path:
    """A small lstm_basic trained in-process (or IMDB_MODEL, a fully trained one)."""
    if os.environ.get("IMDB_MODEL"):
        return Path(os.environ["IMDB_MODEL"])
    output = tmp_path_factory.mktemp("real")
    flags = ["--data", str(ARCHIVE), "--output", str(output), "--epochs", "1"]
    lstm_basic.main([*flags, "--max-samples", "1000"])
    return output / "lstm_basic.keras"


def raw_test_reviews(count: int) -> list[tuple[str, str]]:
    """The first `count` test reviews as raw text, in the order training shuffled them."""
    reviews = imdb_data._read_tarball(ARCHIVE)
    texts = {split: tuple(zip(*reviews[split], strict=True)) for split in ("train", "test")}
    _, (test, _) = imdb_data.keras_shuffle(texts["train"], texts["test"])
    return [(f"test review {i}", text) for i, text in enumerate(test[:count])]


def test_predict_on_raw_reviews_agrees_with_the_encoded_test_set(model_path):
    model, encoding = load_model(model_path)
    data = common.load_imdb(str(ARCHIVE), encoding.num_words, encoding.maxlen, REVIEWS_CHECKED)
    expected = model.predict(data.x_test, verbose=0)[:, 0]
    results = predict.classify(model, encoding, raw_test_reviews(REVIEWS_CHECKED))
    labels = [r["label"] == "positive" for r in results]
    assert labels == list(expected >= 0.5)
    probabilities = [r["probability_positive"] for r in results]
    np.testing.assert_allclose(probabilities, expected, atol=1e-6)
