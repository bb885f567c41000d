"""The four models are exactly the tutorial's: layers, parameter counts, one training step."""

import importlib

import keras
import numpy as np
import pytest

from imdb_lstm.variants import VARIANTS

# Parameter counts printed by the tutorial's model.summary() for each listing.
TUTORIAL_PARAMETERS = {
    "lstm_basic": 213_301,
    "lstm_dropout_layers": 213_301,
    "lstm_recurrent_dropout": 213_301,
    "cnn_lstm": 216_405,
}
LAYERS = {
    "lstm_basic": ["Embedding", "LSTM", "Dense"],
    "lstm_dropout_layers": ["Embedding", "Dropout", "LSTM", "Dropout", "Dense"],
    "lstm_recurrent_dropout": ["Embedding", "LSTM", "Dense"],
    "cnn_lstm": ["Embedding", "Conv1D", "MaxPooling1D", "LSTM", "Dense"],
}


@pytest.fixture(params=list(TUTORIAL_PARAMETERS))
def variant(request):
    return request.param, importlib.import_module(request.param)


def test_parameter_count_matches_the_tutorial(variant):
    name, module = variant
    assert module.build_model().count_params() == TUTORIAL_PARAMETERS[name]


def test_layers_match_the_tutorial(variant):
    name, module = variant
    model = module.build_model()
    assert [type(layer).__name__ for layer in model.layers] == LAYERS[name]
    lstm = next(layer for layer in model.layers if isinstance(layer, keras.layers.LSTM))
    assert lstm.units == 100
    expected_dropout = 0.2 if name == "lstm_recurrent_dropout" else 0.0
    assert (lstm.dropout, lstm.recurrent_dropout) == (expected_dropout, expected_dropout)
    assert model.layers[-1].activation is keras.activations.sigmoid


def test_one_training_step_changes_every_weight_and_keeps_the_shape(variant):
    _, module = variant
    keras.utils.set_random_seed(0)
    model = module.build_model()
    model.compile(loss="binary_crossentropy", optimizer="adam")
    reviews = np.random.default_rng(0).integers(1, 5000, size=(4, 500))
    labels = np.array([0, 1, 0, 1])
    before = [w.copy() for w in model.get_weights()]
    model.train_on_batch(reviews, labels)
    assert model.predict(reviews, verbose=0).shape == (4, 1)
    for old, new in zip(before, model.get_weights(), strict=True):
        assert not np.array_equal(old, new)


def test_cnn_halves_the_sequence_before_the_lstm():
    cnn = importlib.import_module("cnn_lstm").build_model()
    lstm = next(layer for layer in cnn.layers if isinstance(layer, keras.layers.LSTM))
    assert lstm.input.shape[1:] == (250, 32)


def test_every_variant_has_its_expectations_here():
    assert list(TUTORIAL_PARAMETERS) == list(LAYERS) == VARIANTS
