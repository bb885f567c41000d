"""
Title: Compare the trained variants with each other and with the tutorial
Description: reads the <variant>.json files the scripts write, prints one table
(accuracy next to the tutorial's published value, loss, speed, size, memory), and
writes it to RESULTS.md with the training curves in curves.png. With --seeds it
reads the runs in <results>/<seed>/ instead and compares the variants over seeds:
SEEDS.md (mean, standard deviation, range, against the tutorial) and seeds.png.
"""

import argparse
import io
import json
import statistics
from pathlib import Path

from imdb_lstm import files
from imdb_lstm.cli import duration, run, title
from imdb_lstm.errors import UserError
from imdb_lstm.variants import TUTORIAL_ACCURACY, VARIANTS


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
        metavar="VARIANT",
        help="variants whose run failed: shown as failed, their results not read",
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
    order = {name: i for i, name in enumerate(VARIANTS)}
    return sorted(
        runs, key=lambda r: (order.get(r["variant"], len(order)), r["variant"], r["seed"])
    )


def points(accuracy: float) -> str:
    return f"{accuracy * 100:.2f}%"


def tutorial_points(variant: str) -> str:
    return points(TUTORIAL_ACCURACY[variant]) if variant in TUTORIAL_ACCURACY else ""


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


def table_row(run: dict) -> list[str]:
    tutorial = TUTORIAL_ACCURACY.get(run["variant"])
    epochs = run["epoch_seconds"]
    return [
        run["variant"],
        points(run["test_accuracy"]),
        tutorial_points(run["variant"]),
        "" if tutorial is None else f"{(run['test_accuracy'] - tutorial) * 100:+.2f}",
        f"{run['test_loss']:.4f}",
        points(run["history"]["accuracy"][-1]),
        f"{sum(epochs) / len(epochs):.0f}",
        duration(run["train_seconds"]),
        duration(run["evaluate_seconds"]),
        f"{run['parameters']:,}",
        f"{run['peak_memory_mb']:,.0f}",
    ]


def markdown_table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def one_or_all(runs: list[dict], key) -> str:
    """The runs' shared value of `key(run)`, or every distinct value if they differ."""
    values = list(dict.fromkeys(str(key(run)) for run in runs))
    return values[0] if len(values) == 1 else " / ".join(values)


def setup_lines(runs: list[dict]) -> list[str]:
    """What was run, where: the lines above every report's table."""
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


def report(runs: list[dict], failed: list[str]) -> str:
    """RESULTS.md: what was run, where, and the table; failed variants marked."""
    rows = [table_row(run) for run in runs]
    rows += [[name, "failed", tutorial_points(name)] + [""] * (len(HEADER) - 3) for name in failed]
    return "\n".join(
        ["# Results", "", *setup_lines(runs), "", *markdown_table(HEADER, rows), ""]
        + ["![Training curves and test accuracy](curves.png)", ""]
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


def plot_training(loss_axes, accuracy_axes, groups: dict[str, list[dict]]) -> None:
    """Training loss and accuracy per epoch: the mean of each group, with a band from
    its lowest to its highest run when there are several."""
    for variant, group in groups.items():
        for axes, key, scale in ((loss_axes, "loss", 1), (accuracy_axes, "accuracy", 100)):
            curves = [[v * scale for v in run["history"][key]] for run in group]
            epochs = range(1, min(len(c) for c in curves) + 1)
            per_epoch = [[c[e - 1] for c in curves] for e in epochs]
            line = axes.plot(epochs, [statistics.mean(v) for v in per_epoch], marker="o")
            line[0].set_label(variant)
            if len(group) > 1:
                axes.fill_between(
                    epochs,
                    [min(v) for v in per_epoch],
                    [max(v) for v in per_epoch],
                    color=line[0].get_color(),
                    alpha=0.2,
                )
    for axes, name, unit in (
        (loss_axes, "Training loss", "binary cross-entropy"),
        (accuracy_axes, "Training accuracy", "%"),
    ):
        axes.set(title=name, xlabel="epoch", ylabel=unit)
        axes.xaxis.get_major_locator().set_params(integer=True)
        axes.grid(alpha=0.3)
        axes.legend()


def plot_curves(runs: list[dict]) -> bytes:
    """Training loss and accuracy per epoch, and test accuracy against the tutorial's."""
    figure, (loss_axes, accuracy_axes, test_axes) = pyplot().subplots(1, 3, figsize=(15, 4.5))
    plot_training(loss_axes, accuracy_axes, {run["variant"]: [run] for run in runs})
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
    return png(figure)


SEEDS_HEADER = [
    "variant",
    "runs",
    "mean",
    "standard deviation",
    "min - max",
    "tutorial",
    "mean - tutorial (points)",
    "tutorial inside the range",
    "fastest epoch (s)",
]


def by_variant(runs: list[dict]) -> dict[str, list[dict]]:
    return {
        v: [r for r in runs if r["variant"] == v] for v in dict.fromkeys(r["variant"] for r in runs)
    }


def seeds_row(variant: str, group: list[dict]) -> list[str]:
    accuracies = [run["test_accuracy"] for run in group]
    low, high, mean = min(accuracies), max(accuracies), statistics.mean(accuracies)
    deviation = statistics.stdev(accuracies) * 100 if len(accuracies) > 1 else 0.0
    # The fastest epoch: the least disturbed by whatever else shared the machine.
    fastest_epoch = min(s for run in group for s in run["epoch_seconds"])
    tutorial = TUTORIAL_ACCURACY.get(variant)
    versus = (
        ["", "", ""]
        if tutorial is None
        else [
            points(tutorial),
            f"{(mean - tutorial) * 100:+.2f}",
            "yes" if low <= tutorial <= high else "no",
        ]
    )
    return [
        variant,
        str(len(group)),
        points(mean),
        f"{deviation:.2f}",
        f"{points(low)} - {points(high)}",
        *versus,
        f"{fastest_epoch:.0f}",
    ]


def seeds_report(runs: list[dict]) -> str:
    """SEEDS.md: test accuracy over seeds per variant, against the tutorial, and each
    run's accuracy."""
    groups = by_variant(runs)
    seeds = list(dict.fromkeys(run["seed"] for run in runs))
    each = [
        [variant]
        + [next((points(r["test_accuracy"]) for r in group if r["seed"] == s), "") for s in seeds]
        for variant, group in groups.items()
    ]
    return "\n".join(
        ["# Test accuracy over seeds", "", *setup_lines(runs), ""]
        + markdown_table(SEEDS_HEADER, [seeds_row(v, g) for v, g in groups.items()])
        + ["", "Test accuracy of each run:", ""]
        + markdown_table(["variant", *(f"seed {s}" for s in seeds)], each)
        + ["", "![Test accuracy per seed and training curves](seeds.png)", ""]
    )


def plot_seeds(runs: list[dict]) -> bytes:
    """Each seed's test accuracy as a point per variant, the tutorial's value marked,
    beside the training curves (mean over seeds, band from lowest to highest)."""
    groups = by_variant(runs)
    figure, (test_axes, loss_axes, accuracy_axes) = pyplot().subplots(1, 3, figsize=(16, 4.8))
    for position, (variant, group) in enumerate(groups.items()):
        accuracies = [run["test_accuracy"] * 100 for run in group]
        test_axes.scatter(
            [position] * len(accuracies),
            accuracies,
            color="tab:blue",
            zorder=3,
            label="one seed" if position == 0 else None,
        )
        test_axes.hlines(
            statistics.mean(accuracies),
            position - 0.25,
            position + 0.25,
            color="tab:blue",
            label="mean" if position == 0 else None,
        )
        if variant in TUTORIAL_ACCURACY:
            test_axes.scatter(
                position,
                TUTORIAL_ACCURACY[variant] * 100,
                marker="*",
                s=160,
                color="tab:red",
                zorder=4,
                label="tutorial" if position == 0 else None,
            )
    test_axes.set(title="Test accuracy, one point per seed", ylabel="%")
    test_axes.set_xticks(range(len(groups)), [v.replace("_", "\n") for v in groups], fontsize=8)
    test_axes.grid(axis="y", alpha=0.3)
    test_axes.legend(loc="lower left", fontsize=8)
    plot_training(loss_axes, accuracy_axes, groups)
    for axes, name in ((loss_axes, "Training loss"), (accuracy_axes, "Training accuracy")):
        axes.set_title(f"{name}: mean over seeds, band from lowest to highest", fontsize=10)
    return png(figure)


def write_output(path: Path, content: str | bytes) -> None:
    """Writes a report file atomically; a failure is one clear line."""
    try:
        files.write_bytes(path, content)
    except OSError as error:
        raise UserError(f"could not write {path}: {error}") from None


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    folder = Path(args.results)
    if args.seeds:
        runs = load_results(sorted(folder.glob("*/*.json")), folder)
        text, picture, names = seeds_report(runs), plot_seeds(runs), ("SEEDS.md", "seeds.png")
    else:
        failed = set(args.failed)
        paths = [p for p in sorted(folder.glob("*.json")) if p.stem not in failed]
        runs = load_results(paths, folder)
        text, picture = report(runs, args.failed), plot_curves(runs)
        names = ("RESULTS.md", "curves.png")
    print(text)
    write_output(folder / names[0], text)
    write_output(folder / names[1], picture)
    print(f"Wrote {folder / names[0]} and {folder / names[1]}")


if __name__ == "__main__":
    run(main)
