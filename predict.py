"""
Title: Classify your own movie reviews with a trained model
Description: loads a model saved by one of the four scripts (results/<variant>.keras),
encodes each review exactly as the training reviews were encoded (same tokenizer,
same vocabulary, same 500-word padding) and prints the probability that it is
positive. Reviews come as arguments, from --file, or from standard input, one a line;
or --csv labels every row of a CSV file (text column review or text, or --column),
writing the rows to --output with probability_positive and label added, and prints the
accuracy when the file also has a sentiment or label column.

    python predict.py "A wonderful, moving film." --file my_review.txt
    python predict.py --model results/cnn_lstm.keras --json < reviews.txt
    python predict.py --model results/cnn_lstm.keras --csv reviews.csv --output labeled.csv
"""

import common

import argparse
import json
import sys
from pathlib import Path

import keras
import numpy as np

from imdb_lstm import csv_reviews, files, text_files
from imdb_lstm.cli import title
from imdb_lstm.encoding import OOV_INDEX, TextEncoding
from imdb_lstm.errors import UserError
from imdb_lstm.model_files import load_model

PREVIEW_CHARACTERS = 60
CSV_BATCH_ROWS = 500  # rows encoded and predicted at a time, as evaluation's batch size


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=title(__doc__))
    parser.add_argument("reviews", nargs="*", metavar="REVIEW", help="review text")
    parser.add_argument(
        "--model",
        default="results/lstm_basic.keras",
        metavar="PATH",
        help="a model saved by one of the scripts (default: %(default)s)",
    )
    parser.add_argument(
        "--file",
        action="append",
        default=[],
        metavar="PATH",
        help="read one review from this UTF-8 text file (at most "
        f"{text_files.REVIEW_LIMIT}); may be repeated",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--csv",
        metavar="PATH",
        help="label every row of this CSV file (.csv or .csv.gz, with a header row), "
        "instead of reviews given otherwise",
    )
    parser.add_argument(
        "--output",
        metavar="PATH",
        help="with --csv: the CSV file to write, the input's columns followed by "
        "probability_positive and label",
    )
    parser.add_argument(
        "--column",
        metavar="NAME",
        help="with --csv: the column holding the reviews (default: review or text)",
    )
    return parser.parse_args(argv)


def check_csv_flags(args: argparse.Namespace) -> None:
    """--csv and --output go together, and alone: one way of giving reviews at a time."""
    if args.csv is None:
        if args.output or args.column:
            raise UserError("--output and --column go with --csv")
        return
    if args.reviews or args.file or args.json:
        raise UserError("--csv labels a file: give no reviews, --file or --json with it")
    if args.output is None:
        raise UserError("--csv needs --output, the file to write the labeled rows to")
    if Path(args.output).resolve() == Path(args.csv).resolve():
        raise UserError(f"{args.output}: --output must not be the --csv file it reads")
    files.check_replaceable(Path(args.output))  # before the model loads and labels


def read_reviews(args: argparse.Namespace) -> list[tuple[str, str]]:
    """(where it came from, text) for each review; standard input when none is given."""
    reviews = [(f"argument {i}", text) for i, text in enumerate(args.reviews, start=1)]
    reviews += [(name, text_files.read_review(Path(name))) for name in args.file]
    if not reviews:
        if sys.stdin.isatty():
            print("Type or paste reviews, one a line; end with Ctrl-D.", file=sys.stderr)
        lines = text_files.read_stream(sys.stdin.buffer, "standard input").split("\n")
        reviews = [(f"line {n}", line) for n, line in enumerate(lines, start=1) if line.strip()]
    for source, text in reviews:
        if not text.strip():
            raise UserError(f"{source}: the review is empty")
    if not reviews:
        raise UserError("no reviews given: pass them as arguments, with --file or on stdin")
    return reviews


def classify(model, encoding: TextEncoding, reviews: list[tuple[str, str]]) -> list[dict]:
    """What --json prints for each (source, text): where it came from, then its answer."""
    texts = [text for _, text in reviews]
    return [
        {"source": source, **answer}
        for (source, _), answer in zip(reviews, answers(model, encoding, texts), strict=True)
    ]


def answers(model, encoding: TextEncoding, texts: list[str]) -> list[dict]:
    """The model's probability that each review is positive, with how it was encoded:
    what --json prints for it but its source (make demo's answer too)."""
    sequences = [encoding.encode(text) for text in texts]
    probabilities = positive_probabilities(model, encoding.pad(sequences))
    results = []
    for text, sequence, probability in zip(texts, sequences, probabilities, strict=True):
        words = sequence[1:]  # after the start marker
        results.append(
            {
                "review": text.strip(),
                "probability_positive": float(probability),
                "label": csv_reviews.label_of(probability),
                "words": len(words),
                "known_words": int(np.count_nonzero(words != OOV_INDEX)),
                "truncated": encoding.words_cut(len(words)) > 0,
            }
        )
    return results


def positive_probabilities(model, x: np.ndarray) -> np.ndarray:
    """The model's probability for each row of `x`, CSV_BATCH_ROWS rows at a time: without
    model.predict's set-up for each call, one review takes half the time (make demo)."""
    batches = range(0, len(x), CSV_BATCH_ROWS)
    return np.concatenate(
        [np.asarray(model.predict_on_batch(x[i : i + CSV_BATCH_ROWS]))[:, 0] for i in batches]
    )


def probabilities_in_batches(
    model, encoding: TextEncoding, texts: list[str], show_progress: bool
) -> np.ndarray:
    """The model's probability for each text, encoded and predicted CSV_BATCH_ROWS at a
    time, so that memory stays small and a progress bar can follow."""
    progress = keras.utils.Progbar(len(texts), unit_name="review") if show_progress else None
    probabilities = []
    for start in range(0, len(texts), CSV_BATCH_ROWS):
        batch = texts[start : start + CSV_BATCH_ROWS]
        x = encoding.pad([encoding.encode(text) for text in batch])
        probabilities.append(positive_probabilities(model, x))
        if progress:
            progress.add(len(batch))
    return np.concatenate(probabilities)


def label_csv(model, encoding: TextEncoding, rows: csv_reviews.ToLabel, output: Path) -> None:
    """Writes the labeled rows, then the accuracy against the file's own labels, if any."""
    probabilities = probabilities_in_batches(model, encoding, rows.texts, sys.stdout.isatty())
    csv_reviews.write_labeled(output, rows.table, probabilities.tolist())
    print(f"labeled {len(rows.texts):,} rows: {output}")
    if rows.truth is not None:
        accuracy = np.mean((probabilities >= csv_reviews.POSITIVE_FROM) == np.array(rows.truth))
        print(
            f"accuracy against column {rows.truth_column}: "
            f"{accuracy * 100:.2f}% ({len(rows.truth):,} rows)"
        )


def load_classifier(path: str | Path) -> tuple[keras.Model, TextEncoding]:
    """A model file and the vocabulary to encode new text with; UserError, one line, for
    a file that is no such model or was saved without its vocabulary."""
    model, encoding = load_model(path)
    if encoding is None:
        raise UserError(
            f"{path} was saved without its vocabulary (it was trained from an "
            "imdb.npz, which holds word numbers but not the words), so it cannot encode "
            "new text; train it on aclImdb/, aclImdb_v1.tar.gz or a CSV file with --data, "
            "or online"
        )
    return model, encoding


def warnings_for(result: dict, encoding: TextEncoding) -> list[str]:
    warnings = []
    if result["known_words"] == 0:
        warnings.append(
            f"none of its words is among the model's {len(encoding.word_index):,} known "
            "words, so the prediction says nothing about this review"
        )
    if result["truncated"]:
        warnings.append(
            f"it has {result['words']:,} words; only the last {encoding.maxlen:,} were "
            "read, as in training"
        )
    return warnings


def print_table(results: list[dict]) -> None:
    print(f"{'positive':>8s}  {'label':8s}  review")
    for result in results:
        preview = " ".join(result["review"].split())
        if len(preview) > PREVIEW_CHARACTERS:
            preview = preview[: PREVIEW_CHARACTERS - 3] + "..."
        print(f"{result['probability_positive']:8.3f}  {result['label']:8s}  {preview}")


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    check_csv_flags(args)
    # The whole file is read and checked before the model loads: a bad row fails fast.
    rows = csv_reviews.read_to_label(Path(args.csv), args.column) if args.csv else None
    model, encoding = load_classifier(args.model)
    if rows is not None:
        label_csv(model, encoding, rows, Path(args.output))
        return
    results = classify(model, encoding, read_reviews(args))
    for result in results:
        for warning in warnings_for(result, encoding):
            print(f"warning: {result['source']}: {warning}", file=sys.stderr)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print_table(results)


if __name__ == "__main__":
    common.run(main)
