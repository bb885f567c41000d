"""`make seeds CLUSTER=...` for real: a Dask scheduler and two workers started here on
127.0.0.1 (ephemeral ports, stopped at the end), tiny data. `make test-cluster` runs the
tests marked `cluster`; they need requirements-cluster.txt. The others need no Dask."""

import http.server
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import ROOT, assert_clean_error, make, process_tree, run_command

from imdb_lstm import variants
from tools.cluster import failure, worker_problem

# One epoch of 64 reviews: the sweeps here compare with each other, not with the suite's
# other runs, so they take the quickest flags.
ONE_EPOCH = ["EPOCHS=1", "MAX_SAMPLES=64"]

SCRIPTS = " ".join(variants.SCRIPTS)
SEEDS = "1 2"
# The thread counts of make seeds with JOBS=2 (half the cores each), given the workers.
THREADS = max(1, (os.cpu_count() or 1) // 2)
# make's own install of requirements-cluster.txt is not the test's: this Python has it.
NO_INSTALL = ["-o", ".venv/.cluster-installed"]


# The page whose commands start a cluster: LocalDaskCluster runs them as written there.
CLUSTER_PAGE = ROOT / "docs" / "cluster.md"


def documented_command(start: str) -> str:
    """The command of docs/cluster.md's shell blocks that begins with `start`."""
    blocks = re.findall(r"```sh\n(.*?)```", CLUSTER_PAGE.read_text(), re.DOTALL)
    for line in (line for block in blocks for line in block.splitlines()):
        if line.startswith(start):
            return line
    raise ValueError(f"{CLUSTER_PAGE} has no command starting {start!r}")


class LocalDaskCluster:
    """A Dask scheduler and workers started by the very commands of docs/cluster.md, run
    from this checkout in a shell with no PYTHONPATH, plus options that keep them on
    127.0.0.1 (ephemeral ports, no dashboard) and name them; their logs in `folder`. All
    stopped on leaving the block."""

    def __init__(self, folder: Path, nthreads: int = 1) -> None:
        self.folder, self.nthreads = Path(folder), nthreads
        self.workers: dict[str, subprocess.Popen] = {}

    def start(self, command: str, log: Path) -> subprocess.Popen:
        environment = os.environ | {"PYTHONDONTWRITEBYTECODE": "1"}
        environment.pop("PYTHONPATH", None)  # as the page has it: the task brings its code
        with open(log, "wb") as output:
            return subprocess.Popen(
                ["bash", "-c", f"exec {command}"],
                cwd=ROOT,
                env=environment,
                stdout=output,
                stderr=output,
                start_new_session=True,  # a worker and its nanny are killed together
            )

    def __enter__(self) -> "LocalDaskCluster":
        address_file = self.folder / "scheduler.json"
        command = documented_command(".venv/bin/dask scheduler").replace("--port 8786", "--port 0")
        command += f" --host 127.0.0.1 --no-dashboard --scheduler-file {address_file}"
        self.scheduler = self.start(command, self.folder / "scheduler.log")
        deadline = time.monotonic() + 60
        while not address_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        self.address = json.loads(address_file.read_text())["address"]
        return self

    def add_worker(self, name: str) -> subprocess.Popen:
        """One worker process, as the page's command starts one per core."""
        command = (
            documented_command(".venv/bin/dask worker")
            .replace("tcp://scheduler-host:8786", self.address)
            .replace("--nthreads 1", f"--nthreads {self.nthreads}")
            .replace("$(nproc)", "1")
        )
        command += f" --host 127.0.0.1 --no-dashboard --name {name}"
        command += f" --local-directory {self.folder / name}"
        self.workers[name] = self.start(command, self.folder / f"{name}.log")
        return self.workers[name]

    def kill_worker(self, name: str) -> None:
        """Kills the worker `name` (SIGKILL, its nanny too), as a machine lost would."""
        os.killpg(self.workers[name].pid, signal.SIGKILL)

    def __exit__(self, *_: object) -> None:
        for process in [*self.workers.values(), self.scheduler]:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=20)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A scheduler on 127.0.0.1; the tests start its workers."""
    with LocalDaskCluster(tmp_path_factory.mktemp("cluster"), nthreads=THREADS) as cluster:
        assert cluster.address.startswith("tcp://127.0.0.1:")
        yield cluster


@pytest.fixture(scope="module")
def local_seeds(stanford_tarball, tmp_path_factory):
    """The same sweep made here, two runs at once."""
    output = tmp_path_factory.mktemp("local")
    variables = [f"SCRIPTS={SCRIPTS}", f"SEEDS={SEEDS}", "JOBS=2", *ONE_EPOCH]
    result = make("seeds", f"DATA={stanford_tarball}", f"OUTPUT={output}", *variables)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return output / "seeds"


def sweep_killing_a_worker(cluster, data, output):
    """make seeds on the cluster with workers w1 and w2; when a run has started on w1,
    w1 is killed (SIGKILL) and w3 started in its place. What make printed."""
    for name in ("w1", "w2"):
        cluster.add_worker(name)
    command = ["make", "-o", ".venv/.installed", *NO_INSTALL, "seeds", f"PY={sys.executable}"]
    command += [f"CLUSTER={cluster.address}", f"DATA={data}", f"OUTPUT={output}"]
    command += [f"SEEDS={SEEDS}", f"SCRIPTS={SCRIPTS}", *ONE_EPOCH]
    environment = os.environ | {"PYTHONDONTWRITEBYTECODE": "1"}
    printed = []
    with subprocess.Popen(
        command, cwd=ROOT, env=environment, stdout=subprocess.PIPE, text=True
    ) as sweep:
        for line in sweep.stdout:
            printed.append(line)
            if "started on w1" in line and "w3" not in cluster.workers:
                cluster.kill_worker("w1")
                cluster.add_worker("w3")
    assert sweep.returncode == 0, "".join(printed)[-3000:]
    return "".join(printed)


@pytest.mark.cluster
def test_make_seeds_on_a_cluster_loses_no_run_to_a_killed_worker(
    cluster, local_seeds, stanford_tarball, tmp_path
):
    printed = sweep_killing_a_worker(cluster, stanford_tarball, tmp_path)
    assert f"training on the Dask cluster at {cluster.address}: 2 workers" in printed
    lost = re.findall(r"\] (\w+ seed \d) \.\.\. worker w1 lost; retried on w[23] from", printed)
    assert len(lost) == 1, printed
    # Every run counted once, each epoch shown with its worker, every result come home.
    finished = re.findall(
        r"^\[\d/8\] (\w+ seed \d) \.\.\. accuracy \d+\.\d\d% in ", printed, re.MULTILINE
    )
    assert sorted(finished) == sorted(
        f"{variant} seed {seed}" for variant in variants.VARIANTS for seed in (1, 2)
    )
    assert len(re.findall(r" on w[123]: epoch 1/1 done in ", printed)) >= 8
    for seed in (1, 2):
        # The workers share this folder, so they trained here, each run under its lock.
        assert sorted(p.name for p in (tmp_path / "seeds" / str(seed)).iterdir()) == [
            ".cnn_lstm.lock", ".lstm_basic.lock", ".lstm_dropout_layers.lock",
            ".lstm_recurrent_dropout.lock",
            "cnn_lstm.json", "cnn_lstm.keras", "cnn_lstm.log",
            "lstm_basic.json", "lstm_basic.keras", "lstm_basic.log",
            "lstm_dropout_layers.json", "lstm_dropout_layers.keras", "lstm_dropout_layers.log",
            "lstm_recurrent_dropout.json", "lstm_recurrent_dropout.keras",
            "lstm_recurrent_dropout.log",
        ]  # fmt: skip
        for variant in variants.VARIANTS:
            remote = json.loads((tmp_path / "seeds" / str(seed) / f"{variant}.json").read_text())
            local = json.loads((local_seeds / str(seed) / f"{variant}.json").read_text())
            assert remote["threads"] == local["threads"] == {"intra_op": THREADS, "inter_op": 1}
            for key in ("test_accuracy", "test_loss", "history"):
                assert remote[key] == local[key], (variant, seed, key)
    seeds_table = (tmp_path / "seeds" / "SEEDS.md").read_text()
    assert "| lstm_basic | 2 |" in seeds_table and "| cnn_lstm | 2 |" in seeds_table

    # Started again: every run is done, none is sent.
    variables = [f"SCRIPTS={SCRIPTS}", f"SEEDS={SEEDS}", *ONE_EPOCH, *NO_INSTALL]
    again = make(
        "seeds",
        f"CLUSTER={cluster.address}",
        f"DATA={stanford_tarball}",
        f"OUTPUT={tmp_path}",
        *variables,
    )
    assert again.returncode == 0, again.stderr[-2000:]
    assert again.stdout.count("... done earlier, skipped") == 8
    assert "started on" not in again.stdout


@pytest.mark.cluster
def test_a_worker_without_the_data_fails_the_run_in_one_line(cluster, tmp_path):
    if not cluster.workers:
        cluster.add_worker("w4")
    command = [sys.executable, "-m", "tools.run_all", "--cluster", cluster.address]
    result = run_command(
        *command, "--scripts", "lstm_basic.py", "--data", "/no/such/data.tar.gz", "--output",
        str(tmp_path),
    )  # fmt: skip
    assert result.returncode == 1
    assert re.search(
        r"^\[1/1\] lstm_basic.py \.\.\. FAILED on w\d: exit code 1 after \d+s: error: "
        r"/no/such/data.tar.gz: no such file or directory; point --data",
        result.stdout,
        re.MULTILINE,
    ), result.stdout
    assert "1 of 1 failed: lstm_basic.py" in result.stderr


def test_a_worker_with_other_thread_counts_or_without_the_script_refuses_the_run():
    w1 = SimpleNamespace(
        name="w1", address="tcp://10.0.0.1:4000", state=SimpleNamespace(nthreads=2)
    )
    assert worker_problem(["lstm_basic.py"], "tensorflow", 2, w1) is None
    assert worker_problem(["lstm_basic.py"], "tensorflow", 1, w1) == (
        "worker w1 (tcp://10.0.0.1:4000) has --nthreads 2, the sweep's workers 1: runs with "
        "other thread counts give other numbers; start every worker alike"
    )
    assert worker_problem(["no_such_script.py"], "tensorflow", 2, w1) == (
        f"worker w1 (tcp://10.0.0.1:4000) has no no_such_script.py in {os.getcwd()}: start it "
        "from the checkout (docs/cluster.md)"
    )


def test_a_failed_run_is_said_with_its_error_line(tmp_path):
    log = b"Epoch 1/1\nerror: /data: no such file or directory\n"
    outcome = {"code": 1, "files": {"lstm_basic.log": log}}
    said = failure(outcome, "9s", tmp_path / "lstm_basic.log")
    assert said == "exit code 1 after 9s: error: /data: no such file or directory"
    outcome = {"code": -9, "files": {"lstm_basic.log": b"Killed\n"}}
    said = failure(outcome, "9s", tmp_path / "lstm_basic.log")
    assert said == f"exit code -9 after 9s: see {tmp_path / 'lstm_basic.log'}"


@pytest.mark.cluster
def test_a_missing_scheduler_is_one_line_naming_it_without_waiting(tmp_path):
    with socket.socket() as unused:  # a port nothing listens on
        unused.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{unused.getsockname()[1]}"
    start = time.monotonic()
    result = run_command(
        *(sys.executable, "-m", "tools.run_all", "--seeds", "1", "--cluster", address),
        *("--scripts", "lstm_basic.py", "--output", str(tmp_path)),
    )
    # Nothing listens: said at once; the rest is Python and Keras starting, which on a
    # loaded 2-core machine took 32 s.
    assert time.monotonic() - start < 60
    assert_clean_error(result, f"no Dask scheduler answered at {address} within 10 s")


@pytest.mark.cluster
def test_a_server_that_is_not_a_dask_scheduler_is_one_line_not_a_hang(tmp_path):
    """An HTTP server where CLUSTER points: Dask's Client alone waits for ever."""
    server = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    address = f"tcp://127.0.0.1:{server.server_address[1]}"
    try:
        result = run_command(
            *(sys.executable, "-m", "tools.run_all", "--cluster", address),
            *("--scripts", "lstm_basic.py", "--output", str(tmp_path)),
        )
    finally:
        server.shutdown()
    assert_clean_error(
        result, f"{address} accepts connections but no Dask scheduler answered there within 10 s"
    )


@pytest.mark.cluster
def test_a_port_past_65535_is_said_at_once(tmp_path):
    result = run_command(
        *(sys.executable, "-m", "tools.run_all", "--cluster", "tcp://127.0.0.1:99999"),
        *("--scripts", "lstm_basic.py", "--output", str(tmp_path)),
    )
    assert_clean_error(result, "tcp://127.0.0.1:99999: 99999 is not a port (1 to 65535)")


def test_a_worker_started_elsewhere_is_named_with_what_it_lacks(tmp_path, monkeypatch):
    assert worker_problem(["lstm_basic.py"], "tensorflow", 1) is None  # in the checkout
    monkeypatch.chdir(tmp_path)
    assert worker_problem(["lstm_basic.py", "cnn_lstm.py"], "tensorflow", 1) == (
        f"a worker has no lstm_basic.py, cnn_lstm.py in {tmp_path}: start it from the "
        "checkout (docs/cluster.md)"
    )
    monkeypatch.chdir(ROOT)
    assert worker_problem(["lstm_basic.py"], "no_such_backend", 1) == (
        f"a worker cannot import no_such_backend with {sys.executable}: start it from the "
        "checkout's .venv (docs/cluster.md)"
    )


def test_the_tests_start_the_cluster_with_the_commands_of_its_page():
    """LocalDaskCluster runs these lines of docs/cluster.md, as a reader would."""
    assert documented_command(".venv/bin/dask scheduler") == ".venv/bin/dask scheduler --port 8786"
    assert documented_command(".venv/bin/dask worker") == (
        ".venv/bin/dask worker tcp://scheduler-host:8786 --nthreads 1 --nworkers $(nproc)"
    )


@pytest.mark.cluster
def test_ctrl_c_stops_a_sweep_on_the_cluster_and_its_runs_on_the_workers(
    cluster, stanford_tarball, tmp_path
):
    """As here: the queued run cancelled, the runs under way stopped on their workers,
    nothing of the sweep training 15 s after the signal, exit code 130."""
    for name in ("w5", "w6")[: max(0, 2 - len(alive_workers(cluster)))]:
        cluster.add_worker(name)
    command = [sys.executable, "-m", "tools.run_all", "--cluster", cluster.address]
    command += ["--seeds", "1", "2", "3", "--scripts", "lstm_basic.py", "--output", str(tmp_path)]
    command += ["--data", str(stanford_tarball), "--epochs", "3", "--max-samples", "100"]
    sweep = subprocess.Popen(
        command, cwd=ROOT, text=True, start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    printed: list[str] = []
    threading.Thread(target=lambda: printed.extend(sweep.stdout), daemon=True).start()
    deadline = time.monotonic() + 300
    while not any(": epoch 1/3 done" in line for line in printed):
        assert sweep.poll() is None and time.monotonic() < deadline, "".join(printed)
        time.sleep(0.1)
    os.killpg(sweep.pid, signal.SIGINT)
    signalled = time.monotonic()
    while time.monotonic() - signalled < 15 and (sweep.poll() is None or training(cluster)):
        time.sleep(0.2)
    assert sweep.poll() == 130 and training(cluster) == [], "".join(printed)
    errors = sweep.stderr.read()
    assert "Traceback" not in errors and "FAILED" not in "".join(printed)
    assert "interrupted: 3 of 3 runs did not finish" in errors
    assert len([line for line in printed if " ... interrupted after " in line]) == 3


def alive_workers(cluster) -> list[str]:
    return [name for name, process in cluster.workers.items() if process.poll() is None]


def training(cluster) -> list[str]:
    """The training scripts running under the cluster's workers."""

    def command_line(pid: str) -> str:
        try:
            return Path("/proc", pid, "cmdline").read_text(errors="replace").replace("\0", " ")
        except OSError:  # ended meanwhile
            return ""

    pids = [pid for process in cluster.workers.values() for pid in process_tree(process.pid)]
    return [pid for pid in pids if ".py --" in command_line(pid)]
