"""tools/bench.py: the FLOP counts it reports, that it times what the scripts run, and a
fast run of the whole benchmark."""

import importlib
import json
import sys

import pytest
from conftest import run_command

from tools import bench


@pytest.mark.parametrize(
    "variant, flops",
    [
        # LSTM: 500 steps x 2 x 4 gates x 100 units x (32 inputs + 100 state); Dense: 2 x 100
        ("lstm_basic", 500 * 2 * 4 * 100 * 132 + 200),
        ("lstm_recurrent_dropout", 500 * 2 * 4 * 100 * 132 + 200),
        # Conv1D: 500 positions x 2 x 3 taps x 32 in x 32 out; the LSTM reads 250 steps
        ("cnn_lstm", 500 * 2 * 3 * 32 * 32 + 250 * 2 * 4 * 100 * 132 + 200),
    ],
)
def test_forward_flops_per_review(variant, flops):
    model = importlib.import_module(variant).build_model()
    assert bench.forward_flops_per_review(model) == flops


def test_bench_runs_and_writes_its_results(stanford_tarball, tmp_path):
    result = run_command(
        sys.executable, "-m", "tools.bench", "--variants", "cnn_lstm",
        "--repeats", "2", "--warmup", "1", "--batch-size", "4",
        "--output", str(tmp_path), "--data", str(stanford_tarball),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert "cnn_lstm" in result.stdout and "Matrix-multiply peak" in result.stdout
    report = json.loads((tmp_path / "bench.json").read_text())
    assert report["matmul_peak_gflops"] > 0
    cnn = report["variants"]["cnn_lstm"]
    assert sorted(cnn["tutorial"]["train_step_seconds"]) == ["max", "median", "min"]
    assert cnn["tutorial"]["eval_batch_size"] == 32 and cnn["xla_off"]["eval_batch_size"] == 500
    # On a CPU without GPU, cnn_lstm's script keeps XLA off: that is the project's set-up.
    assert cnn["project"] == "xla_off"
    step = {s: cnn[s]["train_step_seconds"]["median"] for s in ("tutorial", "xla_off")}
    assert cnn["train_speedup"] == step["tutorial"] / step["xla_off"]
    loading = report["loading"]
    assert loading["padded_arrays_mb"] == 2 * 120 * 500 * 4 / 2**20  # int32 reviews
    raw = sum(p.stat().st_size for p in stanford_tarball.parent.glob("aclImdb/*/*/*.txt"))
    assert loading["raw_text_mb"] == raw / 2**20
    assert loading["fingerprint_seconds"] < loading["cached_seconds"]


def test_xla_models_are_compiled_before_op_determinism_turns_on(monkeypatch):
    """Keras refuses XLA once op determinism is on, and it cannot be turned off: the
    XLA models come first, then every other set-up runs with it, as the scripts do."""
    events = []
    monkeypatch.setattr(bench.common, "enable_op_determinism", lambda: events.append("on"))
    monkeypatch.setattr(
        bench, "compiled_steps", lambda variant, setup, args: events.append(setup) or setup
    )
    steps = bench.compile_all(["lstm_basic", "cnn_lstm"], args=None)
    assert events == ["xla_on", "xla_on", "on", "tutorial", "xla_off", "tutorial", "xla_off"]
    assert list(steps["cnn_lstm"]) == ["tutorial", "xla_off", "xla_on"]


def test_models_are_built_and_compiled_by_the_scripts_own_code(monkeypatch):
    """A script whose training set-up changes is timed with the new one."""
    import cnn_lstm

    compiled = []

    def compile_model(model, jit_compile):
        compiled.append((model.count_params(), jit_compile))
        model.compile(loss="mse", optimizer="sgd")

    monkeypatch.setattr(cnn_lstm, "compile_model", compile_model)
    args = bench.parse_args(["--batch-size", "2", "--warmup", "1"])
    bench.compiled_steps(cnn_lstm, "xla_off", args)
    assert compiled == [(216_405, False)]
    assert args.batch_size == 2 and bench.parse_args([]).batch_size == 64
