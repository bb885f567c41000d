"""The flags every tutorial script takes. Their defaults are the tutorial's training
settings, which each script states in its header (`EPOCHS = 3`, `BATCH_SIZE = 64`,
`SEED = 7`) and passes to `common.Run`; the tools read them from there
(`script_settings`), so no other file restates them."""

import argparse
import ast
import os
from pathlib import Path

from imdb_lstm.cli import positive_int, seed_number, title
from imdb_lstm.errors import UserError

# The header constants of a script and the flags they are the defaults of.
SETTINGS = {"EPOCHS": "epochs", "BATCH_SIZE": "batch_size", "SEED": "seed"}


def script_settings(script: str | Path) -> dict[str, int]:
    """A script's training settings as `parse_args` takes them ({"epochs": 3, ...}),
    read from its header without importing it (no Keras for the tools)."""
    tree = ast.parse(Path(script).read_text())
    found = {
        SETTINGS[target.id]: ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name) and target.id in SETTINGS
    }
    missing = sorted(set(SETTINGS.values()) - set(found))
    if missing:
        raise UserError(
            f"{script} sets no {', '.join(name.upper() for name in missing)} in its header: "
            "not one of the tutorial's scripts"
        )
    return found


def script_args(script: str | Path, argv: list[str]) -> argparse.Namespace:
    """The flags `argv` as the script `script` would parse them, with its own defaults."""
    doc = ast.get_docstring(ast.parse(Path(script).read_text()))
    return parse_args(doc, argv, **script_settings(script))


def parse_args(
    doc: str | None, argv: list[str] | None, *, seed: int, epochs: int, batch_size: int
) -> argparse.Namespace:
    """The flags every tutorial script takes; the defaults are the script's settings."""
    parser = argparse.ArgumentParser(description=title(doc))
    parser.add_argument(
        "--epochs",
        type=positive_int,
        default=epochs,
        metavar="N",
        help="training epochs (default: %(default)s)",
    )
    parser.add_argument(
        "--batch-size",
        type=positive_int,
        default=batch_size,
        metavar="N",
        help="reviews per training step (default: %(default)s)",
    )
    parser.add_argument(
        "--seed",
        type=seed_number,
        default=seed,
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
    return parser.parse_args(argv)
