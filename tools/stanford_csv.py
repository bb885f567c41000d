"""
Title: Write the Stanford reviews as a CSV file, to try --data and predict.py --csv
Description: reads aclImdb_v1.tar.gz (or an aclImdb/ folder) and writes one row per
review with the columns review, sentiment (positive/negative) and split (train/test):
the train rows, then the test rows, each in the order the project reads the archive
(sorted file names). Training on this CSV gives exactly the archive's arrays.

    python -m tools.stanford_csv ../shared/data/aclImdb_v1_labeled.tar.gz /tmp/reviews.csv
"""

import common

import argparse
from pathlib import Path

from imdb_lstm import data as imdb_data
from imdb_lstm import files
from imdb_lstm.cli import title
from imdb_lstm.errors import UserError


def write_stanford_csv(source: Path, output: Path) -> int:
    """Writes the CSV atomically; returns the number of reviews."""
    if not source.exists():
        raise UserError(f"{source}: no such file or directory")
    files.check_outputs_spare_inputs({"the output": output}, {"source": source})
    reviews = imdb_data.read_stanford(source)
    rows = (
        [text, "positive" if label else "negative", split]
        for split in ("train", "test")
        for text, label in reviews[split]
    )
    files.write_csv(output, ["review", "sentiment", "split"], rows)
    return sum(len(found) for found in reviews.values())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=title(__doc__))
    parser.add_argument("source", type=Path, help="aclImdb_v1.tar.gz or an aclImdb/ folder")
    parser.add_argument("output", type=Path, help="the CSV file to write")
    args = parser.parse_args(argv)
    print(f"Wrote {write_stanford_csv(args.source, args.output):,} reviews to {args.output}")


if __name__ == "__main__":
    common.run(main)
