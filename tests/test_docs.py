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
from imdb_lstm.variants import EXTENDS, EXTENSIONS, TUTORIAL_ACCURACY, VARIANTS
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


# The line-by-line pages from the tutorial's Keras 2 code: each line they say this project
# writes (third column) is a line of the file they name (second column), verbatim, so the
# pages cannot drift from the scripts. The Chinese page maps the same lines.
KERAS3_TABLES = {
    "docs/keras2-to-keras3.md": (
        "| tutorial (Keras 2) | file | this project writes (Keras 3) | why |"
    ),
    "docs/keras2-to-keras3.zh-CN.md": "| 教程（Keras 2） | 文件 | 本项目的写法（Keras 3） | 原因 |",
}
CODE_SPAN = re.compile(r"`([^`]+)`")


def quoted_project_lines(text: str, header: str) -> list[tuple[str, str]]:
    """(file, line) for each line the table under `header` says this project writes."""
    (rows,) = [rows for found, rows in markdown_tables(text) if found == header]
    quoted = []
    for row in rows:
        cells = row.split("|")[1:-1]
        (name,) = CODE_SPAN.findall(cells[1])
        quoted += [(name, line) for line in CODE_SPAN.findall(cells[2])]
    return quoted


def lines_not_in_their_file(quoted: list[tuple[str, str]], root) -> list[str]:
    """The quoted lines that are no line of their file (stripped, with or without the
    comment that ends it)."""
    missing = []
    for name, quoted_line in quoted:
        path = root / name
        lines = path.read_text().splitlines() if path.is_file() else []
        code = {line.strip() for line in lines} | {line.split("  #")[0].strip() for line in lines}
        if quoted_line not in code:
            missing.append(f"{name}: {quoted_line}")
    return missing


@pytest.mark.parametrize("page", KERAS3_TABLES)
def test_the_keras3_pages_quote_the_scripts_as_they_are(page):
    quoted = quoted_project_lines((ROOT / page).read_text(), KERAS3_TABLES[page])
    assert len(quoted) >= 30  # the whole table was read, not an empty one
    assert lines_not_in_their_file(quoted, ROOT) == []


def test_both_keras3_pages_map_the_same_lines():
    english, chinese = (
        quoted_project_lines((ROOT / page).read_text(), header)
        for page, header in KERAS3_TABLES.items()
    )
    assert chinese == english


def test_a_quoted_line_the_script_lacks_is_flagged(tmp_path):
    (tmp_path / "lstm_basic.py").write_text(
        "TOP_WORDS = 5000  # keep the 5,000 most frequent words\n"
        "def build_model():\n"
        "    keras.layers.LSTM(100),\n"
    )
    page = (
        "| tutorial (Keras 2) | file | this project writes (Keras 3) | why |\n|---|---|---|---|\n"
        "| `top_words = 5000` | `lstm_basic.py` "
        "| `TOP_WORDS = 5000` / `keras.layers.LSTM(100),` | |\n"
        "| `LSTM(100)` | `lstm_basic.py` | `keras.layers.LSTM(128),` | changed in the script |\n"
        "| `import numpy` | `common.py` | `import numpy` | a file that is not there |\n"
    )
    quoted = quoted_project_lines(page, KERAS3_TABLES["docs/keras2-to-keras3.md"])
    assert lines_not_in_their_file(quoted, tmp_path) == [
        "lstm_basic.py: keras.layers.LSTM(128),",
        "common.py: import numpy",
    ]


# README_zh-CN.md, the front page for the readers of the tutorial's Chinese translation:
# every figure of its tables is checked against the committed runs' JSON
# (docs/results/<sweep>/<seed>/<variant>.json) and against the tutorial's numbers.
ZH_README = "README_zh-CN.md"
STATS_HEADER = (
    "| 模型 | 运行次数 | 平均测试准确率 | 标准差 | 范围 | 教程 | 差值（百分点） | 教程在范围内 |"
)
SEEDS_HEADER = "| 模型 | 种子 1 | 种子 2 | 种子 3 | 种子 4 | 种子 7 |"
SCRIPTS_HEADER = "| 脚本 | 教程清单（译文小节） | 模型（`Embedding(5000, 32)` 之后） | 参数量 |"
CLAIMS_HEADER = "| 教程的说法 | 本项目的运行结果 | 结论 |"
# A figure in a sentence: digits not inside a name such as MaxPooling1D.
FIGURE = re.compile(r"(?<![A-Za-z0-9_.])[+-]?\d+(?:[.,]\d+)*(?![A-Za-z0-9_])")


def figures(text: str) -> list[str]:
    """The figures of a sentence, leaving out code and where links lead."""
    return FIGURE.findall(re.sub(r"`[^`]*`|\]\([^)]*\)", "", text))


def runs(sweep: str, variant: str) -> dict[int, dict]:
    """The committed runs of a variant in a sweep, by seed."""
    folder = ROOT / "docs" / "results" / sweep
    paths = sorted(folder.glob(f"*/{variant}.json"), key=lambda p: int(p.parent.name))
    return {int(p.parent.name): json.loads(p.read_text()) for p in paths}


def accuracies(variant: str, sweep: str | None = None) -> list[float]:
    """Test accuracies in percent, by seed."""
    return [r["test_accuracy"] * 100 for r in runs(sweep or SWEEPS[variant], variant).values()]


def spread(variant: str, sweep: str | None = None) -> list[str]:
    """Mean, standard deviation, lowest and highest test accuracy, as the tables show them."""
    values = accuracies(variant, sweep)
    return [f"{statistics.mean(values):.2f}", f"{statistics.stdev(values):.2f}"] + [
        f"{min(values):.2f}",
        f"{max(values):.2f}",
    ]


def mean(variant: str) -> float:
    return statistics.mean(accuracies(variant))


def tutorial(variant: str) -> float:
    return TUTORIAL_ACCURACY[variant] * 100


def training(variant: str, metric: str, epoch: int) -> float:
    """The mean over seeds of a training metric after an epoch (1-based)."""
    return statistics.mean(r["history"][metric][epoch - 1] for r in runs("seeds", variant).values())


def parameters(variant: str) -> str:
    (count,) = {r["parameters"] for r in runs(SWEEPS[variant], variant).values()}
    return f"{count:,}"


def fastest_epoch(variant: str) -> str:
    return f"{min(min(r['epoch_seconds']) for r in runs('seeds', variant).values()):.0f}"


def step_ratios(extension: str) -> list[str]:
    """The lowest and highest ratio of the extension's training step to its listing's, over
    the set-ups its bench measured both in (the tutorial's, and this project's without XLA)."""
    bench = json.loads((ROOT / "docs/results/extensions/bench.json").read_text())["variants"]
    ratios = [
        bench[extension][setup]["train_step_seconds"]["median"]
        / bench[EXTENDS[extension]][setup]["train_step_seconds"]["median"]
        for setup in ("tutorial", "xla_off")
    ]
    return [f"{min(ratios):.2f}", f"{max(ratios):.2f}"]


def more_epochs(variant: str) -> list[str]:
    """The mean over the six-epoch sweep's seeds: with 3 epochs, with 6, the difference."""
    six = runs("epochs-6", variant)
    three = statistics.mean(runs("seeds", variant)[seed]["test_accuracy"] * 100 for seed in six)
    longer = statistics.mean(r["test_accuracy"] * 100 for r in six.values())
    return [f"{three:.2f}", f"{longer:.2f}", f"{longer - three:+.2f}"]


def expected_stats_row(variant: str) -> str:
    values = accuracies(variant)
    mean_, std, low, high = spread(variant)
    cells = [variant, str(len(values)), f"{mean_}%", std, f"{low}%–{high}%"]
    if variant in TUTORIAL_ACCURACY:
        inside = min(values) <= tutorial(variant) <= max(values)
        difference = f"{mean(variant) - tutorial(variant):+.2f}"
        cells += [f"{tutorial(variant):.2f}%", difference, "是" if inside else "否"]
    else:
        cells += ["", "", ""]
    return "| " + " | ".join(cells) + " |"


def expected_seeds_row(variant: str) -> str:
    return "| " + " | ".join([variant] + [f"{a:.2f}%" for a in accuracies(variant)]) + " |"


def expected_claim_figures() -> list[list[str]]:
    """The figures of each row of the claims table, in the order the row gives them."""
    basic, layers, recurrent, cnn = VARIANTS

    def loss(variant: str, epoch: int) -> str:
        return f"{training(variant, 'loss', epoch):.3f}"

    def train_accuracy(variant: str) -> str:
        return f"{training(variant, 'accuracy', 3) * 100:.2f}"

    def against(variant: str, other: float) -> str:
        return f"{mean(variant) - other:+.2f}"

    extra_weights = int(parameters(cnn).replace(",", "")) - int(parameters(basic).replace(",", ""))
    return [
        [f"{tutorial(basic):.2f}", *spread(basic), against(basic, tutorial(basic))],
        ["1", loss(layers, 1), loss(basic, 1), "3", loss(layers, 3), loss(basic, 3)],
        [f"{tutorial(layers):.2f}", *spread(layers), spread(basic)[0]],
        [
            f"{tutorial(recurrent):.2f}", "3", loss(recurrent, 3), loss(layers, 3),
            train_accuracy(recurrent), train_accuracy(layers), *spread(recurrent),
        ],
        [spread(recurrent)[0], spread(layers)[0], spread(basic)[0]],
        [
            f"{tutorial(cnn):.2f}", *spread(cnn), against(cnn, mean(basic)),
            against(cnn, tutorial(cnn)),
        ],
        [parameters(cnn), parameters(basic), f"{extra_weights:,}", "32"],
        [fastest_epoch(cnn), fastest_epoch(basic), "500"],
        [
            *[str(seed) for seed in runs("epochs-6", layers)], "3", "6",
            *more_epochs(layers), *more_epochs(recurrent),
        ],
        [
            *spread("cnn_lstm_dropout"), *spread(cnn), against("cnn_lstm_dropout", mean(cnn)),
            *step_ratios("cnn_lstm_dropout"),
        ],
        [
            *spread("bidirectional_lstm"), spread(basic)[0],
            against("bidirectional_lstm", mean(basic)), *step_ratios("bidirectional_lstm"),
        ],
        [*spread("lstm_masked"), against("lstm_masked", mean(basic)), *step_ratios("lstm_masked")],
    ]  # fmt: skip


def table_rows(text: str, header: str) -> list[str]:
    (rows,) = [rows for found, rows in markdown_tables(text) if found == header]
    return rows


def test_the_chinese_readme_results_tables_are_the_committed_runs():
    text = (ROOT / ZH_README).read_text()
    assert table_rows(text, STATS_HEADER) == [expected_stats_row(v) for v in VARIANTS + EXTENSIONS]
    assert table_rows(text, SEEDS_HEADER) == [expected_seeds_row(v) for v in VARIANTS]
    scripts = {row.split("|")[1].strip(" `"): row.split("|")[4].strip() for row in
               table_rows(text, SCRIPTS_HEADER)}  # fmt: skip
    assert scripts == {f"{variant}.py": parameters(variant) for variant in VARIANTS}


def test_the_chinese_readme_claims_hold_the_committed_figures():
    rows = table_rows((ROOT / ZH_README).read_text(), CLAIMS_HEADER)
    assert [figures(row) for row in rows] == expected_claim_figures()


def test_figures_are_read_from_sentences_but_not_from_names():
    row = (
        "| 约 86.79% | `Conv1D(32, 3)` 与 MaxPooling1D：第 1 轮后 0.488，216,405 个，-1.00，"
        "1.80–1.85 倍（[`epochs-6/SEEDS.md`](docs/results/epochs-6/SEEDS.md)） | 支持 |"
    )
    assert figures(row) == ["86.79", "1", "0.488", "216,405", "-1.00", "1.80", "1.85"]


def test_both_readmes_open_with_a_switch_to_the_other():
    english = (ROOT / "README.md").read_text().splitlines()[0]
    chinese = (ROOT / ZH_README).read_text().splitlines()[0]
    assert english == "English | [简体中文](README_zh-CN.md)"
    assert chinese == "[English](README.md) | 简体中文"


def test_the_chinese_readme_is_a_chinese_front_page():
    text = (ROOT / ZH_README).read_text()
    assert len(text.splitlines()) <= 300
    assert "](docs/glossary.zh-CN.md)" in text
    assert "](docs/keras2-to-keras3.zh-CN.md)" in text
    prose = re.sub(r"```.*?```|`[^`]*`|\([^)]*\)", "", text, flags=re.DOTALL)
    chinese = len(re.findall(r"[\u4e00-\u9fff]", prose))
    latin = len(re.findall(r"[A-Za-z]", prose))
    assert chinese > latin, f"{chinese} Chinese characters against {latin} Latin letters"


def test_the_venv_takes_pips_own_index_and_shows_its_progress():
    """make venv passes no index of its own, so PIP_INDEX_URL or pip.conf (a mirror) holds,
    and no --quiet, so the first install shows its progress."""
    dry_run = subprocess.run(
        ["make", "-n", "-B", "venv"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    installs = [line for line in dry_run.splitlines() if "pip install" in line]
    assert len(installs) == 2, dry_run
    assert [line for line in installs if "--quiet" in line or "index" in line] == []
    assert "index" not in (ROOT / ".ci" / "run").read_text()


def test_the_chinese_readme_names_the_chinese_notebooks_sections():
    readme = (ROOT / ZH_README).read_text()
    rows = table_rows(readme, "| 译文小节 | 脚本 | 笔记本中的小节 |")
    named = [title.strip() for row in rows for title in row.split("|")[3].split("；")]
    notebook = json.loads((ROOT / "tutorial.zh-CN.ipynb").read_text())
    headings = {
        line.lstrip("#").strip()
        for cell in notebook["cells"]
        if cell["cell_type"] == "markdown"
        for line in "".join(cell["source"]).splitlines()
        if line.startswith("#")
    }
    assert len(named) == 8
    assert [title for title in named if title not in headings] == []


def test_the_glossary_names_code_the_project_has():
    """Each name in the glossary's code column is a tracked file or in the project's Python
    code, so the glossary cannot name a layer, flag or argument the code no longer has."""
    header = "| 译文的说法 | 标准术语 | 英文 | 代码里的名字 | 说明 |"
    rows = table_rows((ROOT / "docs" / "glossary.zh-CN.md").read_text(), header)
    names = [name for row in rows for name in CODE_SPAN.findall(row.split("|")[4])]
    python = {name for name in tracked_files() if name.endswith(".py")}
    code = "\n".join((ROOT / name).read_text() for name in sorted(python))
    assert len(names) >= 25
    missing = [n for n in names if n not in (python if n.endswith(".py") else code)]
    assert missing == []
