"""What a reader meets first: links that resolve, no placeholders, and result lines in the
scripts' docstrings that agree with the committed runs behind them."""

import json
import re
import statistics
import subprocess

import pytest
from conftest import ROOT

import lstm_basic
from imdb_lstm.variants import VARIANTS


def tracked_files() -> set[str]:
    listing = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    if listing.returncode != 0:
        pytest.skip("not a git checkout")
    return set(listing.stdout.split())


def test_every_relative_link_in_markdown_points_at_a_tracked_file():
    tracked = tracked_files()
    broken = []
    for document in sorted(p for p in tracked if p.endswith(".md")):
        folder = (ROOT / document).parent
        for link in re.findall(r"\]\(([^)#\s]+)", (ROOT / document).read_text()):
            if "://" in link or link.startswith("mailto:"):
                continue
            target = (folder / link).resolve().relative_to(ROOT.resolve()).as_posix()
            if not any(t == target or t.startswith(target.rstrip("/") + "/") for t in tracked):
                broken.append(f"{document} -> {link}")
    assert broken == []


def test_no_placeholders_are_left():
    tracked = tracked_files()
    # Spelled in pieces, so that this file is not a hit of its own (or of check-docs).
    pattern = re.compile(r"RESULT[_]PENDING|\bTO[D]O\b|\bFIX[M]E\b")
    found = [
        name
        for name in sorted(tracked)
        if name.endswith((".py", ".md", "Makefile")) and pattern.search((ROOT / name).read_text())
    ]
    assert found == []


RESULT = re.compile(
    r"Result: (?P<seed_accuracy>\d+\.\d\d)% test accuracy with seed (?P<seed>\d+); "
    r"(?P<mean>\d+\.\d\d)% on average over (?P<runs>\d+) seeds"
)


@pytest.mark.parametrize("variant", VARIANTS)
def test_result_line_agrees_with_the_committed_runs(variant):
    doc = __import__(variant).__doc__
    match = RESULT.search(" ".join(doc.split()))
    assert match, f"{variant}.py: no 'Result: ...' line in its docstring"
    runs = sorted((ROOT / "docs" / "results" / "seeds").glob(f"*/{variant}.json"))
    accuracies = {int(p.parent.name): json.loads(p.read_text())["test_accuracy"] for p in runs}
    seed = int(match["seed"])
    assert match["seed_accuracy"] == f"{accuracies[seed] * 100:.2f}"
    assert int(match["runs"]) == len(accuracies)
    assert match["mean"] == f"{statistics.mean(accuracies.values()) * 100:.2f}"


def test_result_line_pattern_reads_what_the_docstrings_say():
    text = "Result: 87.17% test accuracy with seed 7; 86.02% on average over 5 seeds"
    assert RESULT.search(text).groupdict() == {
        "seed_accuracy": "87.17", "seed": "7", "mean": "86.02", "runs": "5",
    }  # fmt: skip
    assert lstm_basic.__doc__  # the scripts import without running
