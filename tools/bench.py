"""
Title: Time the questions still open: one subcommand each
Description: each subcommand calls what it compares round by round (`interleaved`), so
that the machine's drift falls on all alike, prints a table and writes a JSON report
with the machine and versions (`write_report`). steps: a training step and an evaluation
batch of each model, XLA off and on, against the tutorial's listing as written
(bench.json). demo: make demo's answer time, one client then several at once; fails if
an answer under load differs from the same review's answer alone (bench_demo.json).
Answered, in the git history, their results in docs/: make run-all's wall time by --jobs
and epoch_pause, the cache's loading time, the matrix-multiply peak (docs/speed.md); the
backends' step times (docs/backends.md); check_resume (docs/running.md); bench_predict
(docs/csv.md); bench_cluster (docs/cluster.md).

    python -m tools.bench steps --variants lstm_basic --output results/bench
    python -m tools.bench demo --models results --output results/bench-demo
"""

import common

import argparse
import functools
import html
import http.client
import importlib
import importlib.metadata
import json
import os
import re
import statistics
import threading
import time
import timeit
import urllib.parse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import Any

import keras
import numpy as np

from imdb_lstm import backend, files, machine
from imdb_lstm.cli import add_output_flag, int_at_least, title
from imdb_lstm.errors import UserError
from imdb_lstm.variants import EXTENSIONS, VARIANTS, XLA_FASTER_ON_CPU
from tools import demo

# The tutorial's training set-up: every script's model.compile(...), but jit_compile
# (tests/test_bench.py checks the scripts' compile lines against it).
COMPILE = {"loss": "binary_crossentropy", "optimizer": "adam", "metrics": ["accuracy"]}
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


def script(variant: str) -> ModuleType:
    """The script of `variant`: lstm_basic.py, or extensions/bidirectional_lstm.py."""
    return importlib.import_module(f"extensions.{variant}" if variant in EXTENSIONS else variant)


def interleaved(contenders: dict[Any, Callable[[], Any]], rounds: int) -> dict[Any, list]:
    """Each contender's results, one call of each a round, round by round."""
    results: dict[Any, list] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, call in contenders.items():
            results[name].append(call())
    return results


def summary(seconds: list[float]) -> dict[str, float]:
    return {"median": statistics.median(seconds), "min": min(seconds), "max": max(seconds)}


def write_report(output: Path, name: str, report: dict, table: list[list[str]]) -> None:
    """Prints `table` (its first row the header) and writes `report` to <output>/<name>
    with the machine, versions and date (but where `report` has its own)."""
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        print("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))
    output.mkdir(parents=True, exist_ok=True)
    files.write_json(output / name, machine.provenance() | report)
    print(f"Wrote {output / name}")


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
    model = variant.build_model()
    model.compile(**COMPILE, jit_compile=SETUPS[setup][0])
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


def bench_variant(name: str, seconds: dict, args: argparse.Namespace) -> dict:
    """One variant's timings (of `seconds`: (variant, set-up, "train" or "eval") -> its
    seconds): per set-up, reviews per second; the project's set-up against the
    tutorial's."""
    xla_faster = name in XLA_FASTER_ON_CPU
    result: dict[str, Any] = {"xla_faster_on_cpu": xla_faster}
    for setup in SETUPS:
        train = summary(seconds[name, setup, "train"])
        evaluate = summary(seconds[name, setup, "eval"])
        result[setup] = {
            "train_step_seconds": train,
            "train_reviews_per_second": args.batch_size / train["median"],
            "eval_batch_size": SETUPS[setup][1],
            "eval_batch_seconds": evaluate,
            "eval_reviews_per_second": SETUPS[setup][1] / evaluate["median"],
        }
    result["project"] = "xla_on" if backend.uses_xla(xla_faster) else "xla_off"
    project, tutorial = result[result["project"]], result["tutorial"]
    for kind in ("train", "eval"):  # reviews per second, the project's to the tutorial's
        rate = f"{kind}_reviews_per_second"
        result[f"{kind}_speedup"] = project[rate] / tutorial[rate]
    return result


def steps_row(name: str, result: dict) -> list[str]:
    step_ms = [f"{result[s]['train_step_seconds']['median'] * 1e3:.1f}" for s in SETUPS]
    speedups = [f"{result[f'{kind}_speedup']:.2f}x" for kind in ("train", "eval")]
    return [name, *step_ms, result["project"].replace("_", " "), *speedups]


def steps(args: argparse.Namespace) -> None:
    print(f"Timing {len(args.variants)} models on {machine.machine_description()} ...", flush=True)
    compiled = compile_all(args.variants, args)
    contenders = {
        (name, setup, kind): functools.partial(timeit.timeit, step, number=1)
        for name, setups in compiled.items()
        for setup, both in setups.items()
        for kind, step in zip(("train", "eval"), both, strict=True)
    }
    seconds = interleaved(contenders, args.repeats)
    results = {name: bench_variant(name, seconds, args) for name in args.variants}
    print("\nTraining step, ms (median); the project's set-up against the tutorial's listing")
    header = ["variant", "tutorial", "XLA off", "XLA on", "project", "speedup", "eval speedup"]
    table = [header, *(steps_row(name, result) for name, result in results.items())]
    report = {"batch_size": args.batch_size, "repeats": args.repeats, "variants": results}
    write_report(Path(args.output), "bench.json", report, table)


WARM_UP = 10  # the demo's first answers, not timed


class Client:
    """One connection to the demo, kept open, as a browser keeps it."""

    def __init__(self, address: str) -> None:
        url = urllib.parse.urlsplit(address)
        self.connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60)

    def ask(self, method: str, path: str, body: dict | None = None) -> tuple[float, dict]:
        """Seconds from sending the request to having read the answer, and the answer."""
        data = json.dumps(body).encode() if body is not None else None
        start = time.perf_counter()
        self.connection.request(method, path, data, {"Content-Type": "application/json"})
        response = self.connection.getresponse()
        answer = json.loads(response.read())
        seconds = time.perf_counter() - start
        if response.status != 200:
            raise UserError(f"the demo answered {response.status}: {answer.get('error')}")
        return seconds, answer

    def predict(self, review: str) -> tuple[float, dict]:
        return self.ask("POST", "/api/predict", {"review": review})


def page_examples() -> list[str]:
    """The reviews of the page's example buttons, what a reader clicks first."""
    page = (demo.PAGE / "index.html").read_text()
    return [html.unescape(review) for review in re.findall(r'data-review="([^"]*)"', page)]


def answers_timed(
    clients: list[Client], reviews: list[str], alone: dict[str, dict] | None = None
) -> tuple[dict, dict[str, dict]]:
    """The timings of `clients` at once, each asking its share of `reviews` in turn, and
    each review's answer; UserError if an answer differs from `alone`'s (mixed up)."""

    stop = threading.Event()  # Ctrl-C: the clients stop after the answer they wait for

    def ask_share(n: int) -> list[tuple[str, float, dict]]:
        share = reviews[n :: len(clients)]
        return [(review, *clients[n].predict(review)) for review in share if not stop.is_set()]

    start = time.perf_counter()
    with ThreadPoolExecutor(len(clients)) as pool:
        try:
            done = [asked for share in pool.map(ask_share, range(len(clients))) for asked in share]
        finally:
            stop.set()
    wall_seconds = time.perf_counter() - start
    for review, _, answer in done:
        if alone and answer != alone[review]:
            raise UserError(f"an answer under load differs from the answer alone: {review}")
    milliseconds = [seconds * 1000 for _, seconds, _ in done]
    timings = {
        "answers": len(done),
        "median_ms": statistics.median(milliseconds),
        "p95_ms": statistics.quantiles(milliseconds, n=100)[94],
        "fastest_ms": min(milliseconds),
        "slowest_ms": max(milliseconds),
        "answers_per_second": len(done) / wall_seconds,
        "milliseconds": milliseconds,
    }
    return timings, {review: answer for review, _, answer in done}


def demo_answers(args: argparse.Namespace) -> None:
    examples = page_examples()
    reviews = [examples[i % len(examples)] for i in range(args.requests)]
    load_before = os.getloadavg()[0]
    with demo.running_demo(Path(args.models)) as address:
        client = Client(address)
        _, listing = client.ask("GET", "/api/models")
        for review in reviews[:WARM_UP]:
            client.predict(review)
        sequential, alone = answers_timed([client], reviews)
        clients = [Client(address) for _ in range(args.clients)]
        concurrent = {"clients": args.clients, **answers_timed(clients, reviews, alone)[0]}
    report = {
        # Other work on the machine slows the answers: the load over the last minute.
        "load_average_before_and_after": [load_before, os.getloadavg()[0]],
        "models": [m["name"] for m in listing["models"] if m["available"]],
        "models_folder": args.models,
        "reviews": examples,
        "warm_up_answers": WARM_UP,
        "server": {name: importlib.metadata.version(name) for name in ("starlette", "uvicorn")},
        "sequential": sequential,
        "concurrent": concurrent,
    }
    table = [["clients", "answers", "median", "95th percentile", "answers per second"]]
    table += [
        [str(n), str(t["answers"]), f"{t['median_ms']:.0f} ms", f"{t['p95_ms']:.0f} ms"]
        + [f"{t['answers_per_second']:.1f}"]
        for n, t in ((1, sequential), (args.clients, concurrent))
    ]
    write_report(Path(args.output), "bench_demo.json", report, table)


def add_count(
    parser: argparse.ArgumentParser, flag: str, default: int, what: str, least: int = 1
) -> None:
    text = f"{what} (default: %(default)s)"
    parser.add_argument(flag, type=int_at_least(least), default=default, metavar="N", help=text)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
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
    answers = commands.add_parser("demo", help="make demo's answers, one client and several")
    answers.add_argument(
        "--models",
        default="results",
        metavar="DIR",
        help="the folder of trained models the demo serves (default: %(default)s)",
    )
    what = "answers timed one after the other, and again at once"
    add_count(answers, "--requests", 300, what, least=2)  # a percentile needs two
    add_count(answers, "--clients", 4, "clients asking at once in the second part")
    add_output_flag(answers, "results/bench-demo", "bench_demo.json")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    {"steps": steps, "demo": demo_answers}[args.command](args)


if __name__ == "__main__":
    common.run(main)
