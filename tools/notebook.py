"""
Title: Execute tutorial.ipynb, the tutorial's page with its outputs
Description: runs every cell of the notebook with papermill, its parameters from the
flags (the scripts' --data, --epochs, --max-samples, --seed). Without --output it
executes the notebook in place, the runs' results in results/notebook/; with --output DIR
it writes an executed copy to DIR/tutorial.ipynb, the runs' results beside it, and leaves
the notebook untouched. Either way the notebook is written whole or not at all.

    python -m tools.notebook --data aclImdb_v1.tar.gz
    python -m tools.notebook --data aclImdb_v1.tar.gz --epochs 1 --max-samples 500 --output /tmp/nb
"""

import argparse
import sys
from pathlib import Path

from imdb_lstm import files
from imdb_lstm.cli import positive_int, run, seed_number, title
from imdb_lstm.errors import UserError

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "tutorial.ipynb"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=title(__doc__))
    parser.add_argument("--data", metavar="PATH", help="as for the scripts (default: download)")
    parser.add_argument("--epochs", type=positive_int, default=3, metavar="N")
    parser.add_argument("--max-samples", type=positive_int, metavar="N")
    parser.add_argument("--seed", type=seed_number, default=7, metavar="N")
    parser.add_argument(
        "--output",
        metavar="DIR",
        help="write an executed copy and the runs' results here (default: in place)",
    )
    return parser.parse_args(argv)


def parameters(args: argparse.Namespace, results: Path) -> dict:
    """The notebook's parameters cell, as papermill sets it (the notebook runs in the
    checkout's folder, as this tool does)."""
    return {
        "DATA": args.data,
        "EPOCHS": args.epochs,
        "MAX_SAMPLES": args.max_samples,
        "SEED": args.seed,
        "OUTPUT": str(results),
    }


def main(argv: list[str] | None = None) -> None:
    import papermill

    args = parse_args(argv)
    output = Path(args.output) if args.output else None
    results = output or Path("results", "notebook")
    target = output / NOTEBOOK.name if output else NOTEBOOK
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(f"cannot write {target}: {error}") from None
    with files.atomic_path(target) as executed:
        try:
            papermill.execute_notebook(
                NOTEBOOK,
                executed,
                parameters=parameters(args, results),
                cwd=ROOT,
                progress_bar=False,
                # Keras's progress bar as a notebook shows it: one output, redrawn in place.
                coalesce_streams=True,
            )
        except papermill.PapermillExecutionError as error:
            raise UserError(
                f"cell {error.exec_count} of {NOTEBOOK.name} failed: {error.ename}: {error.evalue}"
            ) from None
    print(f"Wrote {target}")


if __name__ == "__main__":
    run(lambda: sys.exit(main()))
