"""
Title: Compare the trained variants with each other and with the tutorial
Description: reads the <variant>.json files the scripts write and prints one table,
a row per variant: test accuracy next to the tutorial's published value, loss, speed,
size, memory. A single run is a group of one; over several seeds (--seeds reads
<results>/<seed>/<variant>.json) each row shows the mean, the standard deviation and
the range, and a second table each run. Writes RESULTS.md and curves.png (SEEDS.md and
seeds.png with --seeds). Needs neither Keras nor TensorFlow.
"""

import argparse
import io
import json
import statistics
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from imdb_lstm import files
from imdb_lstm.cli import duration, run, title
from imdb_lstm.errors import UserError
from imdb_lstm.variants import EXTENSIONS, TUTORIAL_ACCURACY, VARIANTS


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=title(__doc__))
    parser.add_argument(
        "--results",
        default="results",
        metavar="DIR",
        help="folder with the scripts' JSON results; the report and picture go there "
        "too (default: %(default)s)",
    )
    parser.add_argument(
        "--failed",
        nargs="*",
        default=[],
        metavar="RUN",
        help="variants whose run failed: shown as failed, their results not read (with "
        "--seeds: runs, e.g. 'lstm_basic seed 2', listed as failed)",
    )
    parser.add_argument(
        "--interrupted",
        nargs="*",
        default=[],
        metavar="RUN",
        help="likewise, the runs a Ctrl-C stopped: shown as interrupted",
    )
    parser.add_argument(
        "--beside",
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
    return parser.parse_args(argv)


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
    order = {name: i for i, name in enumerate(VARIANTS + EXTENSIONS)}
    return sorted(
        runs, key=lambda r: (order.get(r["variant"], len(order)), r["variant"], r["seed"])
    )


def points(accuracy: float) -> str:
    return f"{accuracy * 100:.2f}%"


def by_variant(runs: list[dict]) -> dict[str, list[dict]]:
    """The runs grouped by variant, in the order `load_results` gives them."""
    return {
        v: [r for r in runs if r["variant"] == v] for v in dict.fromkeys(r["variant"] for r in runs)
    }


HEADER = [
    "variant",
    "runs",
    "test accuracy",
    "standard deviation",
    "min - max",
    "tutorial",
    "difference (points)",
    "tutorial inside the range",
    "test loss",
    "final train accuracy",
    "fastest epoch (s)",
    "training time",
    "evaluation time",
    "parameters",
    "peak memory (MB)",
]


# The columns that only mean something over several runs of a variant: a report of
# single runs leaves them out.
OVER_RUNS = {"runs", "standard deviation", "min - max", "tutorial inside the range"}


def table_row(variant: str, group: list[dict]) -> list[str]:
    """One variant's runs: test accuracy (the mean, with its spread when there are several
    runs) against the tutorial's, then the means of loss, accuracy and times."""

    def mean(key) -> float:
        return statistics.mean(key(run) for run in group)

    accuracies = [run["test_accuracy"] for run in group]
    low, high, accuracy = min(accuracies), max(accuracies), statistics.mean(accuracies)
    several = len(group) > 1
    tutorial = TUTORIAL_ACCURACY.get(variant)
    return [
        variant,
        str(len(group)),
        points(accuracy),
        f"{statistics.stdev(accuracies) * 100:.2f}" if several else "",
        f"{points(low)} - {points(high)}" if several else "",
        "" if tutorial is None else points(tutorial),
        "" if tutorial is None else f"{(accuracy - tutorial) * 100:+.2f}",
        "" if tutorial is None or not several else ("yes" if low <= tutorial <= high else "no"),
        f"{mean(lambda r: r['test_loss']):.4f}",
        points(mean(lambda r: r["history"]["accuracy"][-1])),
        # The fastest epoch: the least disturbed by whatever else shared the machine.
        f"{min(s for run in group for s in run['epoch_seconds']):.0f}",
        duration(mean(lambda r: r["train_seconds"])),
        duration(mean(lambda r: r["evaluate_seconds"])),
        f"{group[0]['parameters']:,}",
        f"{max(run['peak_memory_mb'] for run in group):,.0f}",
    ]


def unfinished_row(variant: str, what: str) -> list[str]:
    """A variant whose run did not finish: `what` ("failed", "interrupted")."""
    tutorial = TUTORIAL_ACCURACY.get(variant)
    row = [variant, "", what, "", "", "" if tutorial is None else points(tutorial)]
    return row + [""] * (len(HEADER) - len(row))


def results_table(rows: list[list[str]], several: bool) -> list[str]:
    """The table of `rows` (HEADER's columns), without OVER_RUNS unless `several`."""
    kept = [i for i, name in enumerate(HEADER) if several or name not in OVER_RUNS]
    return markdown_table([HEADER[i] for i in kept], [[row[i] for i in kept] for row in rows])


def larger_class_share(run: dict) -> float | None:
    """The share of the larger class in the run's test reviews: the accuracy of a model
    that says the same for every review (None where the results do not record it)."""
    counts = run.get("test_labels")
    if not counts or not sum(counts.values()):
        return None
    return max(counts.values()) / sum(counts.values())


def not_learned(runs: list[dict]) -> list[str]:
    """A line for the runs whose test accuracy is the share of the larger class, to the
    review: their models say the same for every review, whatever it says."""
    stuck = [
        run
        for run in runs
        if larger_class_share(run) is not None
        and abs(run["test_accuracy"] - larger_class_share(run)) < 0.5 / run["test_reviews"]
    ]
    if not stuck:
        return []
    names = ", ".join(dict.fromkeys(run["variant"] for run in stuck))
    share = one_or_all(stuck, lambda r: points(larger_class_share(r)))
    return [
        f"- **Not learned yet**: the test accuracy of {names} is {share}, the share of the "
        "larger class in the test reviews: the model gives every review the same label. "
        "Too few reviews or epochs (MAX_SAMPLES, EPOCHS) for it to learn.",
    ]


def unfinished_lines(failed: list[str], interrupted: list[str]) -> list[str]:
    """Over seeds: the runs of this sweep that did not finish, not in the tables."""
    return [
        f"- {what.capitalize()}, not in the tables: {', '.join(runs)}"
        for what, runs in (("failed", failed), ("interrupted", interrupted))
        if runs
    ]


def markdown_table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def one_or_all(runs: list[dict], key) -> str:
    """The runs' shared value of `key(run)`, or every distinct value if they differ."""
    values = list(dict.fromkeys(str(key(run)) for run in runs))
    return values[0] if len(values) == 1 else " / ".join(values)


def setup_lines(runs: list[dict]) -> list[str]:
    """What was run, where: the lines above the table."""
    versions = one_or_all(
        runs, lambda r: ", ".join(f"{k} {v}" for k, v in r["versions"].items() if k != "python")
    )
    seeds = one_or_all(runs, lambda r: r["seed"])
    return [
        f"- Date: {max(run['date'] for run in runs)}",
        f"- Machine: {one_or_all(runs, lambda r: r['machine'])}",
        f"- Versions: {versions}",
        f"- Data: {one_or_all(runs, lambda r: r['data'])} "
        f"({one_or_all(runs, lambda r: r['train_reviews'])} train / "
        f"{one_or_all(runs, lambda r: r['test_reviews'])} test reviews)",
        f"- Epochs: {one_or_all(runs, lambda r: r['epochs'])}, batch size "
        f"{one_or_all(runs, lambda r: r['batch_size'])}, {'seeds' if ' / ' in seeds else 'seed'} "
        f"{seeds}",
    ]


def each_run_table(groups: dict[str, list[dict]]) -> list[str]:
    """Every run's test accuracy, a column per seed; nothing when each variant ran once."""
    if all(len(group) == 1 for group in groups.values()):
        return []
    seeds = list(dict.fromkeys(run["seed"] for group in groups.values() for run in group))
    rows = [
        [variant]
        + [next((points(r["test_accuracy"]) for r in group if r["seed"] == s), "") for s in seeds]
        for variant, group in groups.items()
    ]
    header = ["variant", *(f"seed {s}" for s in seeds)]
    return ["", "Test accuracy of each run:", "", *markdown_table(header, rows)]


def report(
    title: str, runs: list[dict], unfinished: dict[str, list[str]], notes: list[str], picture: str
) -> str:
    """The report: what was run, where, and `notes`; a row per variant (`unfinished`:
    "failed" or "interrupted" ones by variant, marked so), each run's accuracy when a
    variant ran more than once, and the picture."""
    groups = by_variant(runs)
    rows = [table_row(v, g) for v, g in groups.items()]
    rows += [unfinished_row(v, what) for what, variants in unfinished.items() for v in variants]
    several = any(len(group) > 1 for group in groups.values())
    head = [*setup_lines(runs), *not_learned(runs), *notes]
    return "\n".join(
        [f"# {title}", "", *head, "", *results_table(rows, several)]
        + each_run_table(groups)
        + ["", f"![Test accuracy per run against the tutorial's, and training curves]({picture})"]
        + [""]
    )


def pyplot():
    import matplotlib

    matplotlib.use("Agg")  # no display needed
    import matplotlib.pyplot as plt

    return plt


def png(figure) -> bytes:
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    pyplot().close(figure)
    return buffer.getvalue()


def plot_test_accuracy(axes, groups: dict[str, list[dict]]) -> None:
    """Each run's test accuracy as a point per variant, their mean, the tutorial's value."""
    for position, (variant, group) in enumerate(groups.items()):
        accuracies = [run["test_accuracy"] * 100 for run in group]
        first = position == 0
        axes.scatter(
            [position] * len(accuracies),
            accuracies,
            color="tab:blue",
            zorder=3,
            label="one run" if first else None,
        )
        axes.hlines(
            statistics.mean(accuracies),
            position - 0.25,
            position + 0.25,
            color="tab:blue",
            label="mean" if first else None,
        )
        if variant in TUTORIAL_ACCURACY:
            axes.scatter(
                position,
                TUTORIAL_ACCURACY[variant] * 100,
                marker="*",
                s=160,
                color="tab:red",
                zorder=4,
                label="tutorial" if first else None,
            )
    axes.set(title="Test accuracy, one point per run", ylabel="%")
    axes.set_xticks(range(len(groups)), [v.replace("_", "\n") for v in groups], fontsize=8)
    axes.grid(axis="y", alpha=0.3)
    legend_below(axes)


def legend_below(axes) -> None:
    """The legend under the plot, where it covers no point, however few the epochs."""
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2, fontsize=8)


def plot_training(loss_axes, accuracy_axes, groups: dict[str, list[dict]]) -> None:
    """Training loss and accuracy per epoch: the mean of each group, with a band from
    its lowest to its highest run when there are several. One tick per epoch (a sweep of
    one epoch gets one tick, 1, not 0.96 ... 1.04)."""
    last_epoch = 1
    for variant, group in groups.items():
        for axes, key, scale in ((loss_axes, "loss", 1), (accuracy_axes, "accuracy", 100)):
            length = min(len(run["history"][key]) for run in group)
            curves = np.array([run["history"][key][:length] for run in group]) * scale
            epochs = range(1, length + 1)
            last_epoch = max(last_epoch, length)
            line = axes.plot(epochs, curves.mean(axis=0), marker="o")
            line[0].set_label(variant)
            if len(group) > 1:
                axes.fill_between(
                    epochs,
                    curves.min(axis=0),
                    curves.max(axis=0),
                    color=line[0].get_color(),
                    alpha=0.2,
                )
    several = any(len(group) > 1 for group in groups.values())
    for axes, name, unit in (
        (loss_axes, "Training loss", "binary cross-entropy"),
        (accuracy_axes, "Training accuracy", "%"),
    ):
        title = f"{name}: mean over runs, band from lowest to highest" if several else name
        axes.set_title(title, fontsize=10)
        axes.set(xlabel="epoch", ylabel=unit, xlim=(0.5, last_epoch + 0.5))
        axes.set_xticks(range(1, last_epoch + 1))
        axes.grid(alpha=0.3)
        legend_below(axes)


def figure(runs: list[dict]):
    """Test accuracy per run against the tutorial's, beside the training curves."""
    groups = by_variant(runs)
    figure, (test_axes, loss_axes, accuracy_axes) = pyplot().subplots(1, 3, figsize=(16, 5.6))
    plot_test_accuracy(test_axes, groups)
    plot_training(loss_axes, accuracy_axes, groups)
    return figure


def write_output(path: Path, content: str | bytes) -> None:
    """Writes a report file atomically; a failure is one clear line."""
    try:
        files.write_bytes(path, content)
    except OSError as error:
        raise UserError(f"could not write {path}: {error}") from None


# What compare writes: (title, report, picture), of single runs and over seeds.
OUTPUTS = {
    False: ("Results", "RESULTS.md", "curves.png"),
    True: ("Test accuracy over seeds", "SEEDS.md", "seeds.png"),
}


def runs_and_report(
    folder: Path,
    failed: Sequence[str] = (),
    interrupted: Sequence[str] = (),
    seeds: bool = False,
    beside: Sequence[Path] = (),
) -> tuple[list[dict], str]:
    """The runs in `folder`, and their report (`failed` and `interrupted` marked): over
    seeds, the runs are <folder>/<seed>/<variant>.json and those of the folders `beside`,
    the unfinished ones named in a line; else variants, their rows marked."""
    if seeds:
        paths = sorted(p for f in [folder, *beside] for p in f.glob("*/*.json"))
        unfinished, notes = {}, unfinished_lines(list(failed), list(interrupted))
    else:
        unfinished, notes = {"failed": list(failed), "interrupted": list(interrupted)}, []
        left_out = {*failed, *interrupted}
        paths = [p for p in sorted(folder.glob("*.json")) if p.stem not in left_out]
    runs = load_results(paths, folder)
    title, _, picture = OUTPUTS[seeds]
    return runs, report(title, runs, unfinished, notes, picture)


def compare(
    folder: Path,
    failed: Sequence[str] = (),
    interrupted: Sequence[str] = (),
    seeds: bool = False,
    beside: Sequence[Path] = (),
) -> None:
    """Writes the report of the runs in `folder` and its picture (`runs_and_report`)."""
    runs, text = runs_and_report(folder, failed, interrupted, seeds, beside)
    names = OUTPUTS[seeds][1:]
    print(text)
    write_output(folder / names[0], text)
    write_output(folder / names[1], png(figure(runs)))
    print(f"Wrote {folder / names[0]} and {folder / names[1]}")


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.beside and not args.seeds:
        raise UserError("--beside shows other sweeps' runs: it goes with --seeds")
    beside = [Path(b) for b in args.beside]
    compare(Path(args.results), args.failed, args.interrupted, args.seeds, beside)


if __name__ == "__main__":
    run(main)
