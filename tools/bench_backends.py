"""
Title: One training step of every variant on every Keras backend, timed side by side
Description: times `model.train_on_batch` on a fixed synthetic batch (64 reviews x 500
words) for each of the four models, built and compiled by the scripts' own code with the
`jit_compile` each script chooses on its backend, under TensorFlow, JAX and PyTorch. Each
backend runs in its own environment (.venv, .venv-jax, .venv-torch: make venv
BACKEND=...) as a process of its own, round by round, so that the machine's drift falls
on every backend alike. Writes <output>/bench-backends.json with every round's times, the
medians in ms and each backend's ratio to TensorFlow.

    python -m tools.bench_backends --rounds 3 --output results/bench-backends
"""

import argparse
import functools
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np

from imdb_lstm import files
from imdb_lstm.cli import add_output_flag, add_rounds_flag, positive_int, run, title
from imdb_lstm.errors import UserError
from imdb_lstm.variants import VARIANTS

ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = {"tensorflow": ".venv", "jax": ".venv-jax", "torch": ".venv-torch"}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=title(__doc__))
    parser.add_argument(
        "--backends",
        nargs="+",
        choices=list(ENVIRONMENTS),
        default=list(ENVIRONMENTS),
        help="backends to time (default: all three)",
    )
    parser.add_argument(
        "--variants", nargs="+", choices=VARIANTS, default=VARIANTS, help="(default: all four)"
    )
    add_rounds_flag(parser, 3, "rounds over the backends")
    parser.add_argument(
        "--steps",
        type=positive_int,
        default=3,
        metavar="N",
        help="timed steps per variant and round, after one to compile (default: %(default)s)",
    )
    add_output_flag(parser, "results/bench-backends", "bench-backends.json")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def time_steps(variants: list[str], steps: int) -> dict:
    """In this process's backend: seconds per training step of each variant."""
    from imdb_lstm.quiet import keras

    from imdb_lstm import backend, machine
    from imdb_lstm.variants import XLA_FASTER_ON_CPU
    from tools import bench, script_models

    seconds = {}
    for name in variants:
        script = script_models.script(name)
        keras.utils.set_random_seed(script.SEED)
        jit_compile = backend.jit_compile(name in XLA_FASTER_ON_CPU)  # as common.Run does
        model = script_models.compiled_model(name, jit_compile)
        x, y = bench.synthetic_batch(script, script.BATCH_SIZE, np.random.default_rng(0))
        step = functools.partial(model.train_on_batch, x, y)
        step()  # compiles it
        seconds[name] = [bench.timed(step) for _ in range(steps)]
    return {"seconds": seconds, **machine.provenance()}


def worker_round(backend: str, args: argparse.Namespace) -> dict:
    python = ROOT / ENVIRONMENTS[backend] / "bin" / "python"
    if not python.exists():
        raise UserError(f"{python} is missing: make venv BACKEND={backend} builds it")
    command = [str(python), "-m", "tools.bench_backends", "--worker", "--steps", str(args.steps)]
    env = {"KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(
        [*command, "--variants", *args.variants],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=os.environ | env,
    )
    if result.returncode != 0:
        raise UserError(f"timing under {backend} failed: {result.stderr.strip()[-500:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        print(json.dumps(time_steps(args.variants, args.steps)))
        return 0
    rounds = {backend: [] for backend in args.backends}
    for i in range(args.rounds):
        for backend in args.backends:
            print(f"round {i + 1}/{args.rounds}: {backend} ...", flush=True)
            rounds[backend].append(worker_round(backend, args))
    medians = {
        backend: {
            name: statistics.median(s for r in results for s in r["seconds"][name]) * 1e3
            for name in args.variants
        }
        for backend, results in rounds.items()
    }
    reference = medians.get("tensorflow")
    report = {
        "what": "one training step (64 reviews x 500 words), the scripts' own compile, ms",
        "median_ms": medians,
        "ratio_to_tensorflow": {
            backend: {name: ms[name] / reference[name] for name in ms}
            for backend, ms in medians.items()
        }
        if reference
        else None,
        "rounds": rounds,
        "machine": next(iter(rounds.values()))[0]["machine"],
        "date": next(iter(rounds.values()))[-1]["date"],
    }
    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    files.write_json(output / "bench-backends.json", report)
    print(f"{'variant':24s}" + "".join(f"{b:>12s}" for b in medians))
    for name in args.variants:
        print(f"{name:24s}" + "".join(f"{medians[b][name]:10.1f}ms" for b in medians))
    print(f"Wrote {output / 'bench-backends.json'}")
    return 0


if __name__ == "__main__":
    run(lambda: sys.exit(main()))
