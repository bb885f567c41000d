"""
Title: LSTM that skips the padding, for IMDB movie-review classification
Extends: the tutorial's simple LSTM (listing 1). The tutorial pads every review with
zeros at its start to 500 words, and the LSTM reads those zeros too.
Description: the Embedding marks index 0 as padding (mask_zero=True) and the LSTM
skips those steps, starting on each review's first real word.
Result: measured over 5 seeds in docs/results/extensions/SEEDS.md.
"""

import common  # first: it loads Keras without TensorFlow's start-up notices

import keras

# Data
TOP_WORDS = 5000  # keep the 5,000 most frequent words; the rest become "unknown"
MAX_REVIEW_LENGTH = 500  # pad or cut every review to 500 words
# Model
EMBEDDING_VECTOR_LENGTH = 32


def build_model() -> keras.Model:
    return keras.Sequential(
        [
            keras.Input(shape=(MAX_REVIEW_LENGTH,)),
            # Each word index becomes a learned 32-dimensional vector.
            # mask_zero: index 0 is padding, which the LSTM skips.
            keras.layers.Embedding(TOP_WORDS, EMBEDDING_VECTOR_LENGTH, mask_zero=True),
            # 100 memory units read the review in order and summarise it.
            keras.layers.LSTM(100),
            # One probability: is the review positive?
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )


def compile_model(model: keras.Model, jit_compile: bool | str) -> None:
    """The tutorial's training set-up; tools/bench.py times the model compiled here."""
    model.compile(
        loss="binary_crossentropy",
        optimizer="adam",
        metrics=["accuracy"],
        jit_compile=jit_compile,
    )


# On CPU, XLA trained this model no faster (bench.py), so Keras's default stays.
XLA_FASTER_ON_CPU = False


def main(argv: list[str] | None = None) -> None:
    args = common.parse_args(__doc__, argv)
    common.set_seed(args.seed)
    data = common.load_imdb(args.data, TOP_WORDS, MAX_REVIEW_LENGTH, args.max_samples)

    model = build_model()
    compile_model(model, common.jit_compile(XLA_FASTER_ON_CPU, args))
    model.summary()

    # Logs and times each epoch; an interrupted run resumes from its last finished one.
    training = common.Training(__file__, args, data)
    model.fit(
        training.shuffled_batches(data.x_train, data.y_train),
        epochs=args.epochs,
        callbacks=training.callbacks,
    )
    loss, accuracy = model.evaluate(
        data.x_test,
        data.y_test,
        batch_size=common.eval_batch_size(args),
        verbose=0,
        callbacks=training.callbacks,
    )
    common.save_run(__file__, args, model, data, training, loss, accuracy)
    print(f"Accuracy: {accuracy * 100:.2f}%")


if __name__ == "__main__":
    common.run(main)
