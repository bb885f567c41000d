"""`make run-all`, `make reproduce`, `make seeds` and tools/compare.py: each run end to
end once, the rest in-process."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import (
    ONE_THREAD,
    ROOT,
    TINY,
    TINY_MAKE,
    assert_clean_error,
    make,
    png_size,
    process_tree,
    processes_of_group,
    run_command,
)

from imdb_lstm import cli, results
from imdb_lstm import flags as script_flags
from imdb_lstm.errors import UserError
from imdb_lstm.variants import EXTENSION_SCRIPTS, EXTENSIONS, SCRIPTS, VARIANTS
from tools import compare, run_all


def table_rows(markdown: str) -> list[list[str]]:
    """The cells of every table row in `markdown` but the first table's header."""
    lines = [line for line in markdown.splitlines() if line.startswith("| ")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[1:]]


def test_run_all_trains_every_variant_and_compares_them(run_all_output):
    """EXTENSIONS=1: the four, then the three extensions, in one report."""
    printed = (run_all_output / "make.log").read_text()
    for i, script in enumerate(SCRIPTS + EXTENSION_SCRIPTS, start=1):
        assert (run_all_output / f"{Path(script).stem}.json").exists()
        # The result reads as a result, not as progress.
        assert re.search(rf"^\[{i}/7\] {script} \.\.\. accuracy \d+\.\d\d% in ", printed, re.M)
    rows = table_rows((run_all_output / "RESULTS.md").read_text())
    assert [row[0] for row in rows] == VARIANTS + EXTENSIONS
    width, height = png_size((run_all_output / "curves.png").read_bytes())
    assert width > 1000 and height > 400


def test_the_logs_are_written_for_reading(run_all_output):
    """No control characters or progress bars: a line per epoch, as Keras's verbose=2."""
    for script in SCRIPTS:
        log = (run_all_output / f"{Path(script).stem}.log").read_text()
        assert "\x1b" not in log and "\r" not in log and "\b" not in log
        assert re.findall(r"^Epoch (\d)/2$", log, re.M) == ["1", "2"]
        assert len(re.findall(r"^2/2 - \d+s - ", log, re.M)) == 2  # two batches an epoch


def fake_run_script(results: dict[str, float]):
    """A stand-in for run_all.run_script: writes the results of the scripts named in
    `results` as if they had run, and fails the others."""

    def run_script(job, runs):
        variant = job.script.removesuffix(".py")
        if variant not in results:
            print(f"{job.label} ... FAILED (exit code 1) after 0s")
            return None
        run = fake_run(variant, results[variant])
        job.output.mkdir(parents=True, exist_ok=True)
        job.files.results.write_text(json.dumps(run))
        return run

    return run_script


def test_a_failing_variant_does_not_stop_the_others(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(
        run_all, "run_script", fake_run_script({"lstm_basic": 0.8, "cnn_lstm": 0.9})
    )
    scripts = ["lstm_basic.py", "no_such_variant.py", "cnn_lstm.py"]
    assert run_all.run_all(scripts, [], tmp_path) == 1
    captured = capsys.readouterr()
    assert "[2/3] no_such_variant.py ... FAILED" in captured.out
    assert "1 of 3 failed: no_such_variant.py" in captured.err
    rows = table_rows((tmp_path / "RESULTS.md").read_text())
    assert [row[:3] for row in rows] == [
        ["lstm_basic", "80.00%", "86.79%"],
        ["cnn_lstm", "90.00%", "86.36%"],
        ["no_such_variant", "failed", ""],
    ]


def test_a_failed_variant_leaves_no_stale_results(tmp_path, capsys):
    old = fake_run("lstm_dropout_layers", 0.99)
    (tmp_path / "lstm_dropout_layers.json").write_text(json.dumps(old))
    (tmp_path / "RESULTS.md").write_text("# Results\n| lstm_dropout_layers | 1 | 99.00% |\n")
    (tmp_path / "curves.png").write_bytes(b"the old picture")
    failing = tmp_path / "lstm_dropout_layers.py"
    failing.write_text("import sys\nsys.exit('error: no data')\n")
    assert run_all.main(["--scripts", str(failing), "--output", str(tmp_path)]) == 1
    assert "FAILED (exit code 1)" in capsys.readouterr().out
    # Nothing succeeded: no report, and the last one set aside beside the results.
    assert not (tmp_path / "RESULTS.md").exists() and not (tmp_path / "curves.png").exists()
    assert (tmp_path / "RESULTS.md.previous").read_text().startswith("# Results")
    assert (tmp_path / "curves.png.previous").read_bytes() == b"the old picture"
    # The old results are kept aside, not shown as this run's.
    assert not (tmp_path / "lstm_dropout_layers.json").exists()
    assert json.loads((tmp_path / "lstm_dropout_layers.json.previous").read_text()) == old


def test_failed_variants_are_marked_in_the_report(tmp_path):
    for run in [fake_run("lstm_basic", 0.87), fake_run("cnn_lstm", 0.99)]:
        (tmp_path / f"{run['variant']}.json").write_text(json.dumps(run))
    compare.main(["--results", str(tmp_path), "--failed", "cnn_lstm"])
    rows = table_rows((tmp_path / "RESULTS.md").read_text())
    assert [row[:3] for row in rows] == [
        ["lstm_basic", "87.00%", "86.79%"],
        ["cnn_lstm", "failed", "86.36%"],
    ]


def test_a_script_that_exits_0_without_results_counts_as_failed(tmp_path, capsys):
    quiet = tmp_path / "quiet.py"
    quiet.write_text("EPOCHS = 3\nBATCH_SIZE = 64\nSEED = 7\nprint('done, honestly')\n")
    assert run_all.main(["--scripts", str(quiet), "--output", str(tmp_path / "out")]) == 1
    captured = capsys.readouterr()
    assert "FAILED (exit code 0, but it wrote no" in captured.out
    assert "1 of 1 failed" in captured.err


@pytest.mark.slow
def test_make_reproduce_runs_twice_and_finds_identical_results(
    stanford_tarball, run_all_output, tmp_path
):
    """XLA's path: both runs of lstm_recurrent_dropout agree with each other and with
    run-all's run with the same flags and thread counts (tests/test_scripts.py checks
    op determinism's)."""
    variables = [f"DATA={stanford_tarball}", f"OUTPUT={tmp_path}", *TINY_MAKE]
    result = make("reproduce", "VARIANT=lstm_recurrent_dropout.py", *variables, env=ONE_THREAD)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Reproducible" in result.stdout
    runs = [
        json.loads((folder / "lstm_recurrent_dropout.json").read_text())
        for folder in (tmp_path / "reproduce-1", tmp_path / "reproduce-2", run_all_output)
    ]
    assert runs[0]["jit_compile"] is True
    for key in ("test_accuracy", "test_loss", "history"):
        assert runs[0][key] == runs[1][key] == runs[2][key]
    # What "the same machine" means, from the runs' JSON (versions as requirements.txt pins).
    said = next(line for line in result.stdout.splitlines() if line.startswith("The same machine"))
    assert said.startswith(f"The same machine, for these numbers: {runs[0]['machine']}, ")
    assert ", intra_op threads 1, inter_op threads 1, python " in said
    assert said.endswith(", keras 3.15.1, tensorflow 2.21.0, numpy 2.4.6.")


def test_the_scripts_seed_flag_is_not_taken_for_seeds():
    args, flags = run_all.parse_args(["--seed", "3", "--epochs", "1"])
    assert args.seeds is None and flags == ["--seed", "3", "--epochs", "1"]


def test_reproduce_reports_runs_that_differ(monkeypatch, tmp_path, capsys):
    runs = iter(
        [
            {"test_accuracy": 0.5, "test_loss": 0.7, "history": {}},
            {"test_accuracy": 0.5, "test_loss": 0.71, "history": {}},
        ]
    )
    monkeypatch.setattr(run_all, "run_script", lambda *args: next(runs))
    assert run_all.reproduce("lstm_basic.py", [], tmp_path) == 1
    assert "NOT reproducible: test_loss differ" in capsys.readouterr().err


def fake_run(variant, accuracy, **overrides):
    run = {
        "variant": variant,
        "test_accuracy": accuracy,
        "test_loss": 0.3456,
        "history": {"loss": [0.5, 0.3], "accuracy": [0.75, 0.9012]},
        "train_seconds": 122.4,
        "epoch_seconds": [60.0, 62.4],
        "evaluate_seconds": 21.4,
        "parameters": 213_301,
        "peak_memory_mb": 1234.4,
        "epochs": 2,
        "batch_size": 64,
        "seed": 7,
        "train_reviews": 25000,
        "test_reviews": 25000,
        "data": "aclImdb_v1.tar.gz",
        "backend": "tensorflow",
        "versions": {"python": "3.11", "keras": "3.15.1", "backend": "tensorflow"},
        "machine": "Test CPU (2 cores)",
        "date": "2026-11-27T12:00:00+00:00",
    }
    return {**run, **overrides}


def test_compare_builds_the_table_from_results(tmp_path):
    runs = [
        fake_run("cnn_lstm", 0.8700, parameters=216_405, train_seconds=45.0),
        fake_run("lstm_basic", 0.8712),
        fake_run("lstm_recurrent_dropout", 0.8100),
    ]
    for run in runs:
        (tmp_path / f"{run['variant']}.json").write_text(json.dumps(run))
    (tmp_path / "bench.json").write_text(json.dumps({"variants": {}}))  # not a run: ignored
    compare.main(["--results", str(tmp_path)])
    report = (tmp_path / "RESULTS.md").read_text()
    # One run each: no columns of a spread; the fastest epoch of [60.0, 62.4] is 60 s.
    assert "| variant | test accuracy | tutorial | difference (points) | test loss |" in report
    # fmt: off
    assert table_rows(report) == [
        ["lstm_basic", "87.12%", "86.79%", "+0.33", "0.3456", "90.12%",
         "60", "2m02s", "21s", "213,301", "1,234"],
        ["lstm_recurrent_dropout", "81.00%", "82.82%", "-1.82", "0.3456",
         "90.12%", "60", "2m02s", "21s", "213,301", "1,234"],
        ["cnn_lstm", "87.00%", "86.36%", "+0.64", "0.3456", "90.12%",
         "60", "45s", "21s", "216,405", "1,234"],
    ]
    # fmt: on
    assert "Test accuracy of each run" not in report
    assert "Machine: Test CPU (2 cores)" in report and "Epochs: 2, batch size 64, seed 7" in report
    assert "keras 3.15.1" in report
    png_size((tmp_path / "curves.png").read_bytes())


def test_compare_shows_the_extensions_beside_the_four(tmp_path):
    """The extensions' sweep, reported with the four variants' sweep of another folder."""
    extensions, four = tmp_path / "extensions", tmp_path / "seeds"
    for folder, runs in [
        (
            extensions,
            [fake_run("lstm_masked", 0.88, seed=7), fake_run("lstm_masked", 0.86, seed=1)],
        ),
        (four, [fake_run("lstm_basic", 0.84, seed=7), fake_run("lstm_basic", 0.85, seed=1)]),
    ]:
        for run in runs:
            (folder / str(run["seed"])).mkdir(parents=True, exist_ok=True)
            (folder / str(run["seed"]) / f"{run['variant']}.json").write_text(json.dumps(run))
    compare.main(["--seeds", "--results", str(extensions), "--beside", str(four)])
    rows = table_rows((extensions / "SEEDS.md").read_text())
    assert [row[:8] for row in rows[:2]] == [
        ["lstm_basic", "2", "84.50%", "0.71", "84.00% - 85.00%", "86.79%", "-2.29", "no"],
        ["lstm_masked", "2", "87.00%", "1.41", "86.00% - 88.00%", "", "", ""],  # no tutorial
    ]
    assert not (four / "SEEDS.md").exists()  # the report goes to --results only
    with pytest.raises(UserError, match="--beside .* goes with --seeds"):
        compare.main(["--results", str(extensions), "--beside", str(four)])


def test_compare_shows_settings_that_differ_between_runs(tmp_path):
    for run in [fake_run("lstm_basic", 0.8, seed=1), fake_run("cnn_lstm", 0.8, seed=2)]:
        (tmp_path / f"{run['variant']}.json").write_text(json.dumps(run))
    compare.main(["--results", str(tmp_path)])
    assert "seeds 1 / 2" in (tmp_path / "RESULTS.md").read_text()


def test_compare_without_results_says_what_to_do(tmp_path):
    with pytest.raises(UserError, match="no results in .*run the scripts first"):
        compare.main(["--results", str(tmp_path)])


def test_compare_errors_are_one_line():
    with pytest.raises(SystemExit) as exit:
        cli.run(lambda: compare.main(["--results", "no-such-folder"]))
    assert exit.value.code == "error: no results in no-such-folder/: run the scripts first, " \
        "e.g. make run-all"  # fmt: skip


def test_compare_from_the_command_line_loads_neither_keras_nor_tensorflow(tmp_path):
    (tmp_path / "lstm_basic.json").write_text(json.dumps(fake_run("lstm_basic", 0.87)))
    command = [sys.executable, "-X", "importtime", "-m", "tools.compare"]
    result = run_command(*command, "--results", str(tmp_path))
    assert result.returncode == 0, result.stderr[-2000:]
    imported = [line.split("|")[-1].strip() for line in result.stderr.splitlines()]
    assert "matplotlib" in imported
    assert [name for name in imported if name.split(".")[0] in ("keras", "tensorflow")] == []
    assert table_rows((tmp_path / "RESULTS.md").read_text())[0][:2] == ["lstm_basic", "87.00%"]


def test_comparison_over_seeds(tmp_path):
    for seed, accuracies in ((1, (0.80, 0.86)), (2, (0.84, 0.87)), (3, (0.82, 0.88))):
        folder = tmp_path / str(seed)
        folder.mkdir()
        for variant, accuracy in zip(("lstm_dropout_layers", "cnn_lstm"), accuracies, strict=True):
            run = fake_run(variant, accuracy, seed=seed, epoch_seconds=[60.0 + seed, 62.0])
            (folder / f"{variant}.json").write_text(json.dumps(run))
    compare.main(["--results", str(tmp_path), "--seeds"])
    report = (tmp_path / "SEEDS.md").read_text()
    summary, each = (
        table_rows(report.split("Test accuracy of each run")[0]),
        table_rows(report.split("Test accuracy of each run")[1]),
    )
    # Means 82 and 87; standard deviations 2 and 1; the fastest epoch 61 (seed 1's first).
    # fmt: off
    assert summary == [
        ["lstm_dropout_layers", "3", "82.00%", "2.00", "80.00% - 84.00%", "85.56%", "-3.56",
         "no", "0.3456", "90.12%", "61", "2m02s", "21s", "213,301", "1,234"],
        ["cnn_lstm", "3", "87.00%", "1.00", "86.00% - 88.00%", "86.36%", "+0.64", "yes",
         "0.3456", "90.12%", "61", "2m02s", "21s", "213,301", "1,234"],
    ]
    # fmt: on
    assert each == [
        ["lstm_dropout_layers", "80.00%", "84.00%", "82.00%"],
        ["cnn_lstm", "86.00%", "87.00%", "88.00%"],
    ]
    assert "seeds 1 / 2 / 3" in report
    width, _ = png_size((tmp_path / "seeds.png").read_bytes())
    assert width > 1000


def test_sweep_skips_runs_done_earlier_with_the_same_flags(tmp_path, monkeypatch, capsys):
    flags = ["--data", "aclImdb_v1.tar.gz", "--epochs", "2", "--max-samples", "64"]
    data = str(Path("aclImdb_v1.tar.gz").resolve())  # results name the data resolved
    done = fake_run("lstm_basic", 0.8, seed=1, max_samples=64, data=data)
    other_epochs = {**done, "seed": 2, "epochs": 3}  # same script and seed 2, but 3 epochs
    for run in (done, other_epochs):
        (tmp_path / str(run["seed"])).mkdir()
        (tmp_path / str(run["seed"]) / "lstm_basic.json").write_text(json.dumps(run))
        (tmp_path / str(run["seed"]) / "lstm_basic.keras").write_bytes(b"a model")
    ran = []
    monkeypatch.setattr(run_all, "run_script", lambda job, *_: ran.append(job.label))
    monkeypatch.setattr(compare, "main", lambda argv: None)
    assert run_all.run_all(["lstm_basic.py"], flags, tmp_path, seeds=[1, 2, 3]) == 1
    assert ran == ["[2/3] lstm_basic seed 2", "[3/3] lstm_basic seed 3"]
    assert "[1/3] lstm_basic seed 1 ... done earlier, skipped" in capsys.readouterr().out


@pytest.mark.slow
def test_make_seeds_trains_what_is_not_done_and_then_skips_it(
    stanford_tarball, run_all_output, tmp_path, monkeypatch, capsys
):
    """Seed 7 was trained by run-all with the same flags: make seeds skips it, trains seed
    1 beside it with its output in a log, and started again skips both."""
    (tmp_path / "seeds" / "7").mkdir(parents=True)
    for name in ("cnn_lstm.json", "cnn_lstm.keras"):
        shutil.copy(run_all_output / name, tmp_path / "seeds" / "7")
    variables = ["SCRIPTS=cnn_lstm.py", "SEEDS=7 1", "JOBS=2", *TINY_MAKE]
    result = make("seeds", f"DATA={stanford_tarball}", f"OUTPUT={tmp_path}", *variables)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "[1/2] cnn_lstm seed 7 ... done earlier, skipped" in result.stdout
    run = json.loads((tmp_path / "seeds" / "1" / "cnn_lstm.json").read_text())
    assert (run["seed"], run["epochs"], run["train_reviews"]) == (1, 2, 100)
    assert "Accuracy: " in (tmp_path / "seeds" / "1" / "cnn_lstm.log").read_text()
    assert table_rows((tmp_path / "seeds" / "SEEDS.md").read_text())[0][:2] == ["cnn_lstm", "2"]

    def must_not_run(job, *_):
        raise AssertionError(f"{job.label} ran again")

    monkeypatch.setattr(run_all, "run_script", must_not_run)
    flags = ["--data", str(stanford_tarball), *TINY]
    assert run_all.run_all(["cnn_lstm.py"], flags, tmp_path / "seeds", 2, seeds=[7, 1]) == 0
    printed = capsys.readouterr().out
    assert "[1/2] cnn_lstm seed 7 ... done earlier, skipped" in printed
    assert "[2/2] cnn_lstm seed 1 ... done earlier, skipped" in printed


@pytest.mark.parametrize("gpus, cores, jobs", [([], 2, 2), ([], 8, 8), (["NVIDIA H200"], 16, 1)])
def test_runs_at_once_by_default_one_per_core_one_with_a_gpu(gpus, cores, jobs, monkeypatch):
    monkeypatch.setattr(run_all.machine, "gpu_names", lambda: gpus)
    monkeypatch.setattr(run_all.os, "cpu_count", lambda: cores)
    assert run_all.default_jobs() == jobs


@pytest.mark.parametrize(
    "cores, jobs, threads",
    [(2, 2, "1"), (8, 8, "1"), (8, 2, "4"), (2, 4, "1")],
)
def test_each_run_at_once_gets_its_share_of_the_cores(cores, jobs, threads, monkeypatch):
    monkeypatch.setattr(run_all.os, "cpu_count", lambda: cores)
    assert run_all.thread_settings(jobs) == {
        "TF_NUM_INTRAOP_THREADS": threads,
        "TF_NUM_INTEROP_THREADS": "1",
        "OMP_NUM_THREADS": threads,
    }
    assert run_all.thread_settings(1) == {}  # alone: the backend's own defaults


def test_the_longest_runs_start_first(tmp_path):
    jobs = run_all.numbered([run_all.Job(script, [], tmp_path, script) for script in SCRIPTS])
    assert [job.label for job in run_all.longest_first(jobs)] == [
        "[3/4] lstm_recurrent_dropout.py",
        "[1/4] lstm_basic.py",
        "[2/4] lstm_dropout_layers.py",
        "[4/4] cnn_lstm.py",
    ]


def test_compare_never_mixes_backends(tmp_path):
    jax = {"python": "3.11", "keras": "3.15.1", "backend": "jax", "jax": "0.10.2"}
    for run in [fake_run("lstm_basic", 0.8), fake_run("cnn_lstm", 0.8, versions=jax)]:
        (tmp_path / f"{run['variant']}.json").write_text(json.dumps(run))
    with pytest.raises(UserError) as error:
        compare.main(["--results", str(tmp_path)])
    assert str(error.value) == (
        f"{tmp_path}/ holds runs of several backends (jax, tensorflow): one report compares "
        "one backend; keep each in its own folder (make's OUTPUT does)"
    )


def test_a_run_is_done_with_its_results_and_model_from_the_same_settings(tmp_path):
    """What make seeds skips: results of the same run, and the model saved after them."""
    data = str(Path("aclImdb_v1.tar.gz").resolve())  # results name the data resolved
    run = fake_run("lstm_basic", 0.8, seed=1, max_samples=64, data=data)
    flags = ["--data", "aclImdb_v1.tar.gz", "--epochs", "2", "--max-samples", "64", "--seed", "1"]
    settings = results.same_run(
        "lstm_basic", script_flags.script_args(ROOT / "lstm_basic.py", flags)
    )
    (tmp_path / "lstm_basic.json").write_text(json.dumps(run))
    assert not results.finished(tmp_path, settings)  # no model yet: its save failed
    (tmp_path / "lstm_basic.keras").write_bytes(b"a model")
    assert results.finished(tmp_path, settings)
    (tmp_path / "lstm_basic.json").write_text(json.dumps({**run, "backend": "jax"}))
    assert not results.finished(tmp_path, settings)  # another backend's run
    (tmp_path / "lstm_basic.json").write_text(json.dumps({**run, "seed": 2}))
    assert not results.finished(tmp_path, settings)


def test_make_run_all_exits_non_zero_when_a_run_fails(tmp_path):
    result = make("run-all", "SCRIPTS=no_such_variant.py", f"OUTPUT={tmp_path}")
    assert result.returncode != 0
    assert "1 of 1 failed: no_such_variant.py" in result.stderr


def test_repeated_seeds_and_scripts_run_once(tmp_path, monkeypatch, capsys):
    """SEEDS="1 1" would start the same run twice at once, into one folder."""
    ran = []
    monkeypatch.setattr(run_all, "run_script", lambda job, runs: ran.append(job.label))
    monkeypatch.setattr(compare, "main", lambda argv: None)
    argv = ["--seeds", "1", "1", "2", "--scripts", "lstm_basic.py", "lstm_basic.py"]
    run_all.main([*argv, "--output", str(tmp_path)])
    assert sorted(ran) == ["[1/2] lstm_basic seed 1", "[2/2] lstm_basic seed 2"]
    printed = capsys.readouterr().out
    assert "seed 1 given 2 times: it runs once" in printed
    assert "script lstm_basic.py given 2 times: it runs once" in printed


def test_a_wrong_flag_is_one_line_before_any_run_starts(tmp_path):
    """EPOCHS=abc: the scripts' own parser, once, not a failed run per script."""
    result = make("run-all", "EPOCHS=abc", f"OUTPUT={tmp_path / 'results'}")
    assert_clean_error(result, "argument --epochs: 'abc' is not a whole number")
    assert not (tmp_path / "results").exists()  # no run started: no log, no lock
    with pytest.raises(UserError, match="unrecognized arguments: --learning-rate 0.1"):
        run_all.main(["--learning-rate", "0.1", "--output", str(tmp_path)])


def test_make_passes_paths_with_spaces_and_accents(stanford_tarball, tmp_path):
    """DATA, CSV and OUTPUT as a reader names them (the README's "IMDB Dataset.csv")."""
    folder = tmp_path / "my data, é"
    folder.mkdir()
    data = folder / "aclImdb v1 é.tar.gz"
    shutil.copy(stanford_tarball, data)
    csv = folder / "IMDB Dataset's reviews.csv"
    result = make("stanford-csv", f"DATA={data}", f"CSV={csv}")
    assert result.returncode == 0, result.stderr[-2000:]
    assert csv.read_text().count("\n") > 100
    output = tmp_path / "résultats 1"
    output.mkdir()
    (output / "lstm_basic.json").write_text(json.dumps(fake_run("lstm_basic", 0.87)))
    result = make("compare", f"OUTPUT={output}")
    assert result.returncode == 0, result.stderr[-2000:]
    assert (output / "RESULTS.md").exists()


@pytest.mark.slow
def test_ctrl_c_stops_make_seeds_and_the_same_command_resumes_it(stanford_tarball, tmp_path):
    """SIGINT to make's process group (a terminal's Ctrl-C) in the middle of an epoch: the
    runs under way stop at their last finished epoch, the queued one never starts,
    nothing is left 15 s later, and the same command resumes the runs it cut."""
    variables = ["SCRIPTS=lstm_basic.py", "SEEDS=1 2 3", "JOBS=2", "EPOCHS=3", "MAX_SAMPLES=100"]
    command = ["make", "-o", ".venv/.installed", "seeds", f"PY={sys.executable}"]
    command += [f"DATA={stanford_tarball}", f"OUTPUT={tmp_path}", *variables]
    environment = os.environ | {"PYTHONDONTWRITEBYTECODE": "1"}
    # A terminal's foreground job takes Ctrl-C whatever its parent ignored (a shell's
    # background job starts with SIGINT ignored, and make would keep ignoring it).
    sweep = subprocess.Popen(
        command, cwd=ROOT, env=environment, text=True, start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    printed: list[str] = []
    reader = threading.Thread(target=lambda: printed.extend(sweep.stdout), daemon=True)
    reader.start()
    deadline = time.monotonic() + 300
    # Both runs under way have a checkpoint to resume from: each has finished epoch 1.
    while sum(": epoch 1/3 done" in line for line in printed) < 2:
        assert sweep.poll() is None and time.monotonic() < deadline, "".join(printed)
        time.sleep(0.1)
    descendants = process_tree(sweep.pid)
    os.killpg(sweep.pid, signal.SIGINT)  # as Ctrl-C: make's group, not the runs' groups
    signalled = time.monotonic()
    while time.monotonic() - signalled < 15 and (
        sweep.poll() is None or any(Path("/proc", p).exists() for p in descendants)
    ):
        time.sleep(0.2)
    left = [p for p in descendants if Path("/proc", p).exists()]
    assert sweep.poll() is not None and not left and not processes_of_group(sweep.pid), left
    reader.join(5)
    errors = sweep.stderr.read()
    # make, stopped by SIGINT, ends by it (a shell says 130); the sweep said 130 to make.
    assert sweep.returncode == -signal.SIGINT, errors
    assert "Error 130" in errors or "Interrupt" in errors, errors
    assert "Traceback" not in errors and "FAILED" not in "".join(printed)
    assert (
        "interrupted: 3 of 3 runs did not finish (lstm_basic seed 1, lstm_basic seed 2, "
        "lstm_basic seed 3); the same command resumes them"
    ) in errors
    cut = [line for line in printed if " ... interrupted after " in line]
    assert len(cut) == 2, "".join(printed)  # the two under way; seed 3 never started
    assert not (tmp_path / "seeds" / "3").exists()

    again = make("seeds", f"DATA={stanford_tarball}", f"OUTPUT={tmp_path}", *variables)
    assert again.returncode == 0, again.stderr[-2000:]
    for seed in (1, 2):
        log = (tmp_path / "seeds" / str(seed) / "lstm_basic.log").read_text()
        # From its last finished epoch: the second, the third, or (cut while evaluating)
        # none left to train.
        resumed = r"resuming from epoch [23] of 3|all 3 epochs were trained earlier"
        assert re.search(resumed, log), log
        run = json.loads((tmp_path / "seeds" / str(seed) / "lstm_basic.json").read_text())
        assert run["resumed_from_epoch"] in (2, 3, 4) and len(run["history"]["loss"]) == 3


def test_a_report_whose_accuracy_is_the_larger_class_says_nothing_was_learned(tmp_path):
    """MAX_SAMPLES=200: 55.00% for every variant, the share of the larger class."""
    labels = {"positive": 90, "negative": 110}
    for run in [
        fake_run("lstm_basic", 0.55, test_labels=labels, test_reviews=200),
        fake_run("cnn_lstm", 0.61, test_labels=labels, test_reviews=200),
    ]:
        (tmp_path / f"{run['variant']}.json").write_text(json.dumps(run))
    compare.main(["--results", str(tmp_path)])
    report = (tmp_path / "RESULTS.md").read_text()
    assert (
        "- **Not learned yet**: the test accuracy of lstm_basic is 55.00%, the share of the "
        "larger class in the test reviews"
    ) in report
    assert "cnn_lstm is" not in report


def test_curves_of_one_epoch_have_one_tick_and_no_legend_over_a_point(tmp_path):
    runs = [
        fake_run(variant, 0.5 + i / 10, history={"loss": [0.69], "accuracy": [0.5 + i / 100]},
                 epochs=1, epoch_seconds=[60.0])
        for i, variant in enumerate(VARIANTS)
    ]  # fmt: skip
    figure = compare.figure(runs)
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    for axes in figure.axes:
        legend = axes.get_legend().get_window_extent(renderer)
        for artist in [*axes.lines, *axes.collections]:
            points = artist.get_offsets() if hasattr(artist, "get_offsets") else artist.get_xydata()
            for x, y in axes.transData.transform(points):
                assert not legend.contains(x, y), axes.get_title()
    for axes in figure.axes[1:]:  # the training curves
        low, high = axes.get_xlim()
        assert [t for t in axes.get_xticks() if low <= t <= high] == [1]
