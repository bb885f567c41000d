"""
Title: Time make run-all one run at a time against its default of one run per CPU core
Description: trains the four variants with the same flags once per setting of --jobs, one
setting after the other (default: 1, then the default), and writes each setting's wall
time, its ratio to the first, and every run's training time, thread counts and test
accuracy to <output>/bench-jobs.json. Other flags go to tools/run_all.py.

    python -m tools.bench_jobs --data aclImdb_v1.tar.gz --output results/bench-jobs
"""

import common

import argparse
import json
import sys
import time
from pathlib import Path

from imdb_lstm import files, machine
from imdb_lstm.cli import add_output_flag, duration, title
from imdb_lstm.variants import VARIANTS
from tools import run_all


def parse_args(argv: list[str] | None) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(
        description=title(__doc__), epilog="Other flags are passed to tools/run_all.py."
    )
    parser.add_argument(
        "--settings",
        nargs="+",
        default=["1", "default"],
        metavar="JOBS",
        help="the --jobs settings to time, in this order (default: %(default)s)",
    )
    add_output_flag(parser, "results/bench-jobs", "each setting's run and bench-jobs.json")
    return parser.parse_known_args(argv)


def run_summary(results: Path) -> dict:
    """What a run's JSON says of its speed and numbers."""
    run = json.loads(results.read_text())
    keys = ["test_accuracy", "test_loss", "train_seconds", "evaluate_seconds", "threads"]
    return {key: run[key] for key in keys}


def main(argv: list[str] | None = None) -> int:
    args, flags = parse_args(argv)
    output = Path(args.output)
    timings = []
    for setting in args.settings:
        folder = output / f"jobs-{setting}"
        jobs = [] if setting == "default" else ["--jobs", setting]
        print(f"--- make run-all with JOBS={setting}", flush=True)
        start = time.perf_counter()
        code = run_all.main([*flags, *jobs, "--output", str(folder)])
        seconds = time.perf_counter() - start
        print(f"--- JOBS={setting}: {duration(seconds)} (exit code {code})", flush=True)
        timings.append(
            {
                "jobs": int(setting) if setting != "default" else run_all.default_jobs(),
                "setting": setting,
                "exit_code": code,
                "wall_seconds": seconds,
                "ratio_to_first": seconds / timings[0]["wall_seconds"] if timings else 1.0,
                "runs": {v: run_summary(folder / f"{v}.json") for v in VARIANTS if code == 0},
            }
        )
    report = {
        "what": "make run-all's wall time with each --jobs setting, one after the other",
        "flags": flags,
        "settings": timings,
        **machine.provenance(),
    }
    output.mkdir(parents=True, exist_ok=True)
    files.write_json(output / "bench-jobs.json", report)
    for timing in timings:
        print(f"JOBS={timing['setting']}: {duration(timing['wall_seconds'])}, "
              f"{timing['ratio_to_first']:.2f}x the first")  # fmt: skip
    print(f"Wrote {output / 'bench-jobs.json'}")
    return max(timing["exit_code"] for timing in timings)


if __name__ == "__main__":
    common.run(lambda: sys.exit(main()))
