"""
Title: Train the four variants one after the other, then compare them
Description: runs each script with the same flags (any flag the scripts take, e.g.
--data, --epochs, --max-samples). A script that fails does not stop the others; at
the end the failures are listed and the exit code is non-zero. compare.py then
builds results/RESULTS.md and results/curves.png from whatever succeeded.
With --reproduce SCRIPT it runs one script twice with the same seed instead and
checks that both runs give exactly the same results.
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

SCRIPTS = ["lstm_basic.py", "lstm_dropout_layers.py", "lstm_recurrent_dropout.py", "cnn_lstm.py"]


def parse_args(argv: list[str] | None) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(
        description=__doc__.strip().splitlines()[0].removeprefix("Title: "),
        epilog="Other flags are passed to every script: see python lstm_basic.py --help.",
    )
    parser.add_argument(
        "--scripts",
        nargs="+",
        default=SCRIPTS,
        metavar="SCRIPT",
        help="scripts to run, in order (default: the four variants)",
    )
    parser.add_argument(
        "--reproduce",
        metavar="SCRIPT",
        help="run SCRIPT twice with the same flags and check the results are identical",
    )
    parser.add_argument(
        "--output",
        default="results",
        metavar="DIR",
        help="folder for results, passed to the scripts (default: %(default)s)",
    )
    return parser.parse_known_args(argv)


def duration(seconds: float) -> str:
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes}m{seconds:02d}s"


def run_script(script: str, flags: list[str], output: Path, label: str) -> dict | None:
    """Runs one script; its results, or None if it failed."""
    print(f"{label} {script} ...", flush=True)
    start = time.perf_counter()
    code = subprocess.call([sys.executable, script, *flags, "--output", str(output)])
    elapsed = duration(time.perf_counter() - start)
    if code != 0:
        print(f"{label} {script} ... FAILED (exit code {code}) after {elapsed}", flush=True)
        return None
    result = json.loads((output / f"{Path(script).stem}.json").read_text())
    print(f"{label} {script} ... {result['test_accuracy'] * 100:.1f}% in {elapsed}", flush=True)
    return result


def run_all(scripts: list[str], flags: list[str], output: Path) -> int:
    failed = [
        script
        for i, script in enumerate(scripts, start=1)
        if run_script(script, flags, output, f"[{i}/{len(scripts)}]") is None
    ]
    if len(failed) < len(scripts):
        import compare  # imported here: only needed once something succeeded

        compare.main(["--results", str(output)])
    if failed:
        print(f"{len(failed)} of {len(scripts)} failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def reproduce(script: str, flags: list[str], output: Path) -> int:
    """Runs `script` twice and compares test accuracy, test loss and training history."""
    runs = [run_script(script, flags, output / f"reproduce-{i}", f"[{i}/2]") for i in (1, 2)]
    if None in runs:
        return 1
    keys = ["test_accuracy", "test_loss", "history"]
    different = [key for key in keys if runs[0][key] != runs[1][key]]
    for key in ["test_accuracy", "test_loss"]:
        print(f"{key:14s} run 1: {runs[0][key]!r:22}  run 2: {runs[1][key]!r}")
    if different:
        print(f"NOT reproducible: {', '.join(different)} differ", file=sys.stderr)
        return 1
    print("Reproducible: both runs gave identical test accuracy, test loss and history.")
    return 0


def main(argv: list[str] | None = None) -> int:
    args, flags = parse_args(argv)
    output = Path(args.output)
    if args.reproduce:
        return reproduce(args.reproduce, flags, output)
    return run_all(args.scripts, flags, output)


if __name__ == "__main__":
    sys.exit(main())
