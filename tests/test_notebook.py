"""tutorial.ipynb: executed on tiny data it gives the scripts' very numbers and leaves the
committed notebook alone; the committed one holds the outputs of the full-data run whose
results are committed beside it."""

import hashlib
import json
import re

import nbformat
import pytest
from conftest import ONE_THREAD, ROOT, TINY_MAKE, make

from imdb_lstm.variants import VARIANTS

NOTEBOOK = ROOT / "tutorial.ipynb"
ACCURACY = re.compile(r"^Accuracy: (\d+\.\d\d)%$", re.MULTILINE)


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


@pytest.fixture(scope="module")
def executed(stanford_tarball, tmp_path_factory):
    """`make notebook` on the suite's tiny data, with the thread counts of make run-all's
    runs, into a folder of its own."""
    before = hashlib.sha256(NOTEBOOK.read_bytes()).hexdigest()
    output = tmp_path_factory.mktemp("notebook")
    variables = [f"DATA={stanford_tarball}", f"OUTPUT={output}", *TINY_MAKE]
    result = make("notebook", *variables, env=ONE_THREAD)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert hashlib.sha256(NOTEBOOK.read_bytes()).hexdigest() == before  # left untouched
    return output


def test_the_notebook_trains_each_model_as_its_script_does(executed, run_all_output):
    """The same flags and threads as make run-all's runs: the very same numbers."""
    for variant in VARIANTS:
        notebook_run = json.loads((executed / f"{variant}.json").read_text())
        script_run = json.loads((run_all_output / f"{variant}.json").read_text())
        for key in ("test_accuracy", "test_loss", "history", "jit_compile"):
            assert notebook_run[key] == script_run[key], (variant, key)


def test_the_executed_copy_shows_four_accuracies_and_the_curves(executed):
    notebook = nbformat.read(executed / "tutorial.ipynb", as_version=4)
    nbformat.validate(notebook)
    accuracies = ACCURACY.findall(printed(notebook))
    expected = [
        f"{json.loads((executed / f'{v}.json').read_text())['test_accuracy'] * 100:.2f}"
        for v in VARIANTS
    ]
    assert accuracies == expected
    assert images(notebook) == 5  # each model's curves, and the comparison
    assert "positive  label     review" in printed(notebook)  # the two reviews typed in


def test_the_committed_notebook_shows_the_committed_full_data_run():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    parameters = notebook.metadata["papermill"]["parameters"]
    assert (parameters["EPOCHS"], parameters["SEED"], parameters["MAX_SAMPLES"]) == (3, 7, None)
    runs = [
        json.loads((ROOT / "docs/results/notebook" / f"{v}.json").read_text()) for v in VARIANTS
    ]
    assert [(run["train_reviews"], run["test_reviews"]) for run in runs] == [(25_000, 25_000)] * 4
    accuracies = ACCURACY.findall(printed(notebook))
    assert accuracies == [f"{run['test_accuracy'] * 100:.2f}" for run in runs]
    assert images(notebook) == 5
    assert "Machine: " in printed(notebook)
