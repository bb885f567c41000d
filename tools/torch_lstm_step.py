"""
Title: Why one training step of Keras's LSTM is slow on PyTorch without a GPU
Description: a minimal reproduction for Keras's maintainers, in Keras and PyTorch only.
It times one training step of Embedding(5000, 32) -> LSTM(100) -> Dense(1) on 64 random
reviews of 500 words (the tutorial's simple LSTM) under KERAS_BACKEND=torch, with Keras's
default LSTM path and with `use_cudnn=False`, and profiles the default one. Then it
times the pattern behind it in plain PyTorch: a loop over the 500 steps that reads
`x_proj[t]` from one tensor of every step's input projection, against the same loop over
`x_proj.unbind(0)`. Writes the timings and the profile's top operations as JSON.

    KERAS_BACKEND=torch python -m tools.torch_lstm_step --output results/torch-lstm-step.json
"""

import argparse
import json
import os
import sys
import time
from collections.abc import Callable

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

STEPS, BATCH, UNITS, FEATURES = 500, 64, 100, 32


def keras_step_seconds(lstm_options: dict, repeats: int) -> tuple[list[float], Callable]:
    """Seconds per training step of the tutorial's simple LSTM, and the step itself."""
    keras.utils.set_random_seed(7)
    model = keras.Sequential(
        [
            keras.Input((STEPS,)),
            keras.layers.Embedding(5000, FEATURES),
            keras.layers.LSTM(UNITS, **lstm_options),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(loss="binary_crossentropy", optimizer="adam")
    rng = np.random.default_rng(0)
    x = rng.integers(1, 5000, (BATCH, STEPS)).astype("int32")
    y = rng.integers(0, 2, (BATCH, 1)).astype("float32")
    model.train_on_batch(x, y)  # builds the optimizer
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.train_on_batch(x, y)
        seconds.append(time.perf_counter() - start)
    return seconds, lambda: model.train_on_batch(x, y)


def plain_torch_seconds(unbind: bool) -> float:
    """Forward and backward of an LSTM-like loop over one (steps, batch, 4 units) tensor."""
    torch.manual_seed(0)
    x_proj = torch.randn(STEPS, BATCH, 4 * UNITS, requires_grad=True)
    recurrent = torch.randn(UNITS, 4 * UNITS, requires_grad=True)
    start = time.perf_counter()
    h = torch.zeros(BATCH, UNITS)
    c = torch.zeros(BATCH, UNITS)
    inputs = x_proj.unbind(0) if unbind else (x_proj[t] for t in range(STEPS))
    for x_t in inputs:
        i, f, g, o = torch.chunk(x_t + h @ recurrent, 4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
    h.sum().backward()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="(default: %(default)s)")
    parser.add_argument("--output", default="results/torch-lstm-step.json")
    args = parser.parse_args(argv)
    if keras.backend.backend() != "torch":
        sys.exit("error: run it with KERAS_BACKEND=torch")

    default, step = keras_step_seconds({}, args.repeats)
    with torch.profiler.profile() as profile:
        step()
    top = [
        {"name": e.key, "calls": e.count, "self_cpu_seconds": e.self_cpu_time_total / 1e6}
        for e in sorted(profile.key_averages(), key=lambda e: -e.self_cpu_time_total)[:8]
    ]
    no_cudnn, _ = keras_step_seconds({"use_cudnn": False}, args.repeats)
    report = {
        "what": "one training step, 64 reviews x 500 words, LSTM(100), KERAS_BACKEND=torch, CPU",
        "keras_default_step_seconds": default,
        "keras_use_cudnn_false_step_seconds": no_cudnn,
        "default_step_profile_top": top,
        "plain_torch_loop_seconds": {
            "x_proj[t]": plain_torch_seconds(unbind=False),
            "x_proj.unbind(0)": plain_torch_seconds(unbind=True),
        },
        "threads": {
            "intra_op": torch.get_num_threads(),
            "inter_op": torch.get_num_interop_threads(),
        },
        "versions": {"keras": keras.__version__, "torch": torch.__version__},
        "cpu": next(
            (
                line.split(":", 1)[1].strip()
                for line in open("/proc/cpuinfo")
                if "model name" in line
            ),
            "",
        ),
    }
    os.makedirs(os.path.dirname(args.output) or ".", exist_ok=True)
    with open(args.output + ".tmp", "w") as file:  # then renamed: never half-written
        json.dump(report, file, indent=2)
    os.replace(args.output + ".tmp", args.output)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
