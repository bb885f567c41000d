"""The tutorial's four listings, as this project's scripts, with the test accuracy the
tutorial published for each. The one list of variants: the tools, the tests and the
Makefile (`python3 -m imdb_lstm.variants`) all take it from here."""

TUTORIAL_ACCURACY = {
    "lstm_basic": 0.8679,
    "lstm_dropout_layers": 0.8556,
    "lstm_recurrent_dropout": 0.8282,
    "cnn_lstm": 0.8636,
}
# Each variant's fastest full-data epoch in seconds (docs/results/seeds/SEEDS.md): make
# run-all starts the longest runs first, so the runs going at once finish together.
EPOCH_SECONDS = {
    "lstm_basic": 140,
    "lstm_dropout_layers": 129,
    "lstm_recurrent_dropout": 216,
    "cnn_lstm": 76,
}
VARIANTS = list(TUTORIAL_ACCURACY)  # in the tutorial's order
SCRIPTS = [f"{variant}.py" for variant in VARIANTS]

if __name__ == "__main__":
    print(" ".join(SCRIPTS))
