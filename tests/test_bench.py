"""tools/bench.py: that it times what the scripts run, and a fast run of `bench steps`."""

import ast
import json
import sys

import pytest
from conftest import ROOT, run_command

from imdb_lstm.variants import EXTENSION_SCRIPTS, SCRIPTS
from tools import bench


@pytest.mark.slow
def test_bench_steps_runs_and_writes_its_results(tmp_path):
    result = run_command(
        sys.executable, "-m", "tools.bench", "steps", "--variants", "cnn_lstm",
        "--repeats", "2", "--warmup", "1", "--batch-size", "4", "--output", str(tmp_path),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert "cnn_lstm" in result.stdout and f"Wrote {tmp_path / 'bench.json'}" in result.stdout
    report = json.loads((tmp_path / "bench.json").read_text())
    assert report["batch_size"] == 4 and report["repeats"] == 2
    cnn = report["variants"]["cnn_lstm"]
    assert sorted(cnn["tutorial"]["train_step_seconds"]) == ["max", "median", "min"]
    assert cnn["tutorial"]["eval_batch_size"] == 32 and cnn["xla_off"]["eval_batch_size"] == 500
    # On a CPU without GPU, cnn_lstm's script keeps XLA off: that is the project's set-up.
    assert cnn["project"] == "xla_off"


def test_a_mistyped_flag_is_refused(capsys):
    with pytest.raises(SystemExit):
        bench.parse_args(["steps", "--epochs", "1"])
    assert "unrecognized arguments: --epochs 1" in capsys.readouterr().err


def test_xla_models_are_compiled_with_op_determinism_off_the_others_with_it_on(monkeypatch):
    """Keras refuses XLA while op determinism is on: as in the scripts, the XLA models
    are compiled with it off, then every other set-up with it on."""
    events = []
    monkeypatch.setattr(
        bench.backend, "op_determinism", lambda on: events.append("on" if on else "off")
    )
    monkeypatch.setattr(
        bench, "compiled_steps", lambda variant, setup, args: events.append(setup) or setup
    )
    steps = bench.compile_all(["lstm_basic", "cnn_lstm"], args=None)
    assert events == [
        *["off", "xla_on", "xla_on"],
        *["on", "tutorial", "xla_off", "tutorial", "xla_off"],
    ]
    assert list(steps["cnn_lstm"]) == ["tutorial", "xla_off", "xla_on"]


def test_models_are_built_by_the_scripts_own_code(monkeypatch):
    """A script whose model changes is timed with the new one."""
    import keras

    import cnn_lstm

    def tiny_model():
        return keras.Sequential([keras.Input((500,)), keras.layers.Dense(1)])

    monkeypatch.setattr(cnn_lstm, "build_model", tiny_model)
    args = bench.parse_args(["steps", "--batch-size", "2", "--warmup", "1"])
    train, _ = bench.compiled_steps("cnn_lstm", "xla_off", args)
    assert train.func.__self__.count_params() == 501
    assert args.batch_size == 2 and bench.parse_args(["steps"]).batch_size == 64


def compile_call(script: str) -> dict[str, str]:
    """The keywords of the model.compile(...) call in a script's main(), as source."""
    tree = ast.parse((ROOT / script).read_text())
    main = next(node for node in tree.body if getattr(node, "name", "") == "main")
    calls = [node for node in ast.walk(main) if isinstance(node, ast.Call)]
    compile_ = next(call for call in calls if ast.unparse(call.func) == "model.compile")
    return {keyword.arg: ast.unparse(keyword.value) for keyword in compile_.keywords}


@pytest.mark.parametrize("script", SCRIPTS + EXTENSION_SCRIPTS)
def test_the_tools_compile_as_every_script_does(script):
    """The tutorial's compile line stands in each script; the tools time the same one."""
    assert compile_call(script) == {
        "loss": "'binary_crossentropy'",
        "optimizer": "'adam'",
        "metrics": "['accuracy']",
        "jit_compile": "run.jit_compile",
    }
    tutorial = {"loss": "binary_crossentropy", "optimizer": "adam", "metrics": ["accuracy"]}
    assert bench.COMPILE == tutorial
