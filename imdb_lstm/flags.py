"""The flags every tutorial script takes, with the tutorial's settings as defaults."""

import argparse
import os

from imdb_lstm.cli import positive_int, seed_number, title


def parse_args(doc: str | None, argv: list[str] | None = None) -> argparse.Namespace:
    """The flags every tutorial script takes; the defaults are the tutorial's."""
    parser = argparse.ArgumentParser(description=title(doc))
    parser.add_argument(
        "--epochs",
        type=positive_int,
        default=3,
        metavar="N",
        help="training epochs (default: %(default)s)",
    )
    parser.add_argument(
        "--batch-size",
        type=positive_int,
        default=64,
        metavar="N",
        help="reviews per training step (default: %(default)s)",
    )
    parser.add_argument(
        "--seed",
        type=seed_number,
        default=7,
        metavar="N",
        help="random seed (default: %(default)s)",
    )
    parser.add_argument(
        "--data",
        default=os.environ.get("IMDB_DATA"),
        metavar="PATH",
        help="a local imdb.npz, aclImdb/ directory, aclImdb_v1.tar.gz, or a CSV file of "
        "your own reviews (.csv or .csv.gz, see the README); also the IMDB_DATA "
        "environment variable (default: download keras.datasets.imdb)",
    )
    parser.add_argument(
        "--max-samples",
        type=positive_int,
        metavar="N",
        help="use only the first N train and N test reviews, for quick runs "
        "(default: all 25,000 of each)",
    )
    parser.add_argument(
        "--output",
        default="results",
        metavar="DIR",
        help="folder for the results JSON and the trained model (default: %(default)s)",
    )
    parser.add_argument(
        "--restart",
        action="store_true",
        help="throw away the checkpoint of an interrupted run (<output>/<script>.backup) "
        "and train from the first epoch (default: resume from it)",
    )
    parser.add_argument(
        "--progress",
        metavar="FILE",
        help="also append the training's progress to FILE as JSON lines, for make "
        "run-all to show (default: none)",
    )
    parser.add_argument(
        "--tutorial-defaults",
        action="store_true",
        help="compile and evaluate exactly as the tutorial's listing does (Keras's "
        "default jit_compile, evaluate's default batch size), to time the project against it",
    )
    return parser.parse_args(argv)
