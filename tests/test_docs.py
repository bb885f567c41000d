"""What a reader meets first: links that resolve, no placeholders, and result lines in the
scripts' docstrings that agree with the committed runs behind them."""

import json
import re
import statistics
import subprocess

import pytest
from conftest import ROOT

import lstm_basic
from imdb_lstm.cli import title
from imdb_lstm.variants import EXTENSIONS, VARIANTS
from tools import script_models


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


# Where each script's committed runs over seeds are.
SWEEPS = {**dict.fromkeys(VARIANTS, "seeds"), **dict.fromkeys(EXTENSIONS, "extensions")}


@pytest.mark.parametrize("variant", VARIANTS + EXTENSIONS)
def test_result_line_agrees_with_the_committed_runs(variant):
    doc = script_models.script(variant).__doc__
    match = RESULT.search(" ".join(doc.split()))
    assert match, f"{variant}.py: no 'Result: ...' line in its docstring"
    runs = sorted((ROOT / "docs" / "results" / SWEEPS[variant]).glob(f"*/{variant}.json"))
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
    # The scripts import without running; --help shows their title.
    assert title(lstm_basic.__doc__) == "LSTM for sequence classification of IMDB movie reviews"


def test_readme_stays_a_front_page():
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= 300, f"README.md has {len(lines)} lines; move a long section to docs/"


# Results tables: a table whose header line is a committed report's (docs/results/**/SEEDS.md
# or RESULTS.md) is a copy of that report, and each of its rows must be a line of a report
# with that header. A row that starts with a variant and holds a percentage, in a table
# whose header is no report's, is a results row of unknown origin.
VARIANT_NAMES = VARIANTS + EXTENSIONS
PERCENTAGE = re.compile(r"\d+\.\d\d%")
SEPARATOR = re.compile(r"\|(\s*:?-+:?\s*\|)+")


def markdown_tables(text: str) -> list[tuple[str, list[str]]]:
    """Each table in `text` as its header line and its rows (the separator left out)."""
    tables, block = [], []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            block.append(line)
            continue
        if len(block) >= 2 and SEPARATOR.fullmatch(block[1]):
            tables.append((block[0], block[2:]))
        block = []
    return tables


def rows_not_from_a_report(text: str, reports: dict[str, set[str]]) -> list[str]:
    """The results rows of `text` that no report (name -> its set of lines) holds under
    the same header."""
    found = []
    for header, rows in markdown_tables(text):
        sources = [lines for lines in reports.values() if header in lines]
        for row in rows:
            if row.split("|")[1].strip() not in VARIANT_NAMES:
                continue
            if sources and not any(row in lines for lines in sources):
                found.append(row)
            elif not sources and PERCENTAGE.search(row):
                found.append(row)
    return found


def committed_reports() -> dict[str, set[str]]:
    names = sorted(
        name
        for name in tracked_files()
        if name.startswith("docs/results/") and name.endswith(("/SEEDS.md", "/RESULTS.md"))
    )
    return {name: set((ROOT / name).read_text().splitlines()) for name in names}


def pages() -> list[str]:
    return ["README.md"] + sorted(
        name for name in tracked_files() if re.fullmatch(r"docs/[^/]+\.md", name)
    )


def test_committed_reports_and_pages_are_found():
    assert set(committed_reports()) == {
        "docs/results/seeds/SEEDS.md",
        "docs/results/extensions/SEEDS.md",
        "docs/results/notebook/RESULTS.md",
        "docs/results/seeds/7/RESULTS.md",
        "docs/results/epochs-6/SEEDS.md",
        "docs/results/jax-seed7/RESULTS.md",
        "docs/results/run-all-jobs/jobs-1/RESULTS.md",
        "docs/results/run-all-jobs/jobs-default/RESULTS.md",
    }
    assert {"README.md", "docs/speed.md", "docs/data.md", "docs/backends.md"} <= set(pages())
    assert "docs/running.md" in pages()
    assert "docs/keras2-to-keras3.md" in pages()


def test_every_results_row_is_a_line_of_a_committed_report():
    reports = committed_reports()
    found = {page: rows_not_from_a_report((ROOT / page).read_text(), reports) for page in pages()}
    assert {page: rows for page, rows in found.items() if rows} == {}


def test_the_readme_results_tables_are_the_ones_checked():
    reports = committed_reports()
    tables = markdown_tables((ROOT / "README.md").read_text())
    checked = {
        header
        for header, rows in tables
        if any(header in lines for lines in reports.values())
        and any(row.split("|")[1].strip() in VARIANT_NAMES for row in rows)
    }
    assert checked == {
        "| variant | runs | test accuracy | standard deviation | min - max | tutorial "
        "| difference (points) | tutorial inside the range | test loss | final train accuracy "
        "| fastest epoch (s) | training time | evaluation time | parameters | peak memory (MB) |",
        "| variant | seed 1 | seed 2 | seed 3 | seed 4 | seed 7 |",
    }


REPORT = """# Test accuracy over seeds

| variant | runs | mean |
|---|---|---|
| lstm_basic | 5 | 85.79% |
| cnn_lstm | 5 | 87.87% |
"""


@pytest.mark.parametrize(
    ("page", "flagged"),
    [
        # copied from the report: nothing to flag
        ("| variant | runs | mean |\n|---|---|---|\n| cnn_lstm | 5 | 87.87% |\n", []),
        # a number changed by hand
        (
            "| variant | runs | mean |\n|---|---|---|\n| lstm_basic | 5 | 85.80% |\n",
            ["| lstm_basic | 5 | 85.80% |"],
        ),
        # a variant the report does not hold
        (
            "| variant | runs | mean |\n|---|---|---|\n| lstm_dropout_layers | 5 | 86.39% |\n",
            ["| lstm_dropout_layers | 5 | 86.39% |"],
        ),
        # a header no report has, with percentages
        (
            "intro\n| variant | mean |\n|---|---|\n| lstm_basic | 85.79% |\ntext\n",
            ["| lstm_basic | 85.79% |"],
        ),
        # hand-written tables: scripts with parameter counts, claims
        (
            "| script | parameters |\n|---|---|\n| `lstm_basic.py` | 213,301 |\n\n"
            "| variant | XLA |\n|---|---|\n| lstm_basic | off |\n\n"
            "| the tutorial says | runs |\n|---|---|\n| about 86.79% | 85.79% |\n",
            [],
        ),
    ],
)
def test_results_rows_check_flags_what_no_report_holds(page, flagged):
    reports = {"SEEDS.md": set(REPORT.splitlines())}
    assert rows_not_from_a_report(page, reports) == flagged


def test_every_tool_has_a_make_target_and_a_row_in_the_readme():
    """A tool nobody can find is dead code: each is run by a make target (or, for the
    modules the tools share, imported by one) and named in the README's file table."""
    makefile, readme = (ROOT / "Makefile").read_text(), (ROOT / "README.md").read_text()
    shared = {"board", "cluster", "processes", "script_models"}  # modules of the tools, not tools
    tools = sorted(p.stem for p in (ROOT / "tools").glob("*.py") if p.stem != "__init__")
    assert [t for t in tools if t not in shared and f"-m tools.{t}" not in makefile] == []
    assert [t for t in tools if f"{t}.py" not in readme] == []
