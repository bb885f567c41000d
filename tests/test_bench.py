"""bench.py: the FLOP counts it reports, and a fast run of the whole benchmark."""

import importlib
import json

import pytest
from conftest import run_command

import bench


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
        "bench.py", "--variants", "cnn_lstm", "--repeats", "2", "--warmup", "1",
        "--batch-size", "4", "--output", str(tmp_path), "--data", str(stanford_tarball),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert "cnn_lstm" in result.stdout and "Matrix-multiply peak" in result.stdout
    report = json.loads((tmp_path / "bench.json").read_text())
    assert report["matmul_peak_gflops"] > 0
    cnn = report["variants"]["cnn_lstm"]
    for setup in ("tutorial", "xla_off", "xla_on"):
        timing = cnn[setup]["train_step_seconds"]
        assert 0 < timing["min"] <= timing["median"] <= timing["max"]
    assert cnn["tutorial"]["eval_batch_size"] == 32 and cnn["xla_off"]["eval_batch_size"] == 500
    assert cnn["train_speedup"] > 0 and cnn["project"] in ("xla_on", "xla_off")
    loading = report["loading"]
    assert loading["encode_seconds"] > 0 and loading["cached_seconds"] > 0
    assert loading["padded_arrays_mb"] == 2 * 120 * 500 * 4 / 2**20
    assert 0 < loading["raw_text_mb"] < 1 and loading["encode_peak_mb"] > 0
