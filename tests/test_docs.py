"""What a reader meets first: links that resolve, no placeholders, and result lines in the
scripts' docstrings that agree with the committed runs behind them."""

import itertools
import json
import re
import statistics
import subprocess

import pytest
from conftest import ROOT

import lstm_basic
from imdb_lstm.cli import duration, title
from imdb_lstm.variants import (
    EXTENDS,
    EXTENSIONS,
    SWEEPS,
    TUTORIAL_ACCURACY,
    VARIANTS,
    XLA_FASTER_ON_CPU,
)
from tools.bench import script


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


@pytest.mark.parametrize("variant", VARIANTS + EXTENSIONS)
def test_result_line_agrees_with_the_committed_runs(variant):
    doc = script(variant).__doc__
    match = RESULT.search(" ".join(doc.split()))
    assert match, f"{variant}.py: no 'Result: ...' line in its docstring"
    runs = sorted((ROOT / "docs" / "results" / SWEEPS[variant]).glob(f"*/{variant}.json"))
    accuracies = {int(p.parent.name): json.loads(p.read_text())["test_accuracy"] for p in runs}
    seed = int(match["seed"])
    assert match["seed_accuracy"] == f"{accuracies[seed] * 100:.2f}"
    assert int(match["runs"]) == len(accuracies)
    assert match["mean"] == f"{statistics.mean(accuracies.values()) * 100:.2f}"


def test_the_scripts_import_without_running_and_give_their_title():
    assert title(lstm_basic.__doc__) == "LSTM for sequence classification of IMDB movie reviews"


def test_readme_stays_a_front_page():
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= 300, f"README.md has {len(lines)} lines; move a long section to docs/"


# Results tables: a table whose columns are all columns of the committed reports'
# tables (docs/results/**/SEEDS.md or RESULTS.md) shows some of a report's columns, and
# each of its rows must hold the cells of one report row under the same columns. A row
# that starts with a variant and holds a percentage, in a table with a column no report
# has, is a results row of unknown origin. The reports are what tools/compare.py makes of
# the JSON beside them (test_committed_reports_are_what_compare_makes_of_their_json).
VARIANT_NAMES = VARIANTS + EXTENSIONS
PERCENTAGE = re.compile(r"\d+\.\d\d%")
SEPARATOR = re.compile(r"\|(\s*:?-+:?\s*\|)+")
RESULTS = ROOT / "docs" / "results"


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


def cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def row_dicts(text: str) -> list[dict[str, str]]:
    """Every row of every table in `text`, as {column: cell}."""
    return [
        dict(zip(cells(header), cells(line), strict=True))
        for header, lines in markdown_tables(text)
        for line in lines
    ]


def rows_not_from_a_report(text: str, report_rows: list[dict[str, str]]) -> list[str]:
    """The results rows of `text` that are no report row under the same columns."""
    columns = {column for row in report_rows for column in row}
    found = []
    for header, lines in markdown_tables(text):
        names = cells(header)
        for line in lines:
            row = dict(zip(names, cells(line), strict=True))
            if row[names[0]] not in VARIANT_NAMES:
                continue
            if set(names) <= columns:
                if not any(all(r.get(n) == row[n] for n in names) for r in report_rows):
                    found.append(line)
            elif PERCENTAGE.search(line):
                found.append(line)
    return found


def committed_reports() -> dict[str, str]:
    names = sorted(
        name
        for name in tracked_files()
        if name.startswith("docs/results/") and name.endswith(("/SEEDS.md", "/RESULTS.md"))
    )
    return {name: (ROOT / name).read_text() for name in names}


def committed_report_rows() -> list[dict[str, str]]:
    return [row for text in committed_reports().values() for row in row_dicts(text)]


def pages() -> list[str]:
    return ["README.md"] + sorted(
        name for name in tracked_files() if re.fullmatch(r"docs/[^/]+\.md", name)
    )


# Each committed report and how tools/compare.py made it of the runs' JSON beside it.
REPORTS = {
    "docs/results/seeds/SEEDS.md": {"seeds": True},
    "docs/results/extensions/SEEDS.md": {"seeds": True, "beside": [RESULTS / "seeds"]},
    "docs/results/epochs-6/SEEDS.md": {"seeds": True},
    "docs/results/notebook/RESULTS.md": {},
    "docs/results/notebook-zh-CN/RESULTS.md": {},
    "docs/results/seeds/7/RESULTS.md": {},
    "docs/results/jax-seed7/RESULTS.md": {},
    "docs/results/run-all-jobs/jobs-1/RESULTS.md": {},
    "docs/results/run-all-jobs/jobs-default/RESULTS.md": {},
}


def test_committed_reports_and_pages_are_found():
    assert set(committed_reports()) == set(REPORTS)
    assert {"README.md", "docs/speed.md", "docs/data.md", "docs/backends.md"} <= set(pages())
    assert "docs/running.md" in pages()
    assert "docs/keras2-to-keras3.md" in pages()


@pytest.mark.parametrize("report", sorted(REPORTS))
def test_committed_reports_are_what_compare_makes_of_their_json(report):
    """So that a figure typed into a report, or a run's JSON changed after it, shows."""
    from tools import compare

    _, text = compare.runs_and_report((ROOT / report).parent, **REPORTS[report])
    assert text == (ROOT / report).read_text()


def test_every_results_row_is_a_row_of_a_committed_report():
    rows = committed_report_rows()
    found = {page: rows_not_from_a_report((ROOT / page).read_text(), rows) for page in pages()}
    assert {page: rows for page, rows in found.items() if rows} == {}


def test_the_readme_results_tables_are_the_ones_checked():
    columns = {column for row in committed_report_rows() for column in row}
    tables = markdown_tables((ROOT / "README.md").read_text())
    checked = {
        header
        for header, rows in tables
        if set(cells(header)) <= columns and any(cells(r)[0] in VARIANT_NAMES for r in rows)
    }
    assert checked == {
        "| variant | test accuracy | standard deviation | min - max | tutorial "
        "| difference (points) | tutorial inside the range | fastest epoch (s) |",
        "| variant | seed 1 | seed 2 | seed 3 | seed 4 | seed 7 |",
        "| variant | test accuracy | standard deviation | min - max | test loss "
        "| fastest epoch (s) | parameters |",
    }


def test_readme_tables_are_at_most_eight_columns_and_show_each_figure_once():
    tables = markdown_tables((ROOT / "README.md").read_text())
    assert [header for header, _ in tables if len(cells(header)) > 8] == []
    shown = [
        (row["variant"], column)
        for row in row_dicts((ROOT / "README.md").read_text())
        if row.get("variant") in VARIANT_NAMES
        for column in row
        if column != "variant"
    ]
    assert len(shown) == len(set(shown)), "a variant's figure is shown twice"


def table(page: str, header: str) -> list[str]:
    """The rows of the table of `page` with the header line `header`."""
    return table_rows((ROOT / page).read_text(), header)


def read(path: str) -> dict:
    return json.loads((RESULTS / path).read_text())


def step_ms(bench: dict, variant: str, setup: str) -> float:
    """The median training step of `variant` in a make bench report, in ms."""
    return bench["variants"][variant][setup]["train_step_seconds"]["median"] * 1e3


def test_the_speed_tables_are_the_committed_benchmarks():
    jobs = read("run-all-jobs/bench-jobs.json")["settings"]
    one, default = jobs
    intra_op = {s["setting"]: {r["threads"]["intra_op"] for r in s["runs"].values()} for s in jobs}
    assert intra_op == {"1": {"default"}, "default": {1}} and one["jobs"] == 1
    assert table(
        "README.md", "| `make run-all` | runs at once | threads per run | wall time |"
    ) == [
        f"| `JOBS=1` | 1 | TensorFlow's default (2) | {duration(one['wall_seconds'])} |",
        f"| default | {default['jobs']} | 1 | {duration(default['wall_seconds'])} "
        f"({default['ratio_to_first']:.2f}x) |",
    ]
    header = "| variant | `JOBS=1`: training, 2 threads, alone | default: training, 1 thread, "
    header += "two runs at once | ratio |"
    train = {s["setting"]: {v: r["train_seconds"] for v, r in s["runs"].items()} for s in jobs}
    assert table("docs/speed.md", header) == [
        f"| {v} | {train['1'][v]:.0f} s | {train['default'][v]:.0f} s | "
        f"{train['default'][v] / train['1'][v]:.2f} |"
        for v in VARIANTS
    ] + [
        f"| **`make run-all`, wall time** | **{duration(one['wall_seconds'])}** | "
        f"**{duration(default['wall_seconds'])}** | **{default['ratio_to_first']:.2f}** |"
    ]


def test_the_xla_and_thread_tables_are_the_committed_benchmarks():
    bench = read("bench/bench.json")
    rows = []
    for v in VARIANTS:
        ms = [f"{step_ms(bench, v, setup):.1f} ms" for setup in ("tutorial", "xla_off", "xla_on")]
        result = bench["variants"][v]
        choice = "XLA on" if result["project"] == "xla_on" else "XLA off"
        if result["project"] == "xla_on":
            choice += f" ({result['train_speedup']:.2f}x the tutorial's)"
        rows.append(f"| {v} | {' | '.join(ms)} | {choice} |")
    header = "| variant | tutorial's compile | XLA off | XLA on | the script's choice |"
    assert table("docs/speed.md", header) == rows
    runs = {
        name: read(f"threads/{name}/bench.json")
        for name in ("default-threads", "one-thread", "one-thread-two-at-once-a",
                     "one-thread-two-at-once-b")
    }  # fmt: skip
    off = {name: step_ms(run, "lstm_basic", "xla_off") for name, run in runs.items()}
    tutorial = {name: step_ms(run, "lstm_basic", "tutorial") for name, run in runs.items()}
    both = ("one-thread-two-at-once-a", "one-thread-two-at-once-b")
    header = "| set-up | XLA off | tutorial's compile | one run's steps per second | runs at once "
    header += "| steps per second in all |"
    assert table("docs/speed.md", header) == [
        f"| {label} | {off[name]:.1f} ms | {tutorial[name]:.1f} ms | {1e3 / off[name]:.1f} | 1 "
        f"| {1e3 / off[name]:.1f} |"
        for label, name in (("TensorFlow's default threads", "default-threads"),
                            ("one intra-op thread", "one-thread"))
    ] + [
        f"| one thread each, two runs at once | {off[both[0]]:.1f} ms, {off[both[1]]:.1f} ms "
        f"| {tutorial[both[0]]:.1f} ms, {tutorial[both[1]]:.1f} ms "
        f"| {1e3 / off[both[0]]:.1f}, {1e3 / off[both[1]]:.1f} | 2 "
        f"| {1e3 / off[both[0]] + 1e3 / off[both[1]]:.1f} |"
    ]  # fmt: skip


def test_the_epoch_pause_table_is_the_committed_measurement():
    def row(label: str, name: str) -> str:
        run = read(f"epoch-pause/{name}-6440-reviews.json")
        waits = ", ".join(f"{s:.1f} s" for s in run["seconds_to_first_step"])
        epochs = ", ".join(f"{s:.1f} s" for s in run["epoch_seconds"])
        return f"| {label} | {waits} | {epochs} |"

    assert table("docs/speed.md", "| pipeline | wait before epoch 1, 2, 3 | epoch 1, 2, 3 |") == [
        row("Keras's, for NumPy arrays", "keras-arrays"),
        row("`run.batches` (autotuning off)", "project"),
    ]


def test_the_backends_tables_are_the_committed_benchmark():
    bench = read("backends/bench-backends.json")
    ms, ratio = bench["median_ms"], bench["ratio_to_tensorflow"]
    assert table("README.md", "| variant | TensorFlow | JAX | PyTorch |") == [
        f"| {v} | {ms['tensorflow'][v]:,.0f} ms | {ms['jax'][v]:,.0f} ms "
        f"({ratio['jax'][v]:.3g}x) | {ms['torch'][v]:,.0f} ms ({ratio['torch'][v]:.3g}x) |"
        for v in VARIANTS
    ]
    header = "| variant | TensorFlow | JAX | PyTorch | JAX / TensorFlow | PyTorch / TensorFlow |"
    assert table("docs/backends.md", header) == [
        f"| {v} | {ms['tensorflow'][v]:,.1f} ms{' (XLA)' if v in XLA_FASTER_ON_CPU else ''} "
        f"| {ms['jax'][v]:,.1f} ms | {ms['torch'][v]:,.1f} ms | {ratio['jax'][v]:.3g} "
        f"| {ratio['torch'][v]:.3g} |"
        for v in VARIANTS
    ]


# The claims table's figures that are no measurement: seeds, epochs, counts of seeds,
# the convolution's 32 filters of 3 taps, the 500 steps.
STRUCTURAL = {"1", "2", "3", "5", "6", "7", "32", "500"}
NUMBER = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")


def runs_of(sweep: str) -> dict[str, list[dict]]:
    """The runs of a committed sweep by variant, in seed order."""
    runs: dict[str, list[dict]] = {}
    for path in sorted((RESULTS / sweep).glob("*/*.json"), key=lambda p: int(p.parent.name)):
        runs.setdefault(path.stem, []).append(json.loads(path.read_text()))
    return runs


def claim_figures() -> set[str]:
    """Every figure the claims table may show, from the committed JSON: per variant and
    sweep the mean, spread, range and runs of test accuracy, the mean training loss of
    each epoch and final training accuracy, the fastest epoch, the parameters; the
    differences between means, between parameter counts and from the tutorial; the
    extensions' step times against their listing's (make bench)."""
    figures, means, parameters = set(), {}, set()

    def add(value: float, digits: int = 2) -> None:
        figures.add(f"{abs(value):,.{digits}f}")

    sweeps = {sweep: runs_of(sweep) for sweep in ("seeds", "extensions", "epochs-6")}
    for sweep, groups in sweeps.items():
        for variant, runs in groups.items():
            accuracies = [run["test_accuracy"] * 100 for run in runs]
            for value in [*accuracies, statistics.stdev(accuracies), min(accuracies),
                          max(accuracies)]:  # fmt: skip
                add(value)
            means[sweep, variant] = statistics.mean(accuracies)
            for epoch_losses in zip(*(run["history"]["loss"] for run in runs), strict=True):
                add(statistics.mean(epoch_losses), 3)
            add(statistics.mean(run["history"]["accuracy"][-1] * 100 for run in runs))
            figures.add(f"{min(min(run['epoch_seconds']) for run in runs):.0f}")
            parameters.add(runs[0]["parameters"])
    for variant, runs in sweeps["epochs-6"].items():  # the same seeds at 3 epochs
        seeds = {run["seed"] for run in runs}
        three = [r["test_accuracy"] * 100 for r in sweeps["seeds"][variant] if r["seed"] in seeds]
        means["seeds", variant, "epochs-6 seeds"] = statistics.mean(three)
    for mean in means.values():
        add(mean)
    for a, b in itertools.combinations(means.values(), 2):
        add(a - b)
    for key, mean in means.items():
        if key[1] in TUTORIAL_ACCURACY:
            add(mean - TUTORIAL_ACCURACY[key[1]] * 100)
    figures |= {f"{p:,}" for p in parameters} | {
        f"{abs(a - b):,}" for a in parameters for b in parameters
    }
    bench = read("extensions/bench.json")
    for extension, listing in EXTENDS.items():
        for setup in ("tutorial", "xla_off"):
            add(step_ms(bench, extension, setup) / step_ms(bench, listing, setup))
    return figures | {f"{a * 100:.2f}" for a in TUTORIAL_ACCURACY.values()}


CLAIMS = "| the tutorial says | what the runs above show | verdict |"


def test_every_figure_of_the_claims_table_comes_from_the_committed_json():
    figures = claim_figures()
    unknown = [
        (row.split("|")[1].strip()[:40], figure)
        for row in table("README.md", CLAIMS)
        for figure in NUMBER.findall(row)
        if figure not in figures | STRUCTURAL
    ]
    assert unknown == []


def test_the_claims_quote_the_tutorials_own_figures():
    """The first column says what the tutorial says: its figures, not this project's."""
    tutorial = {f"{a * 100:.2f}%" for a in TUTORIAL_ACCURACY.values()}
    said = [PERCENTAGE.findall(row.split("|")[1]) for row in table("README.md", CLAIMS)]
    assert {figure for figures in said for figure in figures} <= tutorial
    assert sum(map(len, said)) == 4


def test_every_tool_has_a_make_target_and_a_row_in_the_readme():
    """A tool nobody can find is dead code: each is run by a make target (or, for the
    modules the tools share, imported by one) and named in the README's file table."""
    makefile, readme = (ROOT / "Makefile").read_text(), (ROOT / "README.md").read_text()
    shared = {"board", "cluster", "processes"}  # modules of the tools, not tools
    tools = sorted(p.stem for p in (ROOT / "tools").glob("*.py") if p.stem != "__init__")
    assert [t for t in tools if t not in shared and f"-m tools.{t}" not in makefile] == []
    assert [t for t in tools if f"{t}.py" not in readme] == []


def test_the_machines_effect_on_a_seed_is_the_committed_runs():
    accuracy = {
        where: f"{read(f'{where}/lstm_basic.json')['test_accuracy'] * 100:.2f}%"
        for where in ("seeds/7", "run-all-jobs/jobs-default")
    }
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert (
        f"`lstm_basic` gave {accuracy['seeds/7']} on the AMD EPYC above and "
        f"{accuracy['run-all-jobs/jobs-default']} on a 2-core Intel Xeon" in readme
    )


def json_figures(folder: str) -> set[str]:
    """Every number in the JSON files under docs/results/`folder` (seconds also as ms) at
    0, 1 and 2 decimals."""
    figures = set()

    def walk(value: object, seconds: bool = False) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, seconds or "seconds" in key)
        elif isinstance(value, list):
            for item in value:
                walk(item, seconds)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            values = (value, value * 1e3) if seconds else (value,)
            figures.update(f"{x:,.{d}f}" for x in values for d in (0, 1, 2))

    for path in (RESULTS / folder).rglob("*.json"):
        walk(json.loads(path.read_text()))
    return figures


# docs/speed.md's figures that are no measurement: sizes of the step and the data, cores,
# runs and seeds, and the estimates for machines not measured (said to be estimates).
SPEED_STRUCTURE = {"64", "132", "400", "500", "6,440", "25,000", "50,000", "2", "3", "4", "5",
                   "6", "7", "8", "10", "16", "20", "32", "69"}  # fmt: skip


def test_every_figure_of_the_speed_page_comes_from_the_committed_json():
    """Its tables are checked cell by cell above; this also holds its prose to the JSON."""
    figures = set().union(*map(json_figures, ("bench", "threads", "run-all-jobs", "epoch-pause")))
    jobs = read("run-all-jobs/bench-jobs.json")["settings"]
    figures |= {f"{sum(r['train_seconds'] for r in s['runs'].values()):.0f}" for s in jobs}
    one, default = ({v: r["train_seconds"] for v, r in s["runs"].items()} for s in jobs)
    figures |= {f"{default[v] / one[v]:.2f}" for v in VARIANTS}
    unknown = sorted(prose_figures("docs/speed.md") - figures - SPEED_STRUCTURE)
    assert unknown == []


def prose_figures(page: str) -> set[str]:
    """The figures of a page's sentences: its tables (checked cell by cell) and code blocks
    left out, and what is no measurement: links, commits, code, versions, names with
    digits (AVX-512, SHA-256, HDF5)."""
    text = re.sub(r"```.*?```", "", (ROOT / page).read_text(), flags=re.DOTALL)
    text = "\n".join(line for line in text.splitlines() if not line.startswith("|"))
    prose = re.sub(r"\(\S*\)|commit\s+\w+|`[^`]*`|\d+\.\d+\.\d+|AVX-512|SHA-256|HDF5", "", text)
    return set(NUMBER.findall(prose))


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


def test_the_readme_gives_the_suites_time_as_measured():
    """`make test`'s time on a clean clone, from its committed --durations run."""
    run = json.loads((ROOT / "docs/results/test-suite/make-test.json").read_text())
    readme = (ROOT / "README.md").read_text()
    assert f"{duration(run['seconds'])} on a clean clone" in readme
    assert run["pytest"].split(" passed")[0].isdigit() and " failed" not in run["pytest"]


# The other pages' figures. Each table is checked cell by cell; each figure in a page's
# sentences is a phrase written out here as the page words it, from the JSON behind it,
# and every other figure of its sentences must be one PAGE_FIGURES lists as no measurement.


def sentences(page: str) -> str:
    """A page's text with its line breaks and runs of spaces as single spaces."""
    return " ".join((ROOT / page).read_text().split())


def hours(seconds: float) -> str:
    return f"{seconds / 3600:.1f}"


def minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f}"


def percent(fraction: float) -> str:
    return f"{fraction * 100:.2f}%"


def run_seconds(run: dict) -> float:
    """A run's time as the sweeps count it: training and evaluation."""
    return run["train_seconds"] + run["evaluate_seconds"]


def test_the_extensions_step_table_is_the_committed_benchmark():
    bench = read("extensions/bench.json")
    assert bench["batch_size"] == 64  # "one training step of 64 reviews"
    header = "| variant | training step, Keras's default (ms) | training step, XLA off (ms) "
    header += "| evaluation, reviews/s |"
    assert table("docs/extensions.md", header) == [
        f"| {v} | {step_ms(bench, v, 'tutorial'):.1f} | {step_ms(bench, v, 'xla_off'):.1f} "
        f"| {bench['variants'][v]['xla_off']['eval_reviews_per_second']:.0f} |"
        for v in ("lstm_basic", "lstm_masked", "bidirectional_lstm", "cnn_lstm",
                  "cnn_lstm_dropout")
    ]  # fmt: skip


def test_the_pytorch_lstm_table_is_the_committed_measurement():
    run = read("backends/torch-lstm-step.json")
    default, no_cudnn = run["keras_default_step_seconds"], run["keras_use_cudnn_false_step_seconds"]
    profile = run["default_step_profile_top"][:3]
    calls = ", ".join(f"`{p['name']}` ({p['calls']:,} calls)" for p in profile)
    loop = run["plain_torch_loop_seconds"]
    assert table("docs/backends.md", "| measured | seconds |") == [
        f"| one Keras training step, `LSTM(100)` | {min(default):.1f} - {max(default):.1f} |",
        f"| of it, in the profile: {calls} | "
        + ", ".join(f"{p['self_cpu_seconds']:.1f}" for p in profile) + " |",
        f"| one Keras training step, `LSTM(100, use_cudnn=False)` | {min(no_cudnn):.1f} - "
        f"{max(no_cudnn):.1f} |",
        f"| the loop in plain PyTorch, forward and backward, reading `x_proj[t]` "
        f"| {loop['x_proj[t]']:.1f} |",
        f"| the same loop over `x_proj.unbind(0)` | {loop['x_proj.unbind(0)']:.1f} |",
    ]  # fmt: skip


def backends_phrases() -> list[str]:
    bench, torch = read("backends/bench-backends.json"), read("backends/torch-lstm-step.json")
    ms, ratio = bench["median_ms"]["torch"], bench["ratio_to_tensorflow"]["torch"]
    cudnn_off = statistics.median(torch["keras_default_step_seconds"]) / statistics.median(
        torch["keras_use_cudnn_false_step_seconds"]
    )
    steps = 391  # an epoch: 25,000 reviews in batches of 64
    slowest = min(ms["lstm_basic"], ms["lstm_dropout_layers"]) * steps / 6e4
    run = read("torch-seed7/cnn_lstm.json")
    assert run["threads"] == {"intra_op": 1} and run["seed"] == 7  # as the page says
    epochs = run["epoch_seconds"]
    return [
        f"At {ms['lstm_basic'] / 1e3:.0f} s a step, one epoch of `lstm_basic` ({steps} steps)",
        f"about {cudnn_off:.0f} times faster here",
        f"only {ratio['lstm_recurrent_dropout']:.3g} times slower than TensorFlow above",
        f"{percent(run['test_accuracy'])} test accuracy",
        f"its epochs took {minutes(min(epochs))} to {minutes(max(epochs))} minutes",
        f"some {minutes(ms['lstm_recurrent_dropout'] * steps / 1e3)} minutes for "
        "`lstm_recurrent_dropout` and over "
        f"{int(slowest)} minutes for `lstm_basic` and `lstm_dropout_layers`",
        f"over five seeds its mean is {spread('lstm_basic')[0]}%",
    ]


def cluster_phrases() -> list[str]:
    bench = read("cluster/bench-cluster.json")
    sweeps, machinery = bench["sweeps"], bench["machinery"]
    walls = {how: [duration(s["wall_seconds"]) for s in done] for how, done in sweeps.items()}
    assert table("docs/cluster.md", "| the sweep | round 1 | round 2 |") == [
        f"| here, two runs at once | {' | '.join(walls['here'])} |",
        f"| through the cluster | {' | '.join(walls['cluster'])} |",
    ]
    every_sweep = [sweep["runs"] for done in sweeps.values() for sweep in done]
    runs = {name: [sweep[name] for sweep in every_sweep] for name in every_sweep[0]}
    assert all(len({r["test_accuracy"] for r in same}) == 1 for same in runs.values())
    varied = max(max(map(run_seconds, s)) - min(map(run_seconds, s)) for s in runs.values())
    trips = [seconds * 1e3 for seconds in machinery["task_round_trip_seconds"]]
    seeds = [r for rs in runs_of("seeds").values() for r in rs]
    longest = max(seeds, key=run_seconds)
    by_machines = bench["estimate"]["hours_by_machines"]
    assert bench["seeds"] == [1, 2] and len(runs) == 4
    assert " ".join(bench["flags"]).endswith(" --epochs 1 --max-samples 500")
    return [
        "seeds 1 and 2: 4 runs of 1 epoch on 500 reviews",
        f"{hours(sum(map(run_seconds, seeds)))} hours of training and evaluation",
        f"{-bench['overhead_seconds_per_run']:.1f} s per run faster",
        f"varied by up to {varied:.0f} s",
        f"{machinery['connect_seconds']:.1f} s once per sweep",
        f"({machinery['result_bytes'] / 1e6:.1f} MB), "
        f"{machinery['median_round_trip_seconds'] * 1e3:.0f} ms from submission to result "
        f"(median of {len(trips)}, {min(trips):.0f} to {max(trips):.0f} ms)",
        f"{by_machines['1']:.1f} hours on 1, {by_machines['2']:.1f} hours on 2, "
        f"{by_machines['5'] * 60:.0f} minutes on 5 or more",
        f"(`{longest['variant']}`, seed {longest['seed']}, {minutes(run_seconds(longest))} "
        "minutes)",
        *machines_effect_phrases()[:1],
    ]


def machines_effect_phrases() -> list[str]:
    """The same seed on two machines of the same vector instructions, and under two thread
    settings on one of them."""
    epyc, xeon = RESULTS / "seeds/7", RESULTS / "run-all-jobs/jobs-default"
    default_threads = RESULTS / "run-all-jobs/jobs-1"

    def accuracy(folder, variant: str) -> str:
        return percent(json.loads((folder / f"{variant}.json").read_text())["test_accuracy"])

    return [
        f"{accuracy(xeon, 'lstm_basic')} and {accuracy(epyc, 'lstm_basic')} for `lstm_basic`",
        f"{accuracy(xeon, 'cnn_lstm')} and {accuracy(epyc, 'cnn_lstm')} for `cnn_lstm`",
        f"{accuracy(default_threads, 'cnn_lstm')} with the default threads, "
        f"{accuracy(xeon, 'cnn_lstm')} with one",
    ]


def extensions_phrases() -> list[str]:
    """The sweep's settings, as every run's JSON records them."""
    runs = [r for rs in runs_of("extensions").values() for r in rs]
    settings = {(r["epochs"], r["batch_size"], r["train_reviews"], r["test_reviews"]) for r in runs}
    assert settings == {(3, 64, 25_000, 25_000)}
    assert sorted({r["seed"] for r in runs}) == [1, 2, 3, 4, 7]
    repeats = read("extensions/bench.json")["repeats"]
    return [
        "(25,000 + 25,000 reviews), 3 epochs, batch size 64, seeds 7 1 2 3 4",
        f"the median of {repeats};",
    ]


def reproducible_phrases() -> list[str]:
    """Also: each 6-epoch run's first three epochs are the 3-epoch run's of its seed."""
    three = {(r["variant"], r["seed"]): r for rs in runs_of("seeds").values() for r in rs}
    for run in (r for rs in runs_of("epochs-6").values() for r in rs):
        assert run["history"]["loss"][:3] == three[run["variant"], run["seed"]]["history"]["loss"]
    return machines_effect_phrases()


def csv_phrases() -> list[str]:
    run, archive = read("csv/cnn_lstm.json"), read("csv/archive/cnn_lstm.json")
    assert run["history"] == archive["history"]  # "a training history identical"
    bench = read("csv/bench_predict.json")
    labeling, evaluate = bench["labeling"], bench["evaluate"]
    assert len(labeling["seconds"]) == len(evaluate["seconds"]) == 5
    (printed,) = re.findall(r"sentiment: (\d+\.\d\d%)", bench["predict_output"][1])
    return [
        f"`cnn_lstm.py` trained on it gave {percent(run['test_accuracy'])}",
        f"{printed} here, since half these rows trained the model",
        f"its labels score {percent(bench['labeling_accuracy_on_test_rows'])}, evaluate's",
        f"labels in batches of {bench['csv_batch_rows']}",
        f"{labeling['rows_per_second']:.0f} rows/s against evaluate's "
        f"{evaluate['rows_per_second']:,.0f} on the {evaluate['rows']:,} test reviews (median "
        f"of 5 alternating rounds in one process; {labeling['fastest_rows_per_second']:,.0f} "
        f"and {evaluate['fastest_rows_per_second']:,.0f} in the fastest",
    ]


def running_phrases() -> list[str]:
    report = read("resume/check-resume.json")
    assert all(report["equal"].values()) and report["resumed_from_epoch"] == 2
    whole = report["runs"]["whole"]
    return [
        f"test loss ({whole['test_loss']:.4f})",
        f"test accuracy ({percent(whole['test_accuracy'])})",
    ]


def predict_examples() -> list[dict]:
    return [result for run in read("predict-examples.json")["runs"] for result in run["results"]]


def predict_phrases() -> list[str]:
    """Also: the answers its examples show."""
    *listed, json_answer, not_bad = predict_examples()
    page = (ROOT / "docs/predict.md").read_text()
    shown = re.findall(r"^ +(\d\.\d{3})  (\w+)  (.+?)(?:\.\.\.)?$", page, flags=re.MULTILINE)
    assert [(p, label) for p, label, _ in shown] == [
        (f"{r['probability_positive']:.3f}", r["label"]) for r in listed
    ]
    assert all(r["review"].startswith(s[2]) for r, s in zip(listed, shown, strict=True))
    assert f'"probability_positive": {json_answer["probability_positive"]!r},' in page
    assert not_bad["review"] == "Not bad at all"
    return [
        f'"Not bad at all" ({not_bad["probability_positive"]:.3f}, {not_bad["label"]}',
        f"is read as its {json_answer['words']} words",
    ]


def demo_phrases() -> list[str]:
    """The demo's own benchmark is checked by tests/test_demo.py."""
    not_bad = predict_examples()[-1]
    return [f'"Not bad at all." (a negation that the fully trained `lstm_basic` gets wrong, '
            f'{not_bad["probability_positive"]:.3f})']  # fmt: skip


# Each page's sentences: their figures from the JSON, and those that are no measurement
# (counts, sizes and settings of the runs, limits of the code, ports, exit codes).
PAGE_FIGURES = {
    "docs/backends.md": (backends_phrases, "1 2 3 5 7 51 64 391 400 500"),
    # The load average while it ran ("6 to 9") is not in its JSON.
    "docs/cluster.md": (cluster_phrases, "1 2 4 5 6 7 8 9 10 130 8786 65535"),
    "docs/csv.md": (csv_phrases, "1 2 3 4 5 6 8 16 113 1252 25,000 1,048,576"),
    "docs/reproducible.md": (reproducible_phrases, "2 3 6 7"),
    "docs/running.md": (running_phrases, "2 3 8 15 130 300 500"),
    "docs/predict.md": (predict_phrases, "8 10 16 200 500 1,048,576"),
    # 5.4 and 9.3: the load average, checked with the rest of its benchmark in test_demo.py.
    "docs/demo.md": (demo_phrases, "0.5 2 3 4 5 5.4 7 9.3 10 100 300 500 5,000 25,000"),
    "docs/extensions.md": (extensions_phrases, "2 64 200 300 500"),
    "docs/more-results.md": (list, "2 3 6 7 64"),
}


@pytest.mark.parametrize("page", sorted(PAGE_FIGURES))
def test_the_figures_of_a_pages_sentences_are_the_committed_json(page):
    phrases, not_measured = PAGE_FIGURES[page]
    expected = phrases()
    text = sentences(page)
    assert [phrase for phrase in expected if phrase not in text] == []
    from_json = {figure for phrase in expected for figure in NUMBER.findall(phrase)}
    assert sorted(prose_figures(page) - from_json - set(not_measured.split())) == []


def test_every_page_with_figures_is_checked():
    """A new page under docs/ gets its figures checked, or is listed here as having none."""
    no_measurements = {"docs/data.md", "docs/model-files.md", "docs/glossary.zh-CN.md",
            "docs/keras2-to-keras3.md", "docs/keras2-to-keras3.zh-CN.md"}  # fmt: skip
    assert set(pages()) - {"README.md", "docs/speed.md"} == set(PAGE_FIGURES) | no_measurements
