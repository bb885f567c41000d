"""The four scripts under JAX and PyTorch, end to end on tiny data, and a model trained
under JAX read by predict.py under TensorFlow. They need .venv-jax and .venv-torch, which
`make test-backends` builds before running these tests (CI runs it after `make test`);
`make test` leaves them out."""

import json
import sys

import pytest
from conftest import (
    ONE_THREAD,
    RESUMED_THE_SAME,
    ROOT,
    TINY,
    TINY_MAKE,
    kill_in_second_epoch,
    run_command,
)

from imdb_lstm.paths import VENVS
from imdb_lstm.variants import VARIANTS

pytestmark = pytest.mark.backends

BACKENDS = ["jax", "torch"]
# predict.py under TensorFlow agrees with JAX to this many float32 rounding steps.
PROBABILITY_TOLERANCE = 1e-5
REVIEWS = [
    "A great, moving and brilliant film.",
    "Awful, boring and tedious: a dreadful plot.",
    "The actor, the scene, the plot.",
]


def backend_python(backend: str) -> str:
    python = ROOT / VENVS[backend] / "bin" / "python"
    if not python.exists():
        pytest.fail(f"{python} is missing: run make test-backends, which builds it")
    return str(python)


def make_with(backend: str, target: str, *variables: str):
    """`make TARGET BACKEND=...` with that backend's environment, already built."""
    venv = f"{VENVS[backend]}/.installed"
    command = ["make", "-o", venv, target, f"BACKEND={backend}", f"PY={backend_python(backend)}"]
    return run_command(*command, *variables)


@pytest.fixture(scope="module", params=BACKENDS)
def run_all_under(request, stanford_tarball, tmp_path_factory):
    """make run-all BACKEND=... on tiny data: the four scripts trained, then compared."""
    backend = request.param
    output = tmp_path_factory.mktemp(f"run-all-{backend}")
    result = make_with(
        backend, "run-all", f"DATA={stanford_tarball}", f"OUTPUT={output}", *TINY_MAKE
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return backend, output


def test_every_script_trains_and_records_its_backend(run_all_under):
    backend, output = run_all_under
    for variant in VARIANTS:
        run = json.loads((output / f"{variant}.json").read_text())
        assert run["versions"]["backend"] == backend
        assert run["versions"][backend] != "unknown"
        assert run["parameters"] == (216_405 if variant == "cnn_lstm" else 213_301)
        # Keras's "auto": JAX compiles every step with XLA, PyTorch runs it eagerly.
        assert run["jit_compile"] is (backend == "jax")
        assert (run["train_reviews"], run["test_reviews"]) == (100, 100)
    assert f"backend {backend}" in (output / "RESULTS.md").read_text()


def predictions(python: str, model, backend: str) -> list[float]:
    result = run_command(
        python, "predict.py", "--model", str(model), "--json", *REVIEWS,
        env={"KERAS_BACKEND": backend},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return [review["probability_positive"] for review in json.loads(result.stdout)]


@pytest.mark.parametrize("run_all_under", ["jax"], indirect=True)
def test_a_jax_model_reads_the_same_under_tensorflow(run_all_under):
    _, output = run_all_under
    model = output / "cnn_lstm.keras"
    under_jax = predictions(backend_python("jax"), model, "jax")
    under_tensorflow = predictions(sys.executable, model, "tensorflow")
    assert under_jax == pytest.approx(under_tensorflow, abs=PROBABILITY_TOLERANCE)


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_runs_with_one_seed_agree(backend, stanford_tarball, tmp_path):
    """make reproduce: the Dropout-layer model twice with one seed."""
    variables = [f"DATA={stanford_tarball}", f"OUTPUT={tmp_path}", *TINY_MAKE]
    result = make_with(backend, "reproduce", "VARIANT=lstm_dropout_layers.py", *variables)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "Reproducible" in result.stdout


def test_a_killed_run_resumes_exactly(run_all_under, stanford_tarball, tmp_path):
    """Killed in its second epoch and started again, the Dropout-layer model ends as
    make run-all's run of it, never stopped, with the same flags and thread counts
    (Python's random state and, on PyTorch, torch's global generator restored)."""
    backend, output = run_all_under
    stopped = [backend_python(backend), "lstm_dropout_layers.py", "--data", str(stanford_tarball),
               *TINY, "--output", str(tmp_path)]  # fmt: skip
    env = {**ONE_THREAD, "KERAS_BACKEND": backend}
    kill_in_second_epoch(*stopped, progress_file=tmp_path / "progress.jsonl", env=env)
    resumed = run_command(*stopped, env=env)
    assert resumed.returncode == 0, resumed.stdout[-2000:] + resumed.stderr[-2000:]
    expected = json.loads((output / "lstm_dropout_layers.json").read_text())
    got = json.loads((tmp_path / "lstm_dropout_layers.json").read_text())
    assert got["versions"]["backend"] == backend and got["threads"] == expected["threads"]
    assert {key: got[key] == expected[key] for key in RESUMED_THE_SAME} == dict.fromkeys(
        RESUMED_THE_SAME, True
    )
    assert (got["resumed_from_epoch"], expected["resumed_from_epoch"]) == (2, None)
