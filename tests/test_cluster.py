"""`make seeds CLUSTER=...` for real: a Dask scheduler and two workers started here on
127.0.0.1 (ephemeral ports, stopped at the end), tiny data. `make test-cluster` runs
these; they need requirements-cluster.txt."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

import pytest
from conftest import ROOT, TINY_MAKE, assert_clean_error, make, run_command

pytestmark = pytest.mark.cluster

SCRIPTS = "lstm_basic.py lstm_dropout_layers.py lstm_recurrent_dropout.py cnn_lstm.py"
SEEDS = "1 2"
# The thread counts of make seeds with JOBS=2 (half the cores each), given the workers.
THREADS = max(1, (os.cpu_count() or 1) // 2)
# make's own install of requirements-cluster.txt is not the test's: this Python has it.
NO_INSTALL = ["-o", ".venv/.cluster-installed"]


def start(*args: str, log) -> subprocess.Popen:
    """A Dask process of this Python, from the checkout, its output in `log`."""
    environment = os.environ | {"PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", *args], cwd=ROOT, env=environment, stdout=log, stderr=log
    )


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """The address of a scheduler on 127.0.0.1, and a folder for its workers."""
    folder = tmp_path_factory.mktemp("cluster")
    address_file = folder / "scheduler.json"
    with open(folder / "scheduler.log", "wb") as log:
        process = start(
            "distributed.cli.dask_scheduler",
            *("--host", "127.0.0.1", "--port", "0", "--no-dashboard"),
            *("--scheduler-file", str(address_file)),
            log=log,
        )
    try:
        deadline = time.monotonic() + 60
        while not address_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        address = json.loads(address_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        yield address, folder
    finally:
        stop(process)


def start_worker(scheduler, name: str) -> subprocess.Popen:
    address, folder = scheduler
    with open(folder / f"{name}.log", "wb") as log:
        return start(
            "distributed.cli.dask_worker",
            address,
            *("--host", "127.0.0.1", "--nthreads", str(THREADS), "--no-nanny"),
            *("--no-dashboard", "--name", name, "--local-directory", str(folder / name)),
            log=log,
        )


@pytest.fixture(scope="module")
def local_seeds(stanford_tarball, tmp_path_factory):
    """The same sweep made here, two runs at once."""
    output = tmp_path_factory.mktemp("local")
    variables = [f"SCRIPTS={SCRIPTS}", f"SEEDS={SEEDS}", "JOBS=2", *TINY_MAKE]
    result = make("seeds", f"DATA={stanford_tarball}", f"OUTPUT={output}", *variables)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return output / "seeds"


def sweep_killing_a_worker(scheduler, data, output):
    """make seeds on the cluster; when a run has started on worker w1, w1 is killed
    (SIGKILL) and w3 started in its place. What make printed."""
    address, _ = scheduler
    workers = {name: start_worker(scheduler, name) for name in ("w1", "w2")}
    command = ["make", "-o", ".venv/.installed", *NO_INSTALL, "seeds", f"PY={sys.executable}"]
    command += [f"CLUSTER={address}", f"DATA={data}", f"OUTPUT={output}", f"SEEDS={SEEDS}"]
    command += [f"SCRIPTS={SCRIPTS}", *TINY_MAKE]
    environment = os.environ | {"PYTHONDONTWRITEBYTECODE": "1"}
    try:
        with subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=subprocess.PIPE, text=True
        ) as sweep:
            printed = []
            for line in sweep.stdout:
                printed.append(line)
                if "started on w1" in line and "w3" not in workers:
                    workers["w1"].send_signal(signal.SIGKILL)
                    workers["w3"] = start_worker(scheduler, "w3")
        assert sweep.returncode == 0, "".join(printed)[-3000:]
        return "".join(printed)
    finally:
        for process in workers.values():
            stop(process)


def test_make_seeds_on_a_cluster_loses_no_run_to_a_killed_worker(
    scheduler, local_seeds, stanford_tarball, tmp_path
):
    printed = sweep_killing_a_worker(scheduler, stanford_tarball, tmp_path)
    assert f"training on the Dask cluster at {scheduler[0]}: 2 workers" in printed
    lost = re.findall(r"\] (\w+ seed \d) \.\.\. worker w1 lost; retried on w[23] from", printed)
    assert len(lost) == 1, printed
    # Every run counted once, each epoch shown with its worker, every result come home.
    finished = re.findall(r"^\[\d/8\] (\w+ seed \d) \.\.\. \d+\.\d% in ", printed, re.MULTILINE)
    assert sorted(finished) == sorted(
        f"{variant} seed {seed}"
        for variant in ("lstm_basic", "lstm_dropout_layers", "lstm_recurrent_dropout", "cnn_lstm")
        for seed in (1, 2)
    )
    assert len(re.findall(r" on w[123]: epoch 1/1 done in ", printed)) >= 8
    for seed in (1, 2):
        assert sorted(p.name for p in (tmp_path / "seeds" / str(seed)).iterdir()) == [
            "cnn_lstm.json", "cnn_lstm.keras", "cnn_lstm.log",
            "lstm_basic.json", "lstm_basic.keras", "lstm_basic.log",
            "lstm_dropout_layers.json", "lstm_dropout_layers.keras", "lstm_dropout_layers.log",
            "lstm_recurrent_dropout.json", "lstm_recurrent_dropout.keras",
            "lstm_recurrent_dropout.log",
        ]  # fmt: skip
        for variant in ("lstm_basic", "lstm_dropout_layers", "lstm_recurrent_dropout", "cnn_lstm"):
            cluster = json.loads((tmp_path / "seeds" / str(seed) / f"{variant}.json").read_text())
            local = json.loads((local_seeds / str(seed) / f"{variant}.json").read_text())
            assert cluster["threads"] == local["threads"] == {"intra_op": THREADS, "inter_op": 1}
            for key in ("test_accuracy", "test_loss", "history"):
                assert cluster[key] == local[key], (variant, seed, key)
    seeds_table = (tmp_path / "seeds" / "SEEDS.md").read_text()
    assert "| lstm_basic | 2 |" in seeds_table and "| cnn_lstm | 2 |" in seeds_table

    # Started again: every run is done, none is sent.
    variables = [f"SCRIPTS={SCRIPTS}", f"SEEDS={SEEDS}", *TINY_MAKE, *NO_INSTALL]
    again = make(
        "seeds",
        f"CLUSTER={scheduler[0]}",
        f"DATA={stanford_tarball}",
        f"OUTPUT={tmp_path}",
        *variables,
    )
    assert again.returncode == 0, again.stderr[-2000:]
    assert again.stdout.count("... done earlier, skipped") == 8
    assert "started on" not in again.stdout


def test_a_missing_scheduler_is_one_line_naming_it_within_30_seconds(tmp_path):
    with socket.socket() as unused:  # a port nothing listens on
        unused.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{unused.getsockname()[1]}"
    start = time.monotonic()
    result = run_command(
        *(sys.executable, "-m", "tools.run_all", "--seeds", "1", "--cluster", address),
        *("--scripts", "lstm_basic.py", "--output", str(tmp_path)),
    )
    assert time.monotonic() - start < 30
    assert_clean_error(result, f"no Dask scheduler answered at {address} within 10 s")
