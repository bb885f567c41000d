"""The notebooks: executed on tiny data they give the scripts' very numbers and leave the
committed notebooks alone; the committed ones share their code, carry no injected cell and
no path of the machine that ran them, and hold the outputs of the full-data runs whose
results are committed beside them."""

import hashlib
import json
import re

import nbformat
import pytest
from conftest import ONE_THREAD, ROOT, TINY_MAKE, make

from imdb_lstm.errors import UserError
from imdb_lstm.variants import VARIANTS
from tools import notebook as notebook_tool

NOTEBOOK = ROOT / "tutorial.ipynb"
# Each committed notebook and the folder of its full-data run's results.
COMMITTED = {
    "tutorial.ipynb": ROOT / "docs/results/notebook",
    "tutorial.zh-CN.ipynb": ROOT / "docs/results/notebook-zh-CN",
}
ACCURACY = re.compile(r"^Accuracy: (\d+\.\d\d)%$", re.MULTILINE)
# An absolute path of a machine: a home, the system's folders, a virtual environment.
MACHINE_PATH = re.compile(r"(?<![\w.])/(?:home|root|work|tmp|usr|opt|var)/|site-packages")


def printed(notebook) -> str:
    """Everything the notebook's cells printed."""
    return "".join(
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "stream"
    )


def images(notebook) -> int:
    return sum(
        "image/png" in output.get("data", {})
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )


def code_cells(notebook) -> list[str]:
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"]


@pytest.fixture(scope="module")
def executed(stanford_tarball, tmp_path_factory):
    """`make notebook` of tutorial.ipynb on the suite's tiny data, with the thread counts
    of make run-all's runs; its executed copy and runs."""
    before = {name: hashlib.sha256((ROOT / name).read_bytes()).digest() for name in COMMITTED}
    output = tmp_path_factory.mktemp("notebook")
    variables = [f"DATA={stanford_tarball}", f"OUTPUT={output}", *TINY_MAKE]
    result = make("notebook", "NOTEBOOKS=tutorial.ipynb", *variables, env=ONE_THREAD)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    after = {name: hashlib.sha256((ROOT / name).read_bytes()).digest() for name in COMMITTED}
    assert after == before  # the tracked notebooks left untouched
    return output / "notebook"


def test_the_notebook_trains_each_model_as_its_script_does(executed, run_all_output):
    """The same flags and threads as make run-all's runs: the very same numbers."""
    for variant in VARIANTS:
        notebook_run = json.loads((executed / "tutorial" / f"{variant}.json").read_text())
        script_run = json.loads((run_all_output / f"{variant}.json").read_text())
        for key in ("test_accuracy", "test_loss", "history", "jit_compile"):
            assert notebook_run[key] == script_run[key], (variant, key)


def test_the_executed_copy_shows_four_accuracies_and_the_curves(executed):
    notebook = nbformat.read(executed / "tutorial.ipynb", as_version=4)
    nbformat.validate(notebook)
    accuracies = ACCURACY.findall(printed(notebook))
    runs = executed / "tutorial"
    expected = [
        f"{json.loads((runs / f'{v}.json').read_text())['test_accuracy'] * 100:.2f}"
        for v in VARIANTS
    ]
    assert accuracies == expected
    assert images(notebook) == 5  # each model's curves, and the comparison
    assert "positive  label     review" in printed(notebook)  # the two reviews typed in


def test_make_notebook_without_names_executes_both(tmp_path, monkeypatch):
    """`make notebook` and `make notebook-refresh` name no notebook."""
    executed = []
    monkeypatch.setattr(notebook_tool, "execute", lambda source, target, _: executed.append(target))
    notebook_tool.main(["--output", str(tmp_path)])
    notebook_tool.main(["--refresh"])
    assert executed == [
        tmp_path / "tutorial.ipynb",
        tmp_path / "tutorial.zh-CN.ipynb",
        ROOT / "tutorial.ipynb",
        ROOT / "tutorial.zh-CN.ipynb",
    ]
    with pytest.raises(UserError, match="drop --seed "):
        notebook_tool.main(["--refresh", "--seed", "3"])


def test_the_two_notebooks_run_the_same_code():
    english, chinese = (nbformat.read(ROOT / name, as_version=4) for name in COMMITTED)
    assert code_cells(chinese) == code_cells(english)
    assert "问题描述" in "".join(c.source for c in chinese.cells if c.cell_type == "markdown")


@pytest.mark.parametrize("name", list(COMMITTED))
def test_the_committed_notebook_runs_as_committed_for_anyone(name):
    """No cell papermill added, the parameters a newcomer gets, and no path of the
    machine that executed it, in its outputs or its metadata."""
    notebook = nbformat.read(ROOT / name, as_version=4)
    tags = [tag for cell in notebook.cells for tag in cell.metadata.get("tags", [])]
    assert "injected-parameters" not in tags
    parameters = next(
        c.source for c in notebook.cells if "parameters" in c.metadata.get("tags", [])
    )
    for line in ["DATA = None", "EPOCHS = None", "MAX_SAMPLES = None", "SEED = None"]:
        assert f"\n{line}  #" in parameters
    assert MACHINE_PATH.findall(printed(notebook)) == []
    assert MACHINE_PATH.findall(json.dumps(notebook.metadata)) == []


@pytest.mark.parametrize("name", list(COMMITTED))
def test_the_committed_notebook_shows_its_committed_full_data_run(name):
    notebook = nbformat.read(ROOT / name, as_version=4)
    nbformat.validate(notebook)
    runs = [json.loads((COMMITTED[name] / f"{v}.json").read_text()) for v in VARIANTS]
    assert [(run["train_reviews"], run["test_reviews"]) for run in runs] == [(25_000, 25_000)] * 4
    assert [(run["epochs"], run["seed"], run["batch_size"]) for run in runs] == [(3, 7, 64)] * 4
    accuracies = ACCURACY.findall(printed(notebook))
    assert accuracies == [f"{run['test_accuracy'] * 100:.2f}" for run in runs]
    assert images(notebook) == 5
    assert "Machine: " in printed(notebook)
    assert "Reviews: data/aclImdb_v1.tar.gz (a local copy, found without --data)" in printed(
        notebook
    )
