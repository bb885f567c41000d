"""
Title: Compare the trained variants with each other and with the tutorial
Description: reads the results/<variant>.json files the scripts write, prints one
table (accuracy next to the tutorial's published value, loss, speed, size, memory),
and writes it to results/RESULTS.md with the training curves in results/curves.png.
"""

import argparse
import io
import json
import statistics
from pathlib import Path

import common

# Test accuracy published in the tutorial for its four listings.
TUTORIAL_ACCURACY = {
    "lstm_basic": 0.8679,
    "lstm_dropout_layers": 0.8556,
    "lstm_recurrent_dropout": 0.8282,
    "cnn_lstm": 0.8636,
}
VARIANT_ORDER = list(TUTORIAL_ACCURACY)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.strip().splitlines()[0].removeprefix("Title: ")
    )
    parser.add_argument(
        "--results",
        default="results",
        metavar="DIR",
        help="folder with the scripts' JSON results; RESULTS.md and curves.png go "
        "there too (default: %(default)s)",
    )
    parser.add_argument(
        "--spread",
        action="store_true",
        help="summarise runs over several seeds instead: read every results JSON below "
        "--results (e.g. results/seeds/<seed>/) and write SPREAD.md with each variant's "
        "mean, spread and range of test accuracy",
    )
    return parser.parse_args(argv)


def load_results(folder: Path, pattern: str = "*.json") -> list[dict]:
    """Every run result in `folder` matching `pattern`, in the tutorial's order."""
    runs = []
    for path in sorted(folder.glob(pattern)):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            raise common.UserError(f"{path}: unreadable results ({error})") from None
        if isinstance(data, dict) and "test_accuracy" in data:
            runs.append(data)
    if not runs:
        raise common.UserError(f"no results in {folder}/: run the scripts first, e.g. make run-all")
    known = {name: i for i, name in enumerate(VARIANT_ORDER)}
    return sorted(runs, key=lambda r: (known.get(r["variant"], len(known)), r["variant"]))


def duration(seconds: float) -> str:
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"


def table_rows(runs: list[dict]) -> list[list[str]]:
    rows = []
    for run in runs:
        tutorial = TUTORIAL_ACCURACY.get(run["variant"])
        difference = "" if tutorial is None else f"{(run['test_accuracy'] - tutorial) * 100:+.2f}"
        epochs = run["epoch_seconds"]
        rows.append(
            [
                run["variant"],
                f"{run['test_accuracy'] * 100:.2f}%",
                "" if tutorial is None else f"{tutorial * 100:.2f}%",
                difference,
                f"{run['test_loss']:.4f}",
                f"{run['history']['accuracy'][-1] * 100:.2f}%",
                f"{sum(epochs) / len(epochs):.0f}",
                duration(run["train_seconds"]),
                duration(run["evaluate_seconds"]) if "evaluate_seconds" in run else "",
                f"{run['parameters']:,}",
                f"{run['peak_memory_mb']:,.0f}",
            ]
        )
    return rows


HEADER = [
    "variant",
    "test accuracy",
    "tutorial",
    "difference (points)",
    "test loss",
    "final train accuracy",
    "s/epoch",
    "training time",
    "evaluation time",
    "parameters",
    "peak memory (MB)",
]


def markdown_table(rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def one_or_all(runs: list[dict], key) -> str:
    """The runs' shared value of `key(run)`, or every distinct value if they differ."""
    values = list(dict.fromkeys(str(key(run)) for run in runs))
    return values[0] if len(values) == 1 else " / ".join(values)


def report(runs: list[dict]) -> str:
    """RESULTS.md: what was run, where, and the table."""
    newest = max(run["date"] for run in runs)
    versions = one_or_all(
        runs, lambda r: ", ".join(f"{k} {v}" for k, v in r["versions"].items() if k != "python")
    )
    return "\n".join(
        [
            "# Results",
            "",
            f"- Date: {newest}",
            f"- Machine: {one_or_all(runs, lambda r: r['machine'])}",
            f"- Versions: {versions}",
            f"- Data: {one_or_all(runs, lambda r: r['data'])} "
            f"({one_or_all(runs, lambda r: r['train_reviews'])} train / "
            f"{one_or_all(runs, lambda r: r['test_reviews'])} test reviews)",
            f"- Epochs: {one_or_all(runs, lambda r: r['epochs'])}, batch size "
            f"{one_or_all(runs, lambda r: r['batch_size'])}, seed "
            f"{one_or_all(runs, lambda r: r['seed'])}",
            "",
            markdown_table(table_rows(runs)),
            "",
            "![Training curves and test accuracy](curves.png)",
            "",
        ]
    )


def plot_curves(runs: list[dict]) -> bytes:
    """Training loss and accuracy per epoch, and test accuracy against the tutorial's."""
    import matplotlib

    matplotlib.use("Agg")  # no display needed
    import matplotlib.pyplot as plt

    figure, (loss_axes, accuracy_axes, test_axes) = plt.subplots(1, 3, figsize=(15, 4.5))
    for run in runs:
        epochs = range(1, len(run["history"]["loss"]) + 1)
        loss_axes.plot(epochs, run["history"]["loss"], marker="o", label=run["variant"])
        accuracy_axes.plot(
            epochs, [a * 100 for a in run["history"]["accuracy"]], marker="o", label=run["variant"]
        )
    for axes, title, unit in [
        (loss_axes, "Training loss", "binary cross-entropy"),
        (accuracy_axes, "Training accuracy", "%"),
    ]:
        axes.set(title=title, xlabel="epoch", ylabel=unit)
        axes.xaxis.get_major_locator().set_params(integer=True)
        axes.grid(alpha=0.3)
        axes.legend()

    names = [run["variant"] for run in runs]
    positions = range(len(runs))
    measured = [run["test_accuracy"] * 100 for run in runs]
    tutorial = [TUTORIAL_ACCURACY.get(name, float("nan")) * 100 for name in names]
    test_axes.bar([p - 0.2 for p in positions], measured, width=0.4, label="this run")
    test_axes.bar([p + 0.2 for p in positions], tutorial, width=0.4, label="tutorial")
    for p, value in zip(positions, measured, strict=True):
        test_axes.annotate(f"{value:.1f}", (p - 0.2, value), ha="center", va="bottom", fontsize=8)
    low = min(v for v in measured + tutorial if v == v)
    test_axes.set(title="Test accuracy", ylabel="%", ylim=(max(0, low - 10), 100))
    test_axes.set_xticks(list(positions), [n.replace("_", "\n") for n in names], fontsize=8)
    test_axes.legend(loc="upper right")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    plt.close(figure)
    return buffer.getvalue()


def spread_report(runs: list[dict]) -> str:
    """SPREAD.md: test accuracy over seeds, per variant, next to the tutorial's."""
    lines = [
        "# Test accuracy over seeds",
        "",
        f"- Machine: {one_or_all(runs, lambda r: r['machine'])}",
        f"- Data: {one_or_all(runs, lambda r: r['data'])}, epochs "
        f"{one_or_all(runs, lambda r: r['epochs'])}",
        "",
        "| variant | runs | seeds | mean | standard deviation | min | max | tutorial "
        "| mean - tutorial (points) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for variant in dict.fromkeys(run["variant"] for run in runs):
        group = [run for run in runs if run["variant"] == variant]
        accuracies = [run["test_accuracy"] * 100 for run in group]
        mean = statistics.mean(accuracies)
        deviation = statistics.stdev(accuracies) if len(accuracies) > 1 else 0.0
        tutorial = TUTORIAL_ACCURACY.get(variant)
        seeds = ", ".join(str(run["seed"]) for run in group)
        lines.append(
            f"| {variant} | {len(group)} | {seeds} | {mean:.2f}% | {deviation:.2f} "
            f"| {min(accuracies):.2f}% | {max(accuracies):.2f}% "
            + (
                "| | |"
                if tutorial is None
                else f"| {tutorial * 100:.2f}% | {mean - tutorial * 100:+.2f} |"
            )
        )
    return "\n".join(lines) + "\n"


def write_output(path: Path, content: str | bytes) -> None:
    """Writes a report file atomically; a failure is one clear line."""
    try:
        with common.atomic_path(path) as tmp:
            tmp.write_bytes(content.encode() if isinstance(content, str) else content)
    except OSError as error:
        raise common.UserError(f"could not write {path}: {error}") from None


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    folder = Path(args.results)
    if args.spread:
        text = spread_report(load_results(folder, "**/*.json"))
        print(text)
        write_output(folder / "SPREAD.md", text)
        return
    runs = load_results(folder)
    text = report(runs)
    print(text)
    write_output(folder / "RESULTS.md", text)
    write_output(folder / "curves.png", plot_curves(runs))
    print(f"Wrote {folder / 'RESULTS.md'} and {folder / 'curves.png'}")


if __name__ == "__main__":
    common.run(main)
