"""
Title: Compare the trained variants with each other and with the tutorial
Description: reads the <variant>.json files the scripts write and prints one table, a row
per variant: test accuracy next to the tutorial's published value, loss, speed, size,
memory. Over seeds (--seeds reads <results>/<seed>/<variant>.json) each row shows the mean,
standard deviation and range, and a second table each run. Writes RESULTS.md and
curves.png (SEEDS.md and seeds.png with --seeds). Needs neither Keras nor TensorFlow.
"""

import argparse
import io
import json
import statistics
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from imdb_lstm import cli, files
from imdb_lstm.cli import duration, title
from imdb_lstm.errors import UserError
from imdb_lstm.variants import EXTENSIONS, TUTORIAL_ACCURACY, VARIANTS

# What compare writes: (title, report, picture), of single runs and over seeds.
OUTPUTS = {
    False: ("Results", "RESULTS.md", "curves.png"),
    True: ("Test accuracy over seeds", "SEEDS.md", "seeds.png"),
}
# The columns that only mean something over several runs of a variant.
OVER_RUNS = {"runs", "standard deviation", "min - max", "tutorial inside the range"}


def load_results(paths: list[Path], folder: Path) -> list[dict]:
    """The run results among `paths`, in the tutorial's order, then by seed."""
    runs = []
    for path in paths:
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            raise UserError(f"{path}: unreadable results ({error})") from None
        if isinstance(data, dict) and "test_accuracy" in data:
            runs.append(data)
    if not runs:
        raise UserError(f"no results in {folder}/: run the scripts first, e.g. make run-all")
    backends = sorted({run["versions"].get("backend", "tensorflow") for run in runs})
    if len(backends) > 1:
        raise UserError(
            f"{folder}/ holds runs of several backends ({', '.join(backends)}): one report "
            "compares one backend; keep each in its own folder (make's OUTPUT does)"
        )
    rank = {name: i for i, name in enumerate(VARIANTS + EXTENSIONS)}
    return sorted(runs, key=lambda r: (rank.get(r["variant"], len(rank)), r["variant"], r["seed"]))


def points(accuracy: float | None) -> str:
    return "" if accuracy is None else f"{accuracy * 100:.2f}%"


def by_variant(runs: list[dict]) -> dict[str, list[dict]]:
    """The runs grouped by variant, in the order `load_results` gives them."""
    return {
        v: [r for r in runs if r["variant"] == v] for v in dict.fromkeys(r["variant"] for r in runs)
    }


def table_row(variant: str, group: list[dict]) -> dict[str, str]:
    """One variant's runs, by column: test accuracy (the mean, with its spread when there
    are several runs) against the tutorial's, then the means of loss, accuracy and times."""

    def mean(key: str) -> float:
        return statistics.mean(run[key] for run in group)

    accuracies = [run["test_accuracy"] for run in group]
    low, high, accuracy = min(accuracies), max(accuracies), mean("test_accuracy")
    final = statistics.mean(run["history"]["accuracy"][-1] for run in group)
    several = len(group) > 1
    tutorial = TUTORIAL_ACCURACY.get(variant)
    inside = "yes" if tutorial and low <= tutorial <= high else "no"
    return {
        "variant": variant,
        "runs": str(len(group)),
        "test accuracy": points(accuracy),
        "standard deviation": f"{statistics.stdev(accuracies) * 100:.2f}" if several else "",
        "min - max": f"{points(low)} - {points(high)}" if several else "",
        "tutorial": points(tutorial),
        "difference (points)": f"{(accuracy - tutorial) * 100:+.2f}" if tutorial else "",
        "tutorial inside the range": inside if tutorial and several else "",
        "test loss": f"{mean('test_loss'):.4f}",
        "final train accuracy": points(final),
        # The fastest epoch: the least disturbed by whatever else shared the machine.
        "fastest epoch (s)": f"{min(s for run in group for s in run['epoch_seconds']):.0f}",
        "training time": duration(mean("train_seconds")),
        "evaluation time": duration(mean("evaluate_seconds")),
        "parameters": f"{group[0]['parameters']:,}",
        "peak memory (MB)": f"{max(run['peak_memory_mb'] for run in group):,.0f}",
    }


def not_learned(runs: list[dict]) -> list[str]:
    """A line for the runs whose test accuracy is, to the review, the share of the larger
    class in their test reviews (where recorded): their models label every review alike."""
    stuck = []  # each such run's variant and that share
    for run in runs:
        counts = (run.get("test_labels") or {}).values()
        share = max(counts) / sum(counts) if sum(counts) else None
        if share is not None and abs(run["test_accuracy"] - share) < 0.5 / run["test_reviews"]:
            stuck.append((run["variant"], points(share)))
    if not stuck:
        return []
    names, shares = zip(*stuck, strict=True)
    return [
        f"- **Not learned yet**: the test accuracy of {', '.join(dict.fromkeys(names))} is "
        f"{one_or_all(shares)}, the share of the larger class in the test reviews: the model "
        "gives every review the same label. Too few reviews or epochs (MAX_SAMPLES, EPOCHS) "
        "for it to learn."
    ]


def markdown_table(columns: list[str], rows: list[dict[str, str]]) -> list[str]:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    return lines + ["| " + " | ".join(row.get(c, "") for c in columns) + " |" for row in rows]


def one_or_all(values: Iterable) -> str:
    """The value all share, or each distinct value if they differ."""
    return " / ".join(dict.fromkeys(str(value) for value in values))


def setup_lines(runs: list[dict]) -> list[str]:
    """What was run, where: the lines above the table."""

    def shared(key: str) -> str:
        return one_or_all(run[key] for run in runs)

    versions = one_or_all(
        ", ".join(f"{k} {v}" for k, v in run["versions"].items() if k != "python") for run in runs
    )
    seeds = shared("seed")
    return [
        f"- Date: {max(run['date'] for run in runs)}",
        f"- Machine: {shared('machine')}",
        f"- Versions: {versions}",
        f"- Data: {shared('data')} ({shared('train_reviews')} train / "
        f"{shared('test_reviews')} test reviews)",
        f"- Epochs: {shared('epochs')}, batch size {shared('batch_size')}, "
        f"{'seeds' if ' / ' in seeds else 'seed'} {seeds}",
    ]


def each_run_table(groups: dict[str, list[dict]]) -> list[str]:
    """Every run's test accuracy, a column per seed."""
    seeds = dict.fromkeys(f"seed {run['seed']}" for group in groups.values() for run in group)
    rows = [  # a seed's first run, where a variant ran twice with it
        {"variant": v} | {f"seed {r['seed']}": points(r["test_accuracy"]) for r in reversed(g)}
        for v, g in groups.items()
    ]
    return ["", "Test accuracy of each run:", "", *markdown_table(["variant", *seeds], rows)]


def report(runs: list[dict], unfinished: dict[str, Sequence[str]], seeds: bool) -> str:
    """The report: what was run, where; a row per variant and, when a variant ran more
    than once, each run's accuracy; the picture. The runs in `unfinished` ("failed",
    "interrupted") are named in a line over seeds, rows so marked otherwise."""
    title, _, picture = OUTPUTS[seeds]
    groups = by_variant(runs)
    rows = [table_row(v, g) for v, g in groups.items()]
    notes = []
    for what, names in unfinished.items():
        if not seeds:
            rows += [
                {"variant": v, "test accuracy": what, "tutorial": points(TUTORIAL_ACCURACY.get(v))}
                for v in names
            ]
        elif names:
            notes.append(f"- {what.capitalize()}, not in the tables: {', '.join(names)}")
    several = any(len(group) > 1 for group in groups.values())
    columns = [name for name in rows[0] if several or name not in OVER_RUNS]
    return "\n".join(
        [f"# {title}", "", *setup_lines(runs), *not_learned(runs), *notes, ""]
        + markdown_table(columns, rows)
        + (each_run_table(groups) if several else [])
        + ["", f"![Test accuracy per run against the tutorial's, and training curves]({picture})"]
        + [""]
    )


def plot_test_accuracy(axes, groups: dict[str, list[dict]]) -> None:
    """Each run's test accuracy as a point per variant, their mean, the tutorial's value."""
    positions = np.arange(len(groups))
    accuracies = [[run["test_accuracy"] * 100 for run in group] for group in groups.values()]
    runs = np.repeat(positions, [len(a) for a in accuracies])
    axes.scatter(runs, np.concatenate(accuracies), color="tab:blue", zorder=3, label="one run")
    means = [statistics.mean(a) for a in accuracies]
    axes.hlines(means, positions - 0.25, positions + 0.25, color="tab:blue", label="mean")
    tutorial = np.array([TUTORIAL_ACCURACY.get(v, np.nan) for v in groups]) * 100
    if not np.isnan(tutorial).all():  # a star for each variant of the tutorial's
        star = {"marker": "*", "s": 160, "color": "tab:red", "zorder": 4}
        axes.scatter(positions, tutorial, **star, label="tutorial")
    axes.set(title="Test accuracy, one point per run", ylabel="%")
    axes.set_xticks(positions, [v.replace("_", "\n") for v in groups], fontsize=8)
    axes.grid(axis="y", alpha=0.3)


def plot_training(axes, groups: dict[str, list[dict]], key: str, title: str, unit: str) -> None:
    """The training history's `key` per epoch: the mean of each group, with a band from
    its lowest to its highest run when there are several. One tick per epoch (a sweep of
    one epoch gets one tick, 1, not 0.96 ... 1.04)."""
    for variant, group in groups.items():
        length = min(len(run["history"][key]) for run in group)
        curves = np.array([run["history"][key][:length] for run in group])
        curves *= 100 if unit == "%" else 1
        epochs = range(1, length + 1)
        (line,) = axes.plot(epochs, curves.mean(axis=0), marker="o", label=variant)
        if len(group) > 1:
            band = curves.min(axis=0), curves.max(axis=0)
            axes.fill_between(epochs, *band, color=line.get_color(), alpha=0.2)
    last_epoch = max(1, *(len(line.get_xdata()) for line in axes.lines))
    if any(len(group) > 1 for group in groups.values()):
        title += ": mean over runs, band from lowest to highest"
    axes.set_title(title, fontsize=10)
    axes.set(xlabel="epoch", ylabel=unit, xlim=(0.5, last_epoch + 0.5))
    axes.set_xticks(range(1, last_epoch + 1))
    axes.grid(alpha=0.3)


def figure(runs: list[dict]):
    """Test accuracy per run against the tutorial's, beside the training curves."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    groups = by_variant(runs)
    figure = FigureCanvasAgg(Figure(figsize=(16, 5.6))).figure  # drawn in memory, no display
    test_axes, loss_axes, accuracy_axes = figure.subplots(1, 3)
    plot_test_accuracy(test_axes, groups)
    plot_training(loss_axes, groups, "loss", "Training loss", "binary cross-entropy")
    plot_training(accuracy_axes, groups, "accuracy", "Training accuracy", "%")
    for axes in figure.axes:  # under the plot, the legend covers no point
        axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2, fontsize=8)
    figure.tight_layout()
    return figure


def runs_and_report(
    folder: Path,
    failed: Sequence[str] = (),
    interrupted: Sequence[str] = (),
    seeds: bool = False,
    beside: Sequence[Path] = (),
) -> tuple[list[dict], str]:
    """The runs and their report (`report`): over seeds, <folder>/<seed>/<variant>.json and
    those of the folders `beside`; else <folder>/<variant>.json, bar `failed` and `interrupted`."""
    if seeds:
        paths = sorted(p for f in [folder, *beside] for p in f.glob("*/*.json"))
    else:
        paths = [p for p in sorted(folder.glob("*.json")) if p.stem not in {*failed, *interrupted}]
    runs = load_results(paths, folder)
    return runs, report(runs, {"failed": failed, "interrupted": interrupted}, seeds)


def compare(
    folder: Path, *unfinished: Sequence[str], seeds: bool = False, beside: Sequence[Path] = ()
) -> None:
    """Prints `runs_and_report(folder, *unfinished, ...)`'s report, writes it and its picture."""
    runs, text = runs_and_report(folder, *unfinished, seeds=seeds, beside=beside)
    print(text)
    picture = io.BytesIO()
    figure(runs).savefig(picture, format="png", dpi=110)
    paths = [folder / name for name in OUTPUTS[seeds][1:]]
    for path, content in zip(paths, [text, picture.getvalue()], strict=True):
        try:
            files.write_bytes(path, content)  # atomically
        except OSError as error:
            raise UserError(f"could not write {path}: {error}") from None
    print(f"Wrote {paths[0]} and {paths[1]}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=title(__doc__))
    parser.add_argument(
        "--results",
        type=Path,
        default="results",
        metavar="DIR",
        help="folder with the scripts' JSON results; the report and picture go there "
        "too (default: %(default)s)",
    )
    runs = {"nargs": "*", "default": [], "metavar": "RUN"}
    parser.add_argument(
        "--failed",
        **runs,
        help="variants whose run failed: shown as failed, their results not read (with "
        "--seeds: runs, e.g. 'lstm_basic seed 2', listed as failed)",
    )
    parser.add_argument(
        "--interrupted", **runs, help="likewise, the runs a Ctrl-C stopped: shown as interrupted"
    )
    parser.add_argument(
        "--beside",
        type=Path,
        nargs="+",
        default=[],
        metavar="DIR",
        help="with --seeds: also show the runs of these folders (e.g. the four variants' "
        "sweep beside the extensions'); the report goes to --results only",
    )
    parser.add_argument(
        "--seeds",
        action="store_true",
        help="compare runs over seeds instead: read every <results>/<seed>/<variant>.json "
        "and write SEEDS.md and seeds.png",
    )
    args = parser.parse_args(argv)
    if args.beside and not args.seeds:
        raise UserError("--beside shows other sweeps' runs: it goes with --seeds")
    compare(args.results, args.failed, args.interrupted, seeds=args.seeds, beside=args.beside)


if __name__ == "__main__":
    cli.run(main)
