"""
Title: Time the questions still open: one subcommand each
Description: every subcommand calls what it compares round by round (`interleaved`), so
that the machine's drift falls on all of it alike, prints a table and writes one JSON
report with the machine and the versions (`write_report`).

steps: one training step (64 reviews x 500 words) and one evaluation batch of each model
on fixed synthetic batches, with XLA off and on, against the tutorial's listing as
written (Keras's default jit_compile, evaluate's default batch of 32); the median and
spread, the estimated GFLOP/s and the share of this machine's matrix-multiply peak
(bench.json). The ratio to the listing is the number to read: absolute times differ
between runs on a shared machine, while both sides of a ratio run in one process.

backends: one training step of every variant under TensorFlow, JAX and PyTorch, each in
its own environment (make venv BACKEND=...) and process, compiled as the scripts compile
it (bench-backends.json).

jobs: make run-all's wall time with each --jobs setting; other flags go to the scripts
(bench-jobs.json).

Answered, in the git history with their results in docs/: labeling a CSV against
model.evaluate (tools/bench_predict.py, docs/csv.md), a sweep through a local Dask
cluster (tools/bench_cluster.py, docs/cluster.md), loading from the cache (docs/speed.md).

    python -m tools.bench steps --variants lstm_basic --output results/bench
    python -m tools.bench jobs --data aclImdb_v1.tar.gz --output results/bench-jobs
"""

import common

import argparse
import functools
import json
import os
import statistics
import subprocess
import sys
import time
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras
import numpy as np

from imdb_lstm import backend, files, machine
from imdb_lstm.cli import add_output_flag, add_rounds_flag, duration, positive_int, title
from imdb_lstm.errors import UserError
from imdb_lstm.paths import CHECKOUT, VENVS, run_files
from imdb_lstm.variants import EXTENSIONS, SCRIPTS, VARIANTS, XLA_FASTER_ON_CPU
from tools import run_all
from tools.script_models import compiled_model, script

# The tutorial's listing as written: compile()'s and evaluate()'s defaults.
TUTORIAL_EVAL_BATCH = 32
# The set-ups `steps` times for every model: (jit_compile, evaluation batch size). Each
# runs as the scripts run it: with op determinism, but XLA, which Keras refuses under it.
SETUPS = {
    "tutorial": ("auto", TUTORIAL_EVAL_BATCH),
    "xla_off": (False, common.EVAL_BATCH_SIZE),
    "xla_on": (True, common.EVAL_BATCH_SIZE),
}
# XLA models are compiled with op determinism off, the others with it on (as in the
# scripts); then all are timed with it on.
BUILD_ORDER = [["xla_on"], ["tutorial", "xla_off"]]


# What every subcommand shares


def interleaved(contenders: dict[str, Callable[[], Any]], rounds: int, say: bool = False):
    """Each contender's results, one call of each a round, round by round."""
    results: dict[str, list] = {name: [] for name in contenders}
    for i in range(rounds):
        for name, call in contenders.items():
            if say:
                print(f"round {i + 1}/{rounds}: {name} ...", flush=True)
            results[name].append(call())
    return results


def timed(step: Callable[[], object]) -> float:
    return timeit.timeit(step, number=1)


def summary(seconds: list[float]) -> dict[str, float]:
    return {"median": statistics.median(seconds), "min": min(seconds), "max": max(seconds)}


def write_report(output: Path, name: str, report: dict, table: list[list[str]]) -> None:
    """Prints `table` (its first row the header) and writes `report` to <output>/<name>
    with the machine and versions (what `report` says of them first)."""
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        print("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))
    output.mkdir(parents=True, exist_ok=True)
    files.write_json(output / name, machine.provenance() | report)
    print(f"Wrote {output / name}")


def matmul_peak_gflops(size: int = 2048, repeats: int = 5) -> float:
    """This machine's float32 matrix-multiply rate through the Keras backend."""
    a = keras.ops.convert_to_tensor(np.random.default_rng(0).random((size, size), np.float32))

    def product() -> np.ndarray:
        return keras.ops.convert_to_numpy(keras.ops.matmul(a, a))

    product()
    fastest = min(timed(product) for _ in range(repeats))
    return 2 * size**3 / fastest / 1e9


def forward_flops_per_review(model: keras.Model) -> int:
    """Multiply-adds x 2 of the layers that do arithmetic (LSTM, Conv1D, Dense)."""
    flops = 0
    for layer in model.layers:
        # A masked layer's input is the tensor and its mask.
        shape = keras.tree.flatten(layer.input)[0].shape
        steps, features = shape[1], shape[-1]
        if isinstance(layer, keras.layers.Bidirectional):  # an LSTM each way
            units = layer.forward_layer.units
            flops += 2 * steps * 2 * 4 * units * (features + units)
        elif isinstance(layer, keras.layers.LSTM):
            flops += steps * 2 * 4 * layer.units * (features + layer.units)
        elif isinstance(layer, keras.layers.Conv1D):
            flops += layer.output.shape[1] * 2 * layer.kernel_size[0] * features * layer.filters
        elif isinstance(layer, keras.layers.Dense):
            flops += 2 * features * layer.units
    return flops


def synthetic_batch(variant, size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Random word indices in the shape the script's model reads."""
    shape = (size, variant.MAX_REVIEW_LENGTH)
    reviews = rng.integers(1, variant.TOP_WORDS, size=shape, dtype=np.int32)
    return reviews, rng.integers(0, 2, size=(size, 1)).astype(np.float32)


def compiled_steps(name: str, setup: str, args: argparse.Namespace):
    """The script's model, built by the script and compiled as it does for `setup`, and
    its warmed-up train and eval steps."""
    variant = script(name)
    keras.utils.set_random_seed(variant.SEED)
    model = compiled_model(name, SETUPS[setup][0])
    rng = np.random.default_rng(0)
    x, y = synthetic_batch(variant, args.batch_size, rng)
    x_eval, y_eval = synthetic_batch(variant, SETUPS[setup][1], rng)
    steps = (
        functools.partial(model.train_on_batch, x, y),
        functools.partial(model.test_on_batch, x_eval, y_eval),
    )
    for _ in range(args.warmup):  # compiles the step functions
        steps[0](), steps[1]()
    return steps


def compile_all(names: list[str], args: argparse.Namespace) -> dict[str, dict]:
    """Every variant's steps for every set-up: XLA ones first, then op determinism on."""
    steps = {name: {} for name in names}
    for group in BUILD_ORDER:
        backend.op_determinism("xla_on" not in group)
        for name in names:
            for setup in group:
                steps[name][setup] = compiled_steps(name, setup, args)
    return {name: {setup: steps[name][setup] for setup in SETUPS} for name in names}


def bench_variant(name: str, seconds: dict, args: argparse.Namespace, peak: float) -> dict:
    """One variant's timings (of `seconds`: (variant, set-up, "train" or "eval") -> its
    seconds): per set-up, steps per second, GFLOP/s and the share of the peak; the
    project's set-up against the tutorial's."""
    flops = forward_flops_per_review(script(name).build_model())
    xla_faster = name in XLA_FASTER_ON_CPU
    result = {"forward_flops_per_review": flops, "xla_faster_on_cpu": xla_faster}
    for setup in SETUPS:
        train, evaluate = (
            summary(seconds[name, setup, "train"]),
            summary(seconds[name, setup, "eval"]),
        )
        gflops = 3 * flops * args.batch_size / train["median"] / 1e9  # backward ~ 2x forward
        result[setup] = {
            "train_step_seconds": train,
            "train_reviews_per_second": args.batch_size / train["median"],
            "train_gflops": gflops,
            "train_fraction_of_peak": gflops / peak,
            "eval_batch_size": SETUPS[setup][1],
            "eval_batch_seconds": evaluate,
            "eval_reviews_per_second": SETUPS[setup][1] / evaluate["median"],
        }
    result["project"] = "xla_on" if backend.uses_xla(xla_faster) else "xla_off"
    project, tutorial = result[result["project"]], result["tutorial"]
    result["train_speedup"] = (
        tutorial["train_step_seconds"]["median"] / project["train_step_seconds"]["median"]
    )
    result["eval_speedup"] = (
        project["eval_reviews_per_second"] / tutorial["eval_reviews_per_second"]
    )
    return result


def steps_row(name: str, result: dict) -> list[str]:
    project = result[result["project"]]
    step_ms = [f"{result[s]['train_step_seconds']['median'] * 1e3:.1f}" for s in SETUPS]
    return [
        name,
        *step_ms,
        result["project"].replace("_", " "),
        f"{result['train_speedup']:.2f}x",
        f"{project['train_gflops']:.1f}",
        f"{project['train_fraction_of_peak'] * 100:.1f}%",
        f"{result['tutorial']['eval_reviews_per_second']:.0f}",
        f"{project['eval_reviews_per_second']:.0f}",
        f"{result['eval_speedup']:.2f}x",
    ]


def steps(args: argparse.Namespace) -> None:
    peak = matmul_peak_gflops()
    print(f"Timing {len(args.variants)} models on {machine.machine_description()} ...", flush=True)
    compiled = compile_all(args.variants, args)
    contenders = {
        (name, setup, kind): step
        for name, setups in compiled.items()
        for setup, both in setups.items()
        for kind, step in zip(("train", "eval"), both, strict=True)
    }
    seconds = interleaved(
        {key: functools.partial(timed, s) for key, s in contenders.items()}, args.repeats
    )
    results = {name: bench_variant(name, seconds, args, peak) for name in args.variants}
    print(
        f"\nMatrix-multiply peak (float32, measured): {peak:.0f} GFLOP/s; training step, "
        "ms (median), the project's set-up against the tutorial's; evaluation, reviews/s\n"
    )
    header = "variant,tutorial,XLA off,XLA on,project,speedup,GFLOP/s,% peak,eval tut,eval prj"
    table = [[*header.split(","), "speedup"], *(steps_row(n, r) for n, r in results.items())]
    report = dict(batch_size=args.batch_size, repeats=args.repeats, matmul_peak_gflops=peak)
    write_report(Path(args.output), "bench.json", report | {"variants": results}, table)


def time_backend_steps(variants: list[str], repeats: int) -> dict:
    """In this process's backend: seconds per training step of each variant, compiled as
    common.Run compiles it."""
    seconds = {}
    for name in variants:
        variant = script(name)
        keras.utils.set_random_seed(variant.SEED)
        model = compiled_model(name, backend.jit_compile(name in XLA_FASTER_ON_CPU))
        x, y = synthetic_batch(variant, variant.BATCH_SIZE, np.random.default_rng(0))
        step = functools.partial(model.train_on_batch, x, y)
        step()  # compiles it
        seconds[name] = [timed(step) for _ in range(repeats)]
    return {"seconds": seconds, **machine.provenance()}


def backend_round(name: str, args: argparse.Namespace) -> dict:
    """One round of `time_backend_steps` in the environment of the backend `name`."""
    python = CHECKOUT / VENVS[name] / "bin" / "python"
    if not python.exists():
        raise UserError(f"{python} is missing: make venv BACKEND={name} builds it")
    command = [str(python), "-m", "tools.bench", "backends", "--worker"]
    command += ["--repeats", str(args.repeats), "--variants", *args.variants]
    result = subprocess.run(
        command,
        cwd=CHECKOUT,
        capture_output=True,
        text=True,
        env=os.environ | {"KERAS_BACKEND": name},
    )
    if result.returncode != 0:
        raise UserError(f"timing under {name} failed: {result.stderr.strip()[-500:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def backends(args: argparse.Namespace) -> None:
    if args.worker:
        print(json.dumps(time_backend_steps(args.variants, args.repeats)))
        return
    contenders = {name: functools.partial(backend_round, name, args) for name in args.backends}
    rounds = interleaved(contenders, args.rounds, say=True)
    medians = {
        name: {
            v: statistics.median(s for r in done for s in r["seconds"][v]) * 1e3
            for v in args.variants
        }
        for name, done in rounds.items()
    }
    reference = medians.get("tensorflow")
    ratios = reference and {
        name: {v: ms[v] / reference[v] for v in ms} for name, ms in medians.items()
    }
    first = next(iter(rounds.values()))
    report = {
        "what": "one training step (64 reviews x 500 words), the scripts' own compile, ms",
        "median_ms": medians,
        "ratio_to_tensorflow": ratios or None,
        "rounds": rounds,
        "machine": first[0]["machine"],  # the workers': this process is no backend's
        "date": first[-1]["date"],
    }
    table = [["variant", *medians]]
    table += [[v, *(f"{medians[b][v]:.1f} ms" for b in medians)] for v in args.variants]
    write_report(Path(args.output), "bench-backends.json", report, table)


def run_summary(results: Path) -> dict:
    """What a run's JSON says of its speed and numbers."""
    run = json.loads(results.read_text())
    keys = ["test_accuracy", "test_loss", "train_seconds", "evaluate_seconds", "threads"]
    return {key: run[key] for key in keys}


def run_all_timed(setting: str, flags: list[str], folder: Path) -> dict:
    """make run-all with --jobs `setting` ("default": one per core) into `folder`."""
    jobs = run_all.default_jobs() if setting == "default" else int(setting)
    print(f"--- make run-all with JOBS={setting}", flush=True)
    start = time.perf_counter()
    code = run_all.run_all(SCRIPTS, flags, folder, jobs)
    seconds = time.perf_counter() - start
    print(f"--- JOBS={setting}: {duration(seconds)} (exit code {code})", flush=True)
    runs = {v: run_summary(run_files(folder, v).results) for v in VARIANTS} if code == 0 else {}
    return dict(jobs=jobs, setting=setting, exit_code=code, wall_seconds=seconds, runs=runs)


def jobs(args: argparse.Namespace, flags: list[str]) -> int:
    output = Path(args.output)
    contenders = {
        setting: functools.partial(run_all_timed, setting, flags, output / f"jobs-{setting}")
        for setting in args.settings
    }
    timings = [t for done in interleaved(contenders, args.rounds).values() for t in done]
    first = timings[0]["wall_seconds"]
    for timing in timings:
        timing["ratio_to_first"] = timing["wall_seconds"] / first
    report = dict(what="make run-all's wall time with each --jobs setting", flags=flags)
    table = [["JOBS", "wall time", "ratio to the first"]]
    table += [
        [t["setting"], duration(t["wall_seconds"]), f"{t['ratio_to_first']:.2f}x"] for t in timings
    ]
    write_report(output, "bench-jobs.json", report | {"settings": timings}, table)
    return max(timing["exit_code"] for timing in timings)


def add_count(parser: argparse.ArgumentParser, flag: str, default: int, what: str) -> None:
    parser.add_argument(
        flag, type=positive_int, default=default, metavar="N", help=f"{what} (default: %(default)s)"
    )


def parse_args(argv: list[str] | None) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(description=title(__doc__))
    commands = parser.add_subparsers(dest="command", required=True)
    step = commands.add_parser("steps", help="a training and evaluation step of each model")
    step.add_argument(
        "--variants",
        nargs="+",
        choices=VARIANTS + EXTENSIONS,
        default=VARIANTS,
        help=f"(default: the four; the extensions: {', '.join(EXTENSIONS)})",
    )
    add_count(step, "--repeats", 10, "timed rounds")
    add_count(step, "--warmup", 3, "untimed steps first, compilation included")
    add_count(step, "--batch-size", script(VARIANTS[0]).BATCH_SIZE, "reviews per training step")
    add_output_flag(step, "results", "bench.json")
    on = commands.add_parser("backends", help="a training step on each Keras backend")
    on.add_argument("--backends", nargs="+", choices=list(VENVS), default=list(VENVS))
    on.add_argument("--variants", nargs="+", choices=VARIANTS, default=VARIANTS)
    add_rounds_flag(on, 3, "rounds over the backends")
    add_count(on, "--repeats", 3, "timed steps per variant and round, after one to compile")
    add_output_flag(on, "results/bench-backends", "bench-backends.json")
    on.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    job = commands.add_parser("jobs", help="make run-all's wall time by --jobs")
    job.add_argument(
        "--settings",
        nargs="+",
        default=["1", "default"],
        metavar="JOBS",
        help="the --jobs settings to time, in this order (default: %(default)s)",
    )
    add_rounds_flag(job, 1, "rounds over the settings")
    add_output_flag(job, "results/bench-jobs", "each setting's runs and bench-jobs.json")
    args, flags = parser.parse_known_args(argv)
    if flags and args.command != "jobs":
        parser.error(f"unrecognized arguments: {' '.join(flags)}")
    return args, flags


def main(argv: list[str] | None = None) -> int:
    args, flags = parse_args(argv)
    if args.command == "jobs":
        return jobs(args, flags)
    (steps if args.command == "steps" else backends)(args)
    return 0


if __name__ == "__main__":
    common.run(lambda: sys.exit(main()))
