"""The tutorial's four listings, as this project's scripts, with the test accuracy the
tutorial published for each, and the extensions that test what the tutorial left open.
The one list of variants: the tools, the tests and the Makefile
(`python3 -m imdb_lstm.variants [--extensions]`) all take it from here."""

import json
import sys

from imdb_lstm.paths import CHECKOUT

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
# common.Run compiles them with it: measured by make bench, docs/speed.md for the four,
# docs/extensions.md for the extensions (which keep Keras's default, as the models they
# extend).
XLA_FASTER_ON_CPU = {"lstm_recurrent_dropout"}

# The committed full-data sweeps (docs/results/<sweep>/<seed>/<variant>.json) of each.
SWEEPS = {**dict.fromkeys(VARIANTS, "seeds"), **dict.fromkeys(EXTENSIONS, "extensions")}


def fastest_epoch_seconds() -> dict[str, float]:
    """Each variant's fastest epoch in its committed sweep: make run-all starts the
    longest runs first, so that the runs going at once finish together."""
    fastest = {}
    for variant, sweep in SWEEPS.items():
        runs = (CHECKOUT / "docs" / "results").glob(f"{sweep}/*/{variant}.json")
        epochs = [min(json.loads(path.read_text())["epoch_seconds"]) for path in runs]
        if epochs:
            fastest[variant] = min(epochs)
    return fastest


if __name__ == "__main__":
    print(" ".join(SCRIPTS + (EXTENSION_SCRIPTS if "--extensions" in sys.argv else [])))
