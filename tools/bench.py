"""
Title: Benchmark of the four models, the project's settings against the tutorial's
Description: times one training step (64 reviews x 500 words) and evaluation of each
model on fixed synthetic batches, with XLA off and on, against the model compiled and
evaluated as the tutorial's listing does (Keras defaults). Reports the median and
spread, reviews per second, estimated GFLOP/s and the share of this machine's
measured matrix-multiply peak, and writes results/bench.json.

The ratio per variant is the number to read: machines here are shared and noisy, so
absolute times differ between runs, while both sides of a ratio run in one process.
"""

import common

import argparse
import contextlib
import functools
import os
import statistics
import tarfile
import tempfile
import time
import timeit
import tracemalloc
from pathlib import Path

import keras
import numpy as np

from imdb_lstm import backend, files, machine
from imdb_lstm import data as imdb_data
from imdb_lstm.cli import add_output_flag, positive_int, title
from imdb_lstm.variants import EXTENSIONS, VARIANTS, XLA_FASTER_ON_CPU
from tools.script_models import compiled_model, script

TUTORIAL_EVAL_BATCH = 32  # model.evaluate's default, which the tutorial uses


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=title(__doc__))
    parser.add_argument(
        "--variants",
        nargs="+",
        choices=VARIANTS + EXTENSIONS,
        default=VARIANTS,
        help=f"models to time (default: the four; the extensions: {', '.join(EXTENSIONS)})",
    )
    parser.add_argument(
        "--repeats",
        type=positive_int,
        default=10,
        metavar="N",
        help="timed steps per measurement (default: %(default)s)",
    )
    parser.add_argument(
        "--warmup",
        type=positive_int,
        default=3,
        metavar="N",
        help="untimed steps first, compilation included (default: %(default)s)",
    )
    parser.add_argument(
        "--batch-size",
        type=positive_int,
        default=script(VARIANTS[0]).BATCH_SIZE,
        metavar="N",
        help="reviews per training step (default: the scripts' BATCH_SIZE, %(default)s)",
    )
    parser.add_argument(
        "--data",
        metavar="PATH",
        help="also time loading this data set (aclImdb_v1.tar.gz, aclImdb/, imdb.npz or a "
        "CSV file), encoding it afresh and from the cache, and trace the memory it takes",
    )
    add_output_flag(parser, "results", "bench.json")
    return parser.parse_args(argv)


def time_calls(step, warmup: int, repeats: int) -> dict[str, float]:
    """Seconds per call of `step()`: median, min and max of `repeats` after `warmup`."""
    for _ in range(warmup):
        step()
    return summary(timeit.repeat(step, number=1, repeat=repeats))


def timed(step) -> float:
    return timeit.timeit(step, number=1)


def summary(seconds: list[float]) -> dict[str, float]:
    return {"median": statistics.median(seconds), "min": min(seconds), "max": max(seconds)}


def matmul_peak_gflops(size: int = 2048, repeats: int = 5) -> float:
    """This machine's float32 matrix-multiply rate through the Keras backend."""
    a = keras.ops.convert_to_tensor(np.random.default_rng(0).random((size, size), np.float32))
    seconds = time_calls(lambda: keras.ops.convert_to_numpy(keras.ops.matmul(a, a)), 1, repeats)
    return 2 * size**3 / seconds["min"] / 1e9


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


# The set-ups timed for every model: (jit_compile, evaluation batch size). Each runs
# as the scripts run it: with op determinism, except XLA, which Keras refuses under it.
SETUPS = {
    "tutorial": ("auto", TUTORIAL_EVAL_BATCH),  # compile() and evaluate() defaults
    "xla_off": (False, common.EVAL_BATCH_SIZE),
    "xla_on": (True, common.EVAL_BATCH_SIZE),
}
# As in the scripts, XLA models are compiled with op determinism off, the others with it
# on; then all are timed with it on.
BUILD_ORDER = [["xla_on"], ["tutorial", "xla_off"]]


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


def time_interleaved(steps: dict[str, dict], repeats: int) -> dict[str, dict]:
    """Seconds of each variant's train and eval steps in each set-up, round by round over
    all of them, so that the machine's drift affects every variant and set-up alike."""
    seconds = {name: {setup: ([], []) for setup in setups} for name, setups in steps.items()}
    for _ in range(repeats):
        for name, setups in steps.items():
            for setup, (train, evaluate) in setups.items():
                seconds[name][setup][0].append(timed(train))
                seconds[name][setup][1].append(timed(evaluate))
    return seconds


def bench_variant(name: str, seconds: dict, args: argparse.Namespace, peak: float) -> dict:
    """One variant's timings (`time_interleaved`): per set-up, steps per second, GFLOP/s
    and the share of the machine's peak; the project's set-up against the tutorial's."""
    flops = forward_flops_per_review(script(name).build_model())
    xla_faster = name in XLA_FASTER_ON_CPU
    result = {"forward_flops_per_review": flops, "xla_faster_on_cpu": xla_faster}
    for setup, (train_seconds, eval_seconds) in seconds.items():
        train, evaluate = summary(train_seconds), summary(eval_seconds)
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


def review_megabytes(path: Path) -> float:
    """The size of the raw review files in a Stanford archive or folder, or of a CSV
    file of reviews, uncompressed."""
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*.txt")) / 2**20
    if not tarfile.is_tarfile(path):
        with files.open_uncompressed(path) as file:
            return len(file.read()) / 2**20
    with tarfile.open(path, "r:gz") as archive:
        return sum(m.size for m in archive if m.name.endswith(".txt")) / 2**20


@contextlib.contextmanager
def empty_keras_cache():
    """Points the Keras cache at an empty folder, so the data is encoded afresh."""
    previous = os.environ.get("KERAS_HOME")
    with tempfile.TemporaryDirectory() as home:
        os.environ["KERAS_HOME"] = home
        try:
            yield
        finally:
            if previous is None:
                del os.environ["KERAS_HOME"]
            else:
                os.environ["KERAS_HOME"] = previous


def bench_loading(data: str) -> dict:
    """Seconds to load the data set, encoding it afresh and from the cache, and the peak
    memory that encoding allocates, against what it must hold: the padded arrays and
    the raw text."""
    listing = script(VARIANTS[0])  # all four read the same data
    shape = (listing.TOP_WORDS, listing.MAX_REVIEW_LENGTH)
    result = {}
    with empty_keras_cache():
        for label in ("encode", "cached"):
            start = time.perf_counter()
            common.load_imdb(data, *shape)
            result[f"{label}_seconds"] = time.perf_counter() - start
    with empty_keras_cache():
        tracemalloc.start()
        loaded = common.load_imdb(data, *shape)
        result["encode_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    start = time.perf_counter()
    imdb_data.fingerprint(Path(data).expanduser())  # what every cached load pays
    result["fingerprint_seconds"] = time.perf_counter() - start
    result["padded_arrays_mb"] = (loaded.x_train.nbytes + loaded.x_test.nbytes) / 2**20
    result["raw_text_mb"] = review_megabytes(Path(data).expanduser()) if loaded.encoding else 0.0
    print(
        f"Loading {data}: {result['encode_seconds']:.1f} s encoding the raw text, "
        f"{result['cached_seconds']:.1f} s from the cache (of which "
        f"{result['fingerprint_seconds']:.2f} s to fingerprint the data); encoding "
        f"allocates at most {result['encode_peak_mb']:.0f} MB for "
        f"{result['padded_arrays_mb']:.0f} MB of padded arrays and "
        f"{result['raw_text_mb']:.0f} MB of raw text",
        flush=True,
    )
    return result


def print_table(results: dict, peak: float) -> None:
    print(f"\nMatrix-multiply peak (float32, measured): {peak:.0f} GFLOP/s")
    print("Training step, ms (median): the tutorial's set-up, XLA off, XLA on; the project")
    print("uses the set-up its script chose. Evaluation: reviews per second.\n")
    header = (
        f"{'variant':24s} {'tutorial':>8s} {'XLA off':>8s} {'XLA on':>8s} {'project':>8s} "
        f"{'speedup':>7s} {'GFLOP/s':>7s} {'% peak':>6s} {'eval tut':>8s} {'eval prj':>8s} "
        f"{'speedup':>7s}"
    )
    print(header)
    print("-" * len(header))
    for name, r in results.items():
        step_ms = {s: r[s]["train_step_seconds"]["median"] * 1e3 for s in SETUPS}
        project = r[r["project"]]
        print(
            f"{name:24s} {step_ms['tutorial']:8.1f} {step_ms['xla_off']:8.1f} "
            f"{step_ms['xla_on']:8.1f} {r['project'].replace('_', ' '):>8s} "
            f"{r['train_speedup']:6.2f}x {project['train_gflops']:7.1f} "
            f"{project['train_fraction_of_peak'] * 100:5.1f}% "
            f"{r['tutorial']['eval_reviews_per_second']:8.0f} "
            f"{project['eval_reviews_per_second']:8.0f} {r['eval_speedup']:6.2f}x"
        )


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    peak = matmul_peak_gflops()
    print(
        f"Timing {len(args.variants)} models on {machine.machine_description()} ...",
        flush=True,
    )
    loading = bench_loading(args.data) if args.data else None
    seconds = time_interleaved(compile_all(args.variants, args), args.repeats)
    results = {name: bench_variant(name, seconds[name], args, peak) for name in args.variants}
    print_table(results, peak)
    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    files.write_json(
        output / "bench.json",
        {
            **machine.provenance(),
            "batch_size": args.batch_size,
            "repeats": args.repeats,
            "matmul_peak_gflops": peak,
            "variants": results,
            "loading": loading,
        },
    )
    print(f"\nWrote {output / 'bench.json'}")


if __name__ == "__main__":
    common.run(main)
