"""Reviews in a CSV file, for training (--data reviews.csv) and for labeling
(predict.py --csv): reading and checking the rows, finding the columns, the labels and
the train/test split.

A header row names the columns, matched without regard to case or surrounding spaces:
the text is in `review` or `text`, the label in `sentiment` or `label` (positive/negative,
pos/neg or 1/0), an optional `split` column says train or test; other columns are kept
but not read. Rows are numbered as a spreadsheet numbers them, the header being row 1,
and errors also give the line of the file where the row starts, since a quoted review
may span several lines.
"""

from __future__ import annotations

import collections
import csv
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from imdb_lstm import files, text_files
from imdb_lstm.errors import UserError

TEXT_COLUMNS = ("review", "text")  # the first one present holds the reviews
LABEL_COLUMNS = ("sentiment", "label")
SPLIT_COLUMN = "split"
LABEL_PAIRS = (("positive", "negative"), ("pos", "neg"), ("1", "0"))  # (positive, negative)
SPLIT_VALUES = ("train", "test")
SPLIT_BY_COLUMN = "the split column: train or test"
# Alternating keeps both halves balanced even when the file is sorted by label.
SPLIT_ALTERNATING = (
    "no split column: the 1st, 3rd, 5th, ... review of the file trains, the 2nd, 4th, "
    "6th, ... tests"
)
# A probability at or above it labels a review positive: predict.py's answers and the
# labels it writes, and its accuracy against a file's own labels.
POSITIVE_FROM = 0.5
VALUES_SHOWN = 6  # at most this many distinct values in an error message
# What a one-column header holding one of these most likely is, named in the refusal.
OTHER_DELIMITERS = {";": "semicolon", "\t": "tab", "|": "pipe"}

Reviews = dict[str, list[tuple[str, int]]]  # "train"/"test" -> [(text, label)], file order


@dataclass
class Row:
    number: int  # as a spreadsheet numbers it: the header is row 1
    line: int  # the line of the file where the row starts
    cells: list[str]

    def where(self) -> str:
        return f"row {self.number} (line {self.line} of the file)"


@dataclass
class Table:
    name: str
    header: list[str]
    rows: list[Row]

    def column(self, index: int) -> list[str]:
        return [row.cells[index] for row in self.rows]

    def columns_found(self) -> str:
        return ", ".join(repr(name) for name in self.header)


def is_csv_name(path: Path) -> bool:
    return path.name.lower().endswith((".csv", ".csv.gz"))


def starts_like_tar(data: bytes) -> bool:
    """Whether `data` begins with a tar header (its magic, "ustar", at byte 257)."""
    return data[257:262] == b"ustar"


# ---------------------------------------------------------------------------
# Reading


def read_table(path: Path) -> Table:
    """Every row of a CSV file (gzip-compressed or not) under its header; blank lines
    are skipped. Anything that is not a UTF-8 CSV with a header and rows is refused."""
    name = str(path)
    try:
        raw = files.read_unpacked(path)  # a .csv.gz with the bound of compressed input
    except (OSError, EOFError, zlib.error) as error:
        raise UserError(f"{name}: truncated or corrupt gzip file ({error})") from None
    _refuse_what_is_not_text(raw, name)
    header, rows = None, []
    for number, (line, cells) in enumerate(_records(text_files.decode(raw, name), name), start=1):
        if header is None:
            header = cells or None  # blank lines before the header are skipped
        elif cells:
            rows.append(Row(number, line, cells))
    if header is None:
        raise UserError(f"{name}: no header row and no rows: the file holds only blank lines")
    _check_header(header, name)
    if not rows:
        raise UserError(f"{name}: no rows below the header {', '.join(map(repr, header))}")
    for row in rows:
        if len(row.cells) != len(header):
            raise UserError(
                f"{name}: {row.where()} has {_count(len(row.cells), 'field')}, the header "
                f"{len(header)} (check its commas and quotes)"
            )
    return Table(name, header, rows)


def _records(text: str, name: str) -> Iterator[tuple[int, list[str]]]:
    """(the line it starts on, its cells) for each record; a blank line is an empty one."""
    csv.field_size_limit(text_files.MAX_REVIEW_CHARACTERS)  # a cell may be as long as a review
    reader = csv.reader(io.StringIO(text, newline=""))
    line = 1
    try:
        for cells in reader:
            yield line, cells
            line = reader.line_num + 1
    except csv.Error as error:
        if "field larger than field limit" in str(error):
            raise UserError(
                f"{name}: line {reader.line_num}: a cell is longer than a review may be "
                f"({text_files.REVIEW_LIMIT}); check its quotes"
            ) from None
        raise UserError(f"{name}: line {reader.line_num}: not valid CSV ({error})") from None


def _check_header(header: list[str], name: str) -> None:
    """A header this reader can follow: not a spreadsheet's `sep=` line, not one cell
    holding another delimiter, no column name twice (which would be read is a guess)."""
    if header[0].strip().lower().startswith("sep="):
        raise UserError(
            f"{name}: the first row is a spreadsheet's delimiter line ({','.join(header)!r}), not "
            "the header; delete that line"
        )
    if len(header) == 1:
        found = [(mark, words) for mark, words in OTHER_DELIMITERS.items() if mark in header[0]]
        if found:
            raise UserError(
                f"{name}: the header {header[0]!r} is one column: {found[0][1]}-separated? "
                "save the file comma-separated (this reader takes commas only)"
            )
    normalized = [cell.strip().lower() for cell in header]
    for i, cell in enumerate(normalized):
        if cell and cell in normalized[:i]:
            first = normalized.index(cell) + 1
            raise UserError(
                f"{name}: columns {first} and {i + 1} are both named {header[i].strip()!r}; "
                "rename one, so that which is read is not a guess"
            )


def _refuse_what_is_not_text(raw: bytes, name: str) -> None:
    if not raw:
        raise UserError(f"{name}: the file is empty (0 bytes)")
    if starts_like_tar(raw):
        kind = "a tar archive (a renamed .tar.gz?)"
    elif raw.startswith(b"PK\x03\x04"):
        kind = "a zip file"
    else:
        return
    raise UserError(f"{name}: not a CSV file: it holds {kind}")


# ---------------------------------------------------------------------------
# Columns


def _find(header: list[str], names: tuple[str, ...]) -> int | None:
    """The index of the first of `names` in the header, ignoring case and spaces."""
    normalized = [cell.strip().lower() for cell in header]
    for name in (name.strip().lower() for name in names):
        if name in normalized:
            return normalized.index(name)
    return None


def text_column(table: Table, name: str | None = None) -> int:
    """The column holding the reviews: `name`, else the first of TEXT_COLUMNS."""
    if name is not None:
        index = _find(table.header, (name,))
        if index is None:
            raise UserError(
                f"{table.name}: no column {name!r}; the columns are {table.columns_found()}"
            )
        return index
    index = _find(table.header, TEXT_COLUMNS)
    if index is not None:
        return index
    if any(_looks_like_data(cell) for cell in table.header):
        raise UserError(
            f"{table.name}: no header row: the first line should name the columns "
            f"(review or text, and sentiment or label), but it reads {table.columns_found()}"
        )
    raise UserError(
        f"{table.name}: no text column (review or text); the columns are {table.columns_found()}"
    )


def _looks_like_data(cell: str) -> bool:
    """A label value or a sentence is a row of data, not a column name."""
    value = cell.strip().lower()
    return any(value in pair for pair in LABEL_PAIRS) or len(value.split()) > 3


def label_column(table: Table) -> int | None:
    return _find(table.header, LABEL_COLUMNS)


def review_texts(table: Table, column: int) -> list[str]:
    """The text of every row; an empty one is an error that names its row."""
    for row in table.rows:
        if not row.cells[column].strip():
            raise UserError(
                f"{table.name}: {row.where()}: the review in column "
                f"{table.header[column]!r} is empty"
            )
    return table.column(column)


def labels(table: Table, column: int, both_required: bool) -> list[int | None]:
    """1 for positive, 0 for negative, for every row. The column must hold one pair of
    LABEL_PAIRS (case and spaces ignored); training needs both of its values and a label
    in every row; for labeling (not `both_required`) a blank cell is a row without one,
    None."""
    values = [cell.strip().lower() for cell in table.column(column)]
    found = set(values) - (set() if both_required else {""})
    for positive, negative in LABEL_PAIRS:
        if found == {positive, negative} or (not both_required and found < {positive, negative}):
            return [int(value == positive) if value else None for value in values]
    raise UserError(
        f"{table.name}: the label column {table.header[column]!r} should hold two values, "
        f"positive/negative, pos/neg or 1/0, but holds {_value_counts(values)}"
    )


def _value_counts(values: list[str]) -> str:
    counts = collections.Counter(values).most_common()
    shown = [f"{value!r} ({_count(n, 'row')})" for value, n in counts[:VALUES_SHOWN]]
    if len(counts) > VALUES_SHOWN:
        shown.append(f"and {len(counts) - VALUES_SHOWN} other values")
    return ", ".join(shown)


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


# ---------------------------------------------------------------------------
# Training: reviews split into train and test


def read_reviews(path: Path) -> Reviews:
    """The labeled reviews of a CSV file, split into train and test, in file order."""
    table = read_table(path)
    texts = review_texts(table, text_column(table))
    column = label_column(table)
    if column is None:
        raise UserError(
            f"{table.name}: no label column (sentiment or label) to train on; the columns "
            f"are {table.columns_found()}"
        )
    reviews: Reviews = {half: [] for half in SPLIT_VALUES}
    for half, text, label in zip(
        halves(table), texts, labels(table, column, both_required=True), strict=True
    ):
        reviews[half].append((text, label))
    check_halves(
        table.name, reviews, split_rule(table.header), "reorder the rows or add a split column"
    )
    return reviews


def check_halves(name: str, reviews: Reviews, rule: str, fix: str) -> None:
    """Each half needs reviews of both labels: a model trained on one learns nothing, and
    tested on one its accuracy says nothing (alternating rows of a file that alternates
    labels). `rule` says how the reviews were split, `fix` what to do."""
    for half, found in reviews.items():
        if not found:
            raise UserError(f"{name}: no {half} reviews ({rule}); {fix}")
        present = {label for _, label in found}
        for label, missing, other in ((1, "positive", "negative"), (0, "negative", "positive")):
            if label not in present:
                raise UserError(
                    f"{name}: the {half} reviews are all {other}, none {missing} ({rule}); {fix}"
                )


def halves(table: Table) -> list[str]:
    """Each row's half, train or test: its split column, else the alternating rule."""
    column = _find(table.header, (SPLIT_COLUMN,))
    if column is None:
        return [SPLIT_VALUES[i % 2] for i in range(len(table.rows))]
    values = [cell.strip().lower() for cell in table.column(column)]
    if not set(values) <= set(SPLIT_VALUES):
        raise UserError(
            f"{table.name}: the split column {table.header[column]!r} should hold train or "
            f"test, but holds {_value_counts(values)}"
        )
    return values


def split_rule(header: list[str]) -> str:
    return SPLIT_BY_COLUMN if _find(header, (SPLIT_COLUMN,)) is not None else SPLIT_ALTERNATING


def file_split_rule(path: Path) -> str:
    """How `read_reviews` splits this file, from its header alone (for cached data)."""
    opened = files.open_uncompressed(path, "rt", encoding="utf-8-sig", errors="replace", newline="")
    with opened as file:
        return split_rule(next(csv.reader(file), []))


# ---------------------------------------------------------------------------
# Labeling: the rows written back with the model's answer


@dataclass
class ToLabel:
    table: Table
    texts: list[str]
    truth_column: str | None  # the name of the file's label column, if it has one
    truth: list[int | None] | None  # its labels, 1 for positive, None where blank


def read_to_label(path: Path, column: str | None = None) -> ToLabel:
    """The rows to label, their text (from `column`, else review or text) and, when the
    file has a label column, its labels; every row checked before the model runs."""
    table = read_table(path)
    texts = review_texts(table, text_column(table, column))
    truth = label_column(table)
    if truth is None:
        return ToLabel(table, texts, None, None)
    return ToLabel(table, texts, table.header[truth], labels(table, truth, both_required=False))


def label_of(probability: float) -> str:
    return "positive" if probability >= POSITIVE_FROM else "negative"


def write_labeled(path: Path, table: Table, probabilities: list[float]) -> None:
    """Writes every row, its columns in order, plus probability_positive and label,
    atomically. A name the input already uses gets "predicted_" in front."""
    header = list(table.header)
    for name in ("probability_positive", "label"):
        while _find(header, (name,)) is not None:
            name = f"predicted_{name}"
        header.append(name)
    rows = zip(table.rows, probabilities, strict=True)
    files.write_csv(path, header, ([*r.cells, f"{p:.6f}", label_of(p)] for r, p in rows))
