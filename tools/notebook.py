"""
Title: Execute the notebooks, the tutorial's page with its outputs
Description: runs every cell of tutorial.ipynb and tutorial.zh-CN.ipynb (the same code,
prose in Chinese) with papermill into copies in results/notebook/ (--output), each
notebook's runs in a folder beside its copy; the flags that are set (the scripts' --data,
--epochs, --max-samples, --seed) become its parameters. --refresh executes the tracked
notebooks in place with their own parameters only: no cell added, no path of this machine
kept. Each notebook is written whole or not at all.

    python -m tools.notebook --epochs 1 --max-samples 500
    python -m tools.notebook --refresh                 # the committed outputs, full data
"""

import argparse
from pathlib import Path

from imdb_lstm import files
from imdb_lstm.cli import add_output_flag, positive_int, run, seed_number, title
from imdb_lstm.errors import UserError
from imdb_lstm.paths import CHECKOUT

NOTEBOOKS = ["tutorial.ipynb", "tutorial.zh-CN.ipynb"]
# The notebooks' parameters cell, and the flags that set each parameter.
PARAMETERS = {"DATA": "data", "EPOCHS": "epochs", "MAX_SAMPLES": "max_samples", "SEED": "seed"}


def notebook_name(name: str) -> str:
    """One of NOTEBOOKS (argparse's choices refuse a positional nargs="*" left out)."""
    if name not in NOTEBOOKS:
        choices = ", ".join(map(repr, NOTEBOOKS))
        raise argparse.ArgumentTypeError(f"invalid choice: {name!r} (choose from {choices})")
    return name


def execute(notebook: Path, target: Path, parameters: dict) -> None:
    """Runs every cell of `notebook` in the checkout's folder, as the scripts run, into
    `target`; then drops the paths papermill records of where it ran."""
    import nbformat
    import papermill

    with files.atomic_path(target) as executed:
        try:
            papermill.execute_notebook(
                notebook,
                executed,
                parameters=parameters,
                cwd=CHECKOUT,
                progress_bar=False,
                # Keras's progress bar as a notebook shows it: one output, redrawn in place.
                coalesce_streams=True,
            )
        except papermill.PapermillExecutionError as error:
            raise UserError(
                f"cell {error.exec_count} of {notebook.name} failed: {error.ename}: {error.evalue}"
            ) from None
        result = nbformat.read(executed, as_version=4)
        for where in ("input_path", "output_path"):
            result.metadata.get("papermill", {}).pop(where, None)
        nbformat.write(result, executed)
    print(f"Wrote {target}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=title(__doc__))
    parser.add_argument(
        "notebooks",
        nargs="*",
        type=notebook_name,
        default=NOTEBOOKS,
        metavar="NOTEBOOK",
        help=f"the notebooks to execute (default: {' and '.join(NOTEBOOKS)})",
    )
    parser.add_argument("--data", metavar="PATH", help="as for the scripts (default: theirs)")
    parser.add_argument("--epochs", type=positive_int, metavar="N")
    parser.add_argument("--max-samples", type=positive_int, metavar="N")
    parser.add_argument("--seed", type=seed_number, metavar="N")
    where = parser.add_mutually_exclusive_group()
    add_output_flag(where, "results/notebook", "the executed copies and their runs")
    where.add_argument(
        "--refresh",
        action="store_true",
        help="execute the tracked notebooks in place, with their own parameters",
    )
    args = parser.parse_args(argv)
    # The notebook parameters the flags set (papermill adds a cell with them).
    given = {name: v for name, flag in PARAMETERS.items() if (v := getattr(args, flag)) is not None}
    if args.refresh and given:
        raise UserError(
            "--refresh executes the notebooks with their own parameters, as committed: drop "
            f"{', '.join('--' + PARAMETERS[name].replace('_', '-') for name in given)} (put "
            "the data in data/ for the full run)"
        )
    output = CHECKOUT if args.refresh else Path(args.output)
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(f"cannot write {output}: {error}") from None
    for name in args.notebooks:
        # Each copy's models and results in a folder of its own; the tracked ones as committed.
        parameters = {} if args.refresh else {**given, "OUTPUT": str(output / Path(name).stem)}
        execute(CHECKOUT / name, output / name, parameters)


if __name__ == "__main__":
    run(main)
