"""The four scripts end to end, as a user runs them: output, results, models, errors."""

import json

import pytest
from conftest import ROOT, assert_clean_error, run_command

from imdb_lstm.variants import SCRIPTS

TINY = ["--epochs", "1", "--max-samples", "64"]


def train(script, data, output, *flags):
    return run_command(script, "--data", str(data), "--output", str(output), *TINY, *flags)


@pytest.mark.parametrize("script", ["lstm_basic.py", "lstm_recurrent_dropout.py"])
def test_same_seed_gives_identical_results(script, stanford_tarball, tmp_path):
    """lstm_basic runs with op determinism, lstm_recurrent_dropout with XLA on CPU."""
    runs = []
    for i in (1, 2):
        result = train(script, stanford_tarball, tmp_path / str(i))
        assert result.returncode == 0, result.stderr
        runs.append(json.loads((tmp_path / str(i) / script.replace(".py", ".json")).read_text()))
    for key in ("test_accuracy", "test_loss", "history"):
        assert runs[0][key] == runs[1][key]


def test_results_json_says_what_was_run(stanford_dir, tmp_path):
    result = train("cnn_lstm.py", stanford_dir, tmp_path, "--seed", "3", "--batch-size", "32")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].startswith("Accuracy: ")
    run = json.loads((tmp_path / "cnn_lstm.json").read_text())
    assert run["variant"] == "cnn_lstm"
    assert run["parameters"] == 216_405
    assert (run["seed"], run["batch_size"], run["epochs"]) == (3, 32, 1)
    assert (run["train_reviews"], run["test_reviews"]) == (64, 64)
    assert run["data"] == str(stanford_dir)
    assert len(run["history"]["loss"]) == len(run["epoch_seconds"]) == 1
    assert 0 <= run["test_accuracy"] <= 1 and run["peak_memory_mb"] > 100
    assert run["versions"]["backend"] == "tensorflow" and "tensorflow" in run["versions"]
    shown = float(result.stdout.strip().splitlines()[-1].split()[1].rstrip("%"))
    assert shown == pytest.approx(run["test_accuracy"] * 100, abs=0.005)
    assert (tmp_path / "cnn_lstm.keras").stat().st_size > 100_000


def test_imdb_data_environment_variable_is_the_default(stanford_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("IMDB_DATA", str(stanford_dir))
    result = run_command("lstm_basic.py", "--output", str(tmp_path), *TINY)
    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / "lstm_basic.json").read_text())["data"] == str(stanford_dir)


@pytest.mark.parametrize(
    "flags, complaint",
    [
        (["--epochs", "0"], "--epochs: must be at least 1"),
        (["--batch-size", "-1"], "--batch-size: must be at least 1"),
        (["--max-samples", "abc"], "--max-samples: 'abc' is not a whole number"),
        (["--seed", "x"], "--seed: 'x' is not a whole number"),
        (["--seed", "-1"], "--seed: must be at least 0, got -1"),
        (["--no-such-flag"], "unrecognized arguments"),
    ],
)
def test_bad_flags_are_rejected_by_argparse(flags, complaint):
    result = run_command("lstm_basic.py", *flags)
    assert result.returncode == 2
    assert complaint in result.stderr and "Traceback" not in result.stderr


def test_help_shows_the_defaults():
    result = run_command("lstm_dropout_layers.py", "--help")
    assert result.returncode == 0
    for text in ("(default: 3)", "(default: 64)", "(default: 7)", "(default: results)"):
        assert text in " ".join(result.stdout.split())


def test_no_data_and_no_network_is_one_clear_line(tmp_path):
    result = run_command("lstm_basic.py", "--output", str(tmp_path))
    assert_clean_error(result, "could not download keras.datasets.imdb", "--data", "IMDB_DATA")


def test_missing_data_path_is_one_clear_line(tmp_path):
    result = run_command("lstm_basic.py", "--data", str(tmp_path / "missing.tar.gz"))
    assert_clean_error(result, "missing.tar.gz", "no such file")


def test_output_that_is_not_a_folder_is_one_clear_line(stanford_dir, tmp_path):
    blocked = tmp_path / "results"
    blocked.write_text("a file where the results folder should be")
    result = train("lstm_basic.py", stanford_dir, blocked)
    assert_clean_error(result, "could not write results")
    assert blocked.read_text() == "a file where the results folder should be"


def test_scripts_differ_only_in_docstring_and_model():
    """`diff lstm_basic.py cnn_lstm.py` shows the docstring and the model lines only."""
    import difflib

    base = (ROOT / "lstm_basic.py").read_text().splitlines()
    for script in SCRIPTS[1:]:
        other = (ROOT / script).read_text().splitlines()
        body_start = base.index("def main(argv: list[str] | None = None) -> None:")
        changed = [
            line[1:]
            for line in difflib.unified_diff(base, other, lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))
        ]
        assert changed, script
        assert not set(changed) & set(base[body_start:]), script


def test_shuffled_batches_for_other_backends_cover_every_review_each_epoch():
    import common

    import numpy as np

    batches = common._ShuffledBatches(np.arange(10) * 10, np.arange(10), batch_size=4, seed=0)
    epochs = []
    for _ in range(2):
        rows = [batches[i] for i in range(len(batches))]
        assert [len(y) for _, y in rows] == [4, 4, 2]
        assert all((x == y * 10).all() for x, y in rows)  # reviews stay with their labels
        epochs.append([int(v) for _, y in rows for v in y])
        batches.on_epoch_end()
    assert sorted(epochs[0]) == sorted(epochs[1]) == list(range(10))
    assert epochs[0] != epochs[1]  # a new order every epoch


def test_shuffled_batches_on_tensorflow_reshuffle_every_epoch():
    import common

    import numpy as np

    batches = common.shuffled_batches(np.arange(10) * 10, np.arange(10), batch_size=4, seed=0)
    epochs = [[int(v) for _, y in batches for v in y.numpy()] for _ in range(2)]
    assert [len(y) for _, y in batches] == [4, 4, 2]
    assert sorted(epochs[0]) == sorted(epochs[1]) == list(range(10))
    assert epochs[0] != epochs[1]
