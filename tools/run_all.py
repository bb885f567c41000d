"""
Title: Train the variants one after the other, then compare them
Description: runs each script with the same flags (any flag the scripts take, e.g.
--data, --epochs, --max-samples). A script that fails does not stop the others; at
the end the failures are listed and the exit code is non-zero. tools/compare.py then
builds RESULTS.md and curves.png from this run's results, the failures marked.
With --reproduce SCRIPT it runs one script twice with the same seed instead and
checks that both runs give exactly the same results. With --seeds it trains every
script once per seed into <output>/<seed>/, skipping runs that are already done, and
compares the variants over seeds (SEEDS.md, seeds.png).

    python -m tools.run_all --data aclImdb_v1.tar.gz --epochs 1 --max-samples 500
    python -m tools.run_all --seeds 7 1 2 3 4 --jobs 2 --output results/seeds
"""

import common

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from imdb_lstm.cli import duration, non_negative_int, positive_int, title
from imdb_lstm.data import data_source
from imdb_lstm.variants import SCRIPTS
from tools import compare

ROOT = Path(__file__).resolve().parent.parent
# What makes two runs of one script the same run, besides the data.
RUN_SETTINGS = ["seed", "epochs", "batch_size", "max_samples", "tutorial_defaults"]


def parse_args(argv: list[str] | None) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(
        description=title(__doc__),
        epilog="Other flags are passed to every script: see python lstm_basic.py --help.",
        allow_abbrev=False,  # the scripts' --seed is theirs, not an abbreviation of --seeds
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
        "--seeds",
        nargs="+",
        type=non_negative_int,
        metavar="N",
        help="train every script once per seed into <output>/<seed>/ and compare over "
        "seeds; runs already done with the same flags are skipped (default: one run)",
    )
    parser.add_argument(
        "--jobs",
        type=positive_int,
        default=1,
        metavar="N",
        help="with --seeds, runs at a time, each with its share of the CPU cores and its "
        "output in <output>/<seed>/<script>.log (default: %(default)s)",
    )
    parser.add_argument(
        "--output",
        default="results",
        metavar="DIR",
        help="folder for results, passed to the scripts (default: %(default)s)",
    )
    return parser.parse_known_args(argv)


def run_script(
    script: str, flags: list[str], output: Path, label: str, jobs: int = 1
) -> dict | None:
    """Runs one script; its results, or None if it failed.

    The script's previous results are set aside as <script>.json.previous first, so
    that a failed run leaves no stale results behind (and loses none)."""
    print(f"{label} ...", flush=True)
    results = output / f"{Path(script).stem}.json"
    previous = results.with_name(results.name + ".previous")
    if results.exists():
        results.replace(previous)
    command = [sys.executable, str(ROOT / script), *flags, "--output", str(output)]
    start = time.perf_counter()
    if jobs == 1:
        code = subprocess.call(command)
    else:  # share the cores; the scripts' progress bars would interleave, so log them
        threads = str(max(1, (os.cpu_count() or 1) // jobs))
        env = os.environ | {"TF_NUM_INTRAOP_THREADS": threads, "TF_NUM_INTEROP_THREADS": "1"}
        output.mkdir(parents=True, exist_ok=True)
        with open(results.with_suffix(".log"), "wb") as log:
            code = subprocess.call(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    elapsed = duration(time.perf_counter() - start)
    if code == 0 and not results.exists():
        code = f"0, but it wrote no {results}"
    if code != 0:
        print(f"{label} ... FAILED (exit code {code}) after {elapsed}", flush=True)
        return None
    previous.unlink(missing_ok=True)
    result = json.loads(results.read_text())
    print(f"{label} ... {result['test_accuracy'] * 100:.1f}% in {elapsed}", flush=True)
    return result


def report_failures(failed: list[str], total: int) -> int:
    """The exit code: 1 and the list of failures if any run failed."""
    if failed:
        print(f"{len(failed)} of {total} failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def run_all(scripts: list[str], flags: list[str], output: Path) -> int:
    failed = [
        script
        for i, script in enumerate(scripts, start=1)
        if run_script(script, flags, output, f"[{i}/{len(scripts)}] {script}") is None
    ]
    if len(failed) < len(scripts):
        compare.main(["--results", str(output), "--failed", *(Path(s).stem for s in failed)])
    return report_failures(failed, len(scripts))


def done_earlier(results: Path, expected: argparse.Namespace) -> bool:
    """Whether `results` holds a finished run with the flags of `expected`."""
    try:
        run = json.loads(results.read_text())
    except (OSError, ValueError):
        return False
    return run.get("data") == data_source(expected.data) and all(
        run.get(name) == getattr(expected, name) for name in RUN_SETTINGS
    )


def sweep(scripts: list[str], flags: list[str], output: Path, seeds: list[int], jobs: int) -> int:
    """Every script once per seed, `jobs` at a time; then the comparison over seeds."""
    runs = [(seed, script) for seed in seeds for script in scripts]
    todo = []
    for i, (seed, script) in enumerate(runs, start=1):
        label = f"[{i}/{len(runs)}] {Path(script).stem} seed {seed}"
        seed_flags = [*flags, "--seed", str(seed)]
        results = output / str(seed) / f"{Path(script).stem}.json"
        if done_earlier(results, common.parse_args(None, seed_flags)):
            print(f"{label} ... done earlier, skipped", flush=True)
        else:
            todo.append((script, seed_flags, output / str(seed), label, jobs))
    with ThreadPoolExecutor(jobs) as pool:
        outcomes = list(pool.map(lambda job: run_script(*job), todo))
    failed = [job[3] for job, result in zip(todo, outcomes, strict=True) if result is None]
    if len(failed) < len(runs):
        compare.main(["--seeds", "--results", str(output)])
    return report_failures(failed, len(runs))


def reproduce(script: str, flags: list[str], output: Path) -> int:
    """Runs `script` twice and compares test accuracy, test loss and training history."""
    runs = [
        run_script(script, flags, output / f"reproduce-{i}", f"[{i}/2] {script}") for i in (1, 2)
    ]
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
    if args.seeds:
        return sweep(args.scripts, flags, output, args.seeds, args.jobs)
    return run_all(args.scripts, flags, output)


if __name__ == "__main__":
    common.run(lambda: sys.exit(main()))
