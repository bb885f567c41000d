"""The tutorial's four listings, as this project's scripts, with the test accuracy the
tutorial published for each, and the extensions that test what the tutorial left open.
The one list of variants: the tools, the tests and the Makefile
(`python3 -m imdb_lstm.variants [--extensions]`) all take it from here."""

import sys

TUTORIAL_ACCURACY = {
    "lstm_basic": 0.8679,
    "lstm_dropout_layers": 0.8556,
    "lstm_recurrent_dropout": 0.8282,
    "cnn_lstm": 0.8636,
}
VARIANTS = list(TUTORIAL_ACCURACY)  # in the tutorial's order
SCRIPTS = [f"{variant}.py" for variant in VARIANTS]

# extensions/: each is one of the four with one change in its model lines.
EXTENDS = {
    "cnn_lstm_dropout": "cnn_lstm",  # listing 2's Dropout layers in listing 4
    "bidirectional_lstm": "lstm_basic",  # reads each review both ways
    "lstm_masked": "lstm_basic",  # skips the padding (mask_zero=True)
}
EXTENSIONS = list(EXTENDS)
EXTENSION_SCRIPTS = [f"extensions/{name}.py" for name in EXTENSIONS]

# The models XLA trains faster than Keras's default on a CPU-only TensorFlow machine, so
# common.Run compiles them with it. make bench, median ms a training step without / with
# XLA (docs/results/bench/bench.json, 2-core Intel Xeon): lstm_basic 165.4 / 241.9,
# lstm_dropout_layers 175.4 / 513.6, lstm_recurrent_dropout 387.8 / 247.6, cnn_lstm
# 121.8 / 156.1. The extensions keep Keras's default, as the models they extend; their
# bench (docs/results/extensions/bench.json, beside a training run, so noisy) had XLA
# slower for cnn_lstm_dropout (851.1 against 170.0), even for bidirectional_lstm, and
# faster for lstm_masked (317.6 against 393.3), whose sweep was made without it.
XLA_FASTER_ON_CPU = {"lstm_recurrent_dropout"}

# Each variant's fastest full-data epoch in seconds (docs/results/seeds/SEEDS.md,
# docs/results/extensions/SEEDS.md): make run-all starts the longest runs first, so the
# runs going at once finish together.
EPOCH_SECONDS = {
    "lstm_basic": 140,
    "lstm_dropout_layers": 129,
    "lstm_recurrent_dropout": 216,
    "cnn_lstm": 76,
    "cnn_lstm_dropout": 53,
    "bidirectional_lstm": 196,
    "lstm_masked": 118,
}

if __name__ == "__main__":
    print(" ".join(SCRIPTS + (EXTENSION_SCRIPTS if "--extensions" in sys.argv else [])))
