"""
Title: Time labeling a CSV with predict.py against model.evaluate, in one process
Description: alternates, --rounds times, labeling every row of a CSV file exactly as
`predict.py --csv` does (loading the model, reading and checking the file, encoding and
predicting in batches, writing the labeled copy to a temporary folder) with
`model.evaluate` on the encoded test reviews of --data (as the scripts evaluate: batches
of 500). Writes <output>/bench_predict.json: the seconds of every round, rows per second
of the median and of the fastest round of each, predict.py's own output lines, the
machine and the versions. When the CSV has a split column, it also gives the accuracy
of the labels on its test rows, which should be evaluate's accuracy on the same reviews.

    python -m tools.bench_predict --model results/cnn_lstm.keras --csv reviews.csv \\
        --data reviews.csv
"""

import common

import argparse
import contextlib
import csv
import io
import statistics
import tempfile
import time
from pathlib import Path

import predict
from imdb_lstm import files, machine
from imdb_lstm.cli import add_output_flag, add_rounds_flag, title
from imdb_lstm.model_files import load_model


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=title(__doc__))
    parser.add_argument("--model", required=True, metavar="PATH", help="a trained .keras model")
    parser.add_argument("--csv", required=True, metavar="PATH", help="the CSV file to label")
    parser.add_argument(
        "--data",
        required=True,
        metavar="PATH",
        help="the data whose test reviews model.evaluate reads (any --data source)",
    )
    add_rounds_flag(parser, 3, "labeling and evaluation rounds")
    add_output_flag(parser, "results", "bench_predict.json")
    return parser.parse_args(argv)


def time_labeling(model: str, source: str, output: Path) -> tuple[float, list[str]]:
    """Seconds predict.py takes to label `source`, and the lines it prints."""
    printed = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(printed):
        predict.main(["--model", model, "--csv", source, "--output", str(output)])
    return time.perf_counter() - start, printed.getvalue().splitlines()


def time_evaluate(model, x, y) -> tuple[float, float]:
    """Seconds model.evaluate takes on (x, y), and the accuracy it reports."""
    start = time.perf_counter()
    _, accuracy = model.evaluate(x, y, batch_size=common.EVAL_BATCH_SIZE, verbose=0)
    return time.perf_counter() - start, float(accuracy)


def read_labeled(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def accuracy_on_test_rows(rows: list[dict[str, str]]) -> float | None:
    """The share of the rows whose split is test that got the label of their sentiment."""
    test = [row for row in rows if row.get("split") == "test" and "sentiment" in row]
    if not test:
        return None
    return statistics.mean(row["label"] == row["sentiment"].strip().lower() for row in test)


def speed(rows: int, seconds: list[float]) -> dict:
    """Rows per second of the median round, and of the fastest: the machines here are
    shared, so a round can lose time to other work."""
    median = statistics.median(seconds)
    return {
        "rows": rows,
        "seconds": seconds,
        "median_seconds": median,
        "rows_per_second": rows / median,
        "fastest_rows_per_second": rows / min(seconds),
    }


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    model, encoding = load_model(args.model)
    data = common.load_imdb(args.data, encoding.num_words, encoding.maxlen)
    labeling, evaluating = [], []
    with tempfile.TemporaryDirectory() as folder:
        labeled = Path(folder) / "labeled.csv"
        for round_number in range(1, args.rounds + 1):
            seconds, printed = time_labeling(args.model, args.csv, labeled)
            labeling.append(seconds)
            seconds, accuracy = time_evaluate(model, data.x_test, data.y_test)
            evaluating.append(seconds)
            print(f"round {round_number}: labeling {labeling[-1]:.1f}s, evaluate {seconds:.1f}s")
        rows = read_labeled(labeled)
    result = {
        "model": args.model,
        "csv": args.csv,
        "data": data.source,
        "labeling": speed(len(rows), labeling),
        "evaluate": speed(len(data.y_test), evaluating),
        "predict_output": printed,
        "evaluate_accuracy": accuracy,
        "labeling_accuracy_on_test_rows": accuracy_on_test_rows(rows),
        "csv_batch_rows": predict.CSV_BATCH_ROWS,
        "evaluate_batch_size": common.EVAL_BATCH_SIZE,
        **machine.provenance(),
    }
    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    files.write_json(output / "bench_predict.json", result)
    for name in ("labeling", "evaluate"):
        rates = result[name]
        print(
            f"{name}: {rates['rows_per_second']:,.0f} rows/s (median round), "
            f"{rates['fastest_rows_per_second']:,.0f} (fastest)"
        )
    print(f"wrote {output / 'bench_predict.json'}")


if __name__ == "__main__":
    common.run(main)
