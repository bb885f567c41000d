"""The four models are exactly the tutorial's, and the three extensions each one change
away from theirs: layers, parameter counts, one training step."""

import importlib

import keras
import numpy as np
import pytest

from imdb_lstm.variants import EXTENSIONS, VARIANTS

# Parameter counts printed by the tutorial's model.summary() for each listing.
TUTORIAL_PARAMETERS = {
    "lstm_basic": 213_301,
    "lstm_dropout_layers": 213_301,
    "lstm_recurrent_dropout": 213_301,
    "cnn_lstm": 216_405,
}
# The extensions' counts, worked out by hand: Dropout layers add no weights; the
# bidirectional LSTM is the embedding's 5,000 x 32 = 160,000, two directions of
# 4 x (100 x (32 + 100) + 100) = 53,200 each, and the Dense's 2 x 100 + 1 = 201; a mask
# adds none.
EXTENSION_PARAMETERS = {
    "cnn_lstm_dropout": 216_405,
    "bidirectional_lstm": 266_601,
    "lstm_masked": 213_301,
}
LAYERS = {
    "lstm_basic": ["Embedding", "LSTM", "Dense"],
    "lstm_dropout_layers": ["Embedding", "Dropout", "LSTM", "Dropout", "Dense"],
    "lstm_recurrent_dropout": ["Embedding", "LSTM", "Dense"],
    "cnn_lstm": ["Embedding", "Conv1D", "MaxPooling1D", "LSTM", "Dense"],
    "cnn_lstm_dropout": [
        *["Embedding", "Dropout", "Conv1D", "MaxPooling1D", "LSTM", "Dropout", "Dense"]
    ],
    "bidirectional_lstm": ["Embedding", "Bidirectional", "Dense"],
    "lstm_masked": ["Embedding", "LSTM", "Dense"],
}
MODULES = {**{v: v for v in VARIANTS}, **{e: f"extensions.{e}" for e in EXTENSIONS}}


@pytest.fixture(params=list(LAYERS))
def variant(request):
    return request.param, importlib.import_module(MODULES[request.param])


def test_parameter_count_matches_the_tutorial(variant):
    name, module = variant
    expected = TUTORIAL_PARAMETERS.get(name) or EXTENSION_PARAMETERS[name]
    assert module.build_model().count_params() == expected


def test_layers_match_the_tutorial(variant):
    name, module = variant
    model = module.build_model()
    assert [type(layer).__name__ for layer in model.layers] == LAYERS[name]
    layers = [getattr(layer, "forward_layer", layer) for layer in model.layers]
    lstm = next(layer for layer in layers if isinstance(layer, keras.layers.LSTM))
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


def test_the_extensions_change_what_they_say():
    masked = importlib.import_module("extensions.lstm_masked").build_model()
    assert (
        masked.layers[0].mask_zero
        and not importlib.import_module("lstm_basic").build_model().layers[0].mask_zero
    )
    bidirectional = importlib.import_module("extensions.bidirectional_lstm").build_model()
    assert bidirectional.layers[1].backward_layer.go_backwards
    dropout = importlib.import_module("extensions.cnn_lstm_dropout").build_model()
    assert [layer.rate for layer in dropout.layers if isinstance(layer, keras.layers.Dropout)] == [
        0.2,
        0.2,
    ]


def test_every_variant_has_its_expectations_here():
    assert list(TUTORIAL_PARAMETERS) == VARIANTS and list(EXTENSION_PARAMETERS) == EXTENSIONS
    assert list(LAYERS) == VARIANTS + EXTENSIONS
