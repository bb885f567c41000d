"""Small synthetic IMDB data sets in every format the scripts read, and helpers.

Nothing here touches the network or the real data set: the reviews are made up from
a few words whose sentiment decides the label, so a model can learn them in seconds.
"""

import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from imdb_lstm import threads  # noqa: E402 (from the checkout, just put on the path)
from imdb_lstm.paths import CHECKOUT as ROOT  # noqa: E402
from imdb_lstm.progress import Reader  # noqa: E402

# The suite never touches the user's own files: before any test or fixture runs, HOME
# and KERAS_HOME point into a folder of the suite's own, for this process and every
# command it starts. Tests get a fresh KERAS_HOME each (isolated_keras_home below).
USER_HOME = Path.home()
SUITE_HOME = Path(tempfile.mkdtemp(prefix="imdb-lstm-tests-"))
SUITE_KERAS_HOME = SUITE_HOME / ".keras"
os.environ.update(HOME=str(SUITE_HOME), KERAS_HOME=str(SUITE_KERAS_HOME))
# Nor the reader's own copy of the data in the checkout's data/ folder.
os.environ.update(IMDB_DATA_FOLDER=str(SUITE_HOME / "data"))
os.environ.pop("IMDB_DATA", None)

# What the suite checks (an empty stderr, one error line, the same numbers twice) holds in
# the environment it means, whatever the caller's shell exports: TensorFlow's C++ errors
# off (at level 2, cuInit's fails loudly on a machine without a GPU), the backend
# requirements.txt installs, the CPU only, and TensorFlow's own thread counts, oneDNN and
# XLA settings and Python's warnings (a test that wants others sets them itself).
SUITE_ENVIRONMENT = {**threads.QUIET_LOGS, "KERAS_BACKEND": "tensorflow",
                     "CUDA_VISIBLE_DEVICES": ""}  # fmt: skip
CALLER_SETTINGS_IGNORED = [*threads.variables(), "TF_ENABLE_ONEDNN_OPTS", "TF_XLA_FLAGS",
                           "XLA_FLAGS", "PYTHONWARNINGS"]  # fmt: skip
os.environ.update(SUITE_ENVIRONMENT)
for name in CALLER_SETTINGS_IGNORED:
    os.environ.pop(name, None)


def user_files_snapshot() -> tuple[list[str], str]:
    """The user's Keras folder and the working tree's git status (ignored files too),
    but for Python's bytecode caches."""
    keras_home = USER_HOME / ".keras"
    keras_files = sorted(str(p) for p in keras_home.rglob("*")) if keras_home.is_dir() else []
    status = subprocess.run(
        ["git", "status", "--porcelain", "--ignored"], cwd=ROOT, capture_output=True, text=True
    ).stdout
    kept = [line for line in status.splitlines() if not line.endswith(BYTECODE_CACHES)]
    return keras_files, "\n".join(kept)


BYTECODE_CACHES = ("__pycache__/", ".pytest_cache/")


def pytest_sessionstart(session):
    session.config.user_files_before = user_files_snapshot()


def pytest_sessionfinish(session, exitstatus):
    """Fails the run if the tests left anything in ~/.keras or the working tree."""
    shutil.rmtree(SUITE_HOME, ignore_errors=True)
    before, after = session.config.user_files_before, user_files_snapshot()
    if after != before:
        session.exitstatus = 1
        print(
            f"\nerror: the tests changed the user's files:\n  ~/.keras before {before[0]}, "
            f"after {after[0]}\n  git status before:\n{before[1]}\n  after:\n{after[1]}",
            file=sys.stderr,
        )


POSITIVE_WORDS = ["great", "wonderful", "superb", "moving", "brilliant"]
NEGATIVE_WORDS = ["awful", "boring", "dreadful", "clumsy", "tedious"]
NEUTRAL_WORDS = ["the", "film", "a", "plot", "actor", "scene", "of", "and", "it's", "don't"]
REVIEWS_PER_LABEL = 60  # per split: 120 train and 120 test reviews


def make_review(positive: bool, rng: np.random.Generator) -> str:
    """Mostly neutral words, with a few that give the sentiment away; HTML breaks and
    capitals as in the real reviews."""
    sentiment = POSITIVE_WORDS if positive else NEGATIVE_WORDS
    words = list(rng.choice(NEUTRAL_WORDS, size=int(rng.integers(8, 20))))
    words += list(rng.choice(sentiment, size=3))
    rng.shuffle(words)
    return " ".join(words).capitalize() + ".<br /><br />" + str(rng.choice(sentiment)).upper() + "!"


def write_stanford_layout(root: Path, seed: int = 0) -> Path:
    """aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt, as in the Stanford archive."""
    rng = np.random.default_rng(seed)
    for split in ("train", "test"):
        for label, ratings in (("pos", (7, 10)), ("neg", (1, 4))):
            folder = root / split / label
            folder.mkdir(parents=True)
            for i in range(REVIEWS_PER_LABEL):
                rating = int(rng.integers(ratings[0], ratings[1] + 1))
                (folder / f"{i}_{rating}.txt").write_text(make_review(label == "pos", rng))
    (root / "README").write_text("synthetic test data\n")
    return root


@pytest.fixture(scope="session")
def stanford_dir(tmp_path_factory) -> Path:
    return write_stanford_layout(tmp_path_factory.mktemp("data") / "aclImdb")


@pytest.fixture(scope="session")
def stanford_tarball(stanford_dir: Path) -> Path:
    """The same reviews as a Stanford-style .tar.gz."""
    path = stanford_dir.parent / "aclImdb_v1.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        archive.add(stanford_dir, arcname="aclImdb")
    return path


@pytest.fixture(scope="session")
def keras_npz(tmp_path_factory) -> Path:
    """A Keras-format imdb.npz: word ranks from 1, no start marker, object arrays."""
    rng = np.random.default_rng(1)

    def reviews(n: int) -> np.ndarray:
        return np.array(
            [rng.integers(1, 6000, size=int(rng.integers(5, 700))).tolist() for _ in range(n)],
            dtype=object,
        )

    path = tmp_path_factory.mktemp("npz") / "imdb.npz"
    np.savez(
        path,
        x_train=reviews(40),
        y_train=rng.integers(0, 2, 40),
        x_test=reviews(30),
        y_test=rng.integers(0, 2, 30),
    )
    return path


@pytest.fixture(autouse=True)
def isolated_keras_home(tmp_path, monkeypatch) -> Path:
    """Each test gets its own Keras cache folder, so no test sees another's cache."""
    home = tmp_path / "keras_home"
    monkeypatch.setenv("KERAS_HOME", str(home))
    monkeypatch.delenv("IMDB_DATA", raising=False)
    return home


def offline_environment(env: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment, `env` added, offline: any download fails at once."""
    return {
        **os.environ,
        **(env or {}),
        "PYTHONDONTWRITEBYTECODE": "1",
        "HTTP_PROXY": "http://127.0.0.1:9",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "https_proxy": "http://127.0.0.1:9",
        "http_proxy": "http://127.0.0.1:9",
    }


def command_line(args: tuple[str, ...]) -> list[str]:
    """A script (args[0] ends in .py) runs with this Python; anything else as it is."""
    return [sys.executable, *args] if args[0].endswith(".py") else list(args)


def run_command(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Runs a command with this Python, offline; `env` adds to the environment."""
    return subprocess.run(
        command_line(args), cwd=ROOT, env=offline_environment(env), input=stdin,
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def kill_in_second_epoch(*args: str, progress_file: Path, env: dict[str, str] | None = None):
    """Runs a training command as run_command does, and kills it with SIGKILL as soon as
    its first epoch is saved, so in its second epoch."""
    process = subprocess.Popen(
        [*command_line(args), "--progress", str(progress_file)],
        cwd=ROOT, env=offline_environment(env), stdout=subprocess.DEVNULL,
    )  # fmt: skip
    progress = Reader(progress_file)  # an epoch's line is written after its checkpoint
    while not any(event["event"] == "epoch" for event in progress.new_events()):
        if process.poll() is not None:
            pytest.fail(f"{args} ended (exit code {process.returncode}) before epoch 2")
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()


# What a resumed run and the same run never stopped agree on to the last bit.
RESUMED_THE_SAME = ["history", "test_loss", "test_accuracy"]


def make(
    target: str, *variables: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """`make TARGET` with this test's Python; .venv is not (re)built."""
    command = ["make", "-o", ".venv/.installed", target, f"PY={sys.executable}", *variables]
    return run_command(*command, env=env)


# The thread counts make run-all gives each of the runs it trains at once on a machine of
# 2 cores (one thread per core): a run by hand with these gives the same numbers.
ONE_THREAD = threads.environment(1)


# The flags of every tiny training run here, as the scripts and as make take them: two
# epochs of two batches (64 and 36 reviews), so that the shuffle order counts.
# The tutorial's training settings, as every script's header states them.
TUTORIAL_SETTINGS = {"seed": 7, "epochs": 3, "batch_size": 64}
TINY = ["--epochs", "2", "--max-samples", "100"]
TINY_MAKE = ["EPOCHS=2", "MAX_SAMPLES=100"]


@pytest.fixture(scope="session")
def run_all_output(stanford_tarball, tmp_path_factory) -> Path:
    """`make run-all EXTENSIONS=1` on tiny data, once per session: each of the four scripts
    and the three extensions trained end to end (two at once, one thread each, on 2
    cores), then compared. What make printed is in <output>/make.log."""
    output = tmp_path_factory.mktemp("run-all")
    variables = [f"DATA={stanford_tarball}", f"OUTPUT={output}", "EXTENSIONS=1", *TINY_MAKE]
    result = make("run-all", *variables)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (output / "make.log").write_text(result.stdout)
    return output


def assert_clean_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    """A non-zero exit, no traceback, and one error line naming what went wrong."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    for fragment in fragments:
        assert fragment in errors[0], errors[0]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def processes_of_group(group: int) -> list[str]:
    """The command lines of the processes of process group `group` still alive."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == group and fields[0] != "Z":  # pgrp; not a zombie
                alive.append((stat.parent / "cmdline").read_text().replace("\0", " "))
        except (OSError, IndexError, ValueError):
            pass
    return alive


def process_tree(pid: int) -> list[str]:
    """The ids of `pid` and its descendants, whatever their process groups (a sweep's
    training runs have their own)."""
    children = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            pass
    found, todo = [], [pid]
    while todo:
        found.append(todo.pop())
        todo += children.get(found[-1], [])
    return [p for p in map(str, found) if Path("/proc", p).exists()]


# A child process that calls `function(Path(path), ...)` of `module` with its address space
# capped at what it has plus a headroom: a reader without a bound dies of MemoryError
# there instead of taking the machine's memory. It prints the UserError it got.
BOUNDED_CHILD = textwrap.dedent(
    """
    import resource, sys
    sys.path.insert(0, {root!r})
    from pathlib import Path
    from imdb_lstm.errors import UserError
    from {module} import {function}

    def vm_bytes():
        for line in open("/proc/self/status"):
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024

    limit = vm_bytes() + {headroom} * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        {function}(Path({path!r}){more_arguments})
    except UserError as error:
        print("refused:", error)
    """
)


def refusal_in_child(
    module: str, function: str, path: Path, headroom_mb: int, more_arguments: str = ""
) -> str:
    """What `function(path, ...)` of `module` printed in a child of bounded memory."""
    code = BOUNDED_CHILD.format(
        root=str(ROOT), module=module, function=function, headroom=headroom_mb,
        path=str(path), more_arguments=more_arguments,
    )  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout
