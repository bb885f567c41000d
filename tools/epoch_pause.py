"""
Title: Time the pause before each training epoch, with Keras's pipeline for arrays and
with the project's
Description: trains the XLA model (lstm_recurrent_dropout) for a few epochs and records,
per epoch, the seconds from the epoch's start to its first training step and the
epoch's length. With Keras's own tf.data pipeline for NumPy arrays (what
`model.fit(x, y, batch_size=...)` builds), the second epoch used to start with a pause
that grew with the data; common.shuffled_batches turns tf.data's autotuning off.

    python -m tools.epoch_pause --data aclImdb_v1.tar.gz --pipeline keras-arrays
"""

import common

import argparse
import time
from pathlib import Path

import keras

import lstm_recurrent_dropout as variant
from imdb_lstm import files, machine
from imdb_lstm.cli import positive_int, title


class EpochStarts(keras.callbacks.Callback):
    """Seconds from each epoch's start to its first step, and each epoch's length."""

    def __init__(self) -> None:
        super().__init__()
        self.pauses: list[float] = []
        self.epochs: list[float] = []

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.start = time.perf_counter()
        self.waiting = True

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        if self.waiting:
            self.pauses.append(time.perf_counter() - self.start)
            self.waiting = False

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.epochs.append(time.perf_counter() - self.start)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=title(__doc__))
    parser.add_argument("--data", required=True, metavar="PATH", help="as for the scripts")
    parser.add_argument(
        "--pipeline",
        choices=["keras-arrays", "project"],
        default="project",
        help="Keras's pipeline for arrays, or common.shuffled_batches (default: %(default)s)",
    )
    parser.add_argument(
        "--epochs", type=positive_int, default=2, metavar="N", help="(default: %(default)s)"
    )
    parser.add_argument(
        "--max-samples", type=positive_int, metavar="N", help="(default: all reviews)"
    )
    parser.add_argument("--output", default="results", metavar="DIR", help="(default: %(default)s)")
    args = parser.parse_args(argv)
    script = common.parse_args(None, [])  # the scripts' seed and batch size
    common.set_seed(script.seed)
    data = common.load_imdb(
        args.data, variant.TOP_WORDS, variant.MAX_REVIEW_LENGTH, args.max_samples
    )
    model = variant.build_model()
    variant.compile_model(model, jit_compile=True)
    starts = EpochStarts()
    x, y, batch_size = data.x_train, data.y_train, script.batch_size
    if args.pipeline == "keras-arrays":
        fit_data = {"x": x, "y": y, "batch_size": batch_size}
    else:
        fit_data = {"x": common.shuffled_batches(x, y, batch_size, script.seed)}
    model.fit(**fit_data, epochs=args.epochs, callbacks=[starts], verbose=0)
    for epoch, (pause, seconds) in enumerate(
        zip(starts.pauses, starts.epochs, strict=True), start=1
    ):
        print(f"epoch {epoch}: first step after {pause:.1f} s, epoch {seconds:.1f} s")
    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    files.write_json(
        output / f"{args.pipeline}-{len(data.y_train)}-reviews.json",
        {
            "pipeline": args.pipeline,
            "variant": "lstm_recurrent_dropout",
            "jit_compile": True,
            "train_reviews": len(data.y_train),
            "seconds_to_first_step": starts.pauses,
            "epoch_seconds": starts.epochs,
            "machine": machine.machine_description(),
            "versions": machine.versions(),
        },
    )


if __name__ == "__main__":
    common.run(main)
