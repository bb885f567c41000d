"""CSV files of reviews: training from them exactly as from the Stanford reviews
(--data reviews.csv), labeling them (predict.py --csv), and every bad input."""

import common

import csv
import gzip
import json
import os
import shutil
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from conftest import ROOT, SUITE_KERAS_HOME

import predict
from imdb_lstm import cli, csv_reviews, results
from imdb_lstm.encoding import TextEncoding
from imdb_lstm.errors import UserError
from imdb_lstm.model_files import save_model
from tools import stanford_csv

REAL_ARCHIVE = ROOT.parent / "shared" / "data" / "aclImdb_v1_labeled.tar.gz"
MAXLEN = 500


def write(path: Path, text: str) -> Path:
    path.write_bytes(text.encode())  # as written: no newline translation
    return path


# test_data.py's four train and four test reviews, written as a spreadsheet would: an
# id column first, quoted text with commas, quotes, a newline and <br /> inside, labels
# in mixed case with spaces around, train and test rows mixed (the split column decides).
TINY_CSV = """id,Review,sentiment,split
1,"Bad, film."," Negative ",train
2,"bad ""BAD"" plot",NEGATIVE,train
3,bad fun,negative,test
4,"Great
film",positive ,train
5,AWFUL!,negative,test
6,great great fun<br />,Positive,train
7,"great, plot",positive,test
8,film,positive,test
"""
# The same reviews without a split column, sorted by label, labels 0/1: the 1st, 3rd,
# 5th and 7th rows train, the 2nd, 4th, 6th and 8th test.
TINY_CSV_ALTERNATING = """Text,Label
"Bad, film.",0
bad fun,0
"bad ""BAD"" plot",0
AWFUL!,0
"Great
film",1
"great, plot",1
great great fun<br />,1
film,1
"""
# Training counts: bad 3, great 3, film 2, br 1, fun 1, plot 1 (ties alphabetical), so
# bad=4 great=5 film=6 br=7 fun=8, and plot (9, not below num_words) is 2.
TINY_VOCABULARY = {"bad": 4, "great": 5, "film": 6, "br": 7, "fun": 8}
# Each half in file order, then RandomState(113): permutation(4) is [3, 2, 0, 1] for
# train, then [1, 3, 0, 2] for test. 1 starts each review; 0 pads at the start.
TINY_X_TRAIN = [
    [1, 5, 5, 8, 7],  # great great fun br
    [0, 0, 1, 5, 6],  # great film
    [0, 0, 1, 4, 6],  # bad film
    [0, 1, 4, 4, 2],  # bad bad plot
]
TINY_Y_TRAIN = [1, 1, 0, 0]
TINY_X_TEST = [
    [0, 0, 0, 1, 2],  # awful (never seen in training)
    [0, 0, 0, 1, 6],  # film
    [0, 0, 1, 4, 8],  # bad fun
    [0, 0, 1, 5, 2],  # great plot
]
TINY_Y_TEST = [0, 1, 0, 1]
TWO_OF_EACH = {"positive": 2, "negative": 2}


def assert_tiny_arrays(data) -> None:
    assert data.encoding.word_index == TINY_VOCABULARY
    assert data.x_train.tolist() == TINY_X_TRAIN and data.y_train.tolist() == TINY_Y_TRAIN
    assert data.x_test.tolist() == TINY_X_TEST and data.y_test.tolist() == TINY_Y_TEST


def test_csv_reviews_are_encoded_and_shuffled_like_stanford(tmp_path):
    data = common.load_imdb(str(write(tmp_path / "reviews.csv", TINY_CSV)), 9, 5)
    assert_tiny_arrays(data)
    assert data.split == {
        "rule": "the split column: train or test",
        "train": TWO_OF_EACH,
        "test": TWO_OF_EACH,
    }


def test_without_a_split_column_rows_alternate(tmp_path):
    data = common.load_imdb(str(write(tmp_path / "reviews.csv", TINY_CSV_ALTERNATING)), 9, 5)
    assert_tiny_arrays(data)
    assert data.split == {
        "rule": "no split column: the 1st, 3rd, 5th, ... review of the file trains, "
        "the 2nd, 4th, 6th, ... tests",
        "train": TWO_OF_EACH,
        "test": TWO_OF_EACH,
    }


@pytest.mark.parametrize("name", ["reviews.csv.gz", "reviews.gz"])
def test_gzip_compressed_csv(tmp_path, name):
    (tmp_path / name).write_bytes(gzip.compress(TINY_CSV.encode()))
    assert_tiny_arrays(common.load_imdb(str(tmp_path / name), 9, 5))


def test_byte_order_mark_and_crlf_line_ends_of_a_spreadsheet_export(tmp_path):
    path = tmp_path / "export.csv"
    # Excel ends rows with CRLF and keeps a bare LF for a line break inside a cell.
    rows = TINY_CSV.replace("\n", "\r\n").replace("Great\r\n", "Great\n")
    path.write_bytes(b"\xef\xbb\xbf" + rows.encode())
    assert_tiny_arrays(common.load_imdb(str(path), 9, 5))


def test_crlf_line_breaks_inside_quoted_reviews_read_as_their_lf_copy(tmp_path):
    # Saved on Windows, every line break ends in CRLF, those inside a review too.
    path = write(tmp_path / "windows.csv", TINY_CSV.replace("\n", "\r\n"))
    assert_tiny_arrays(common.load_imdb(str(path), 9, 5))
    table = csv_reviews.read_table(path)
    assert table.rows[3].cells[1] == "Great\nfilm"


def test_a_review_of_200_kib_in_a_cell_is_taken(tmp_path):
    long_review = "good " * 40_000  # 200,000 characters, over csv's default 131,072
    path = write(tmp_path / "long.csv", f"review,sentiment\n{long_review},positive\n")
    assert csv_reviews.read_to_label(path).texts == [long_review]


def test_max_samples_keeps_the_first_of_each_half(tmp_path):
    data = common.load_imdb(str(write(tmp_path / "reviews.csv", TINY_CSV)), 9, 5, max_samples=2)
    assert data.x_train.tolist() == TINY_X_TRAIN[:2] and data.x_test.tolist() == TINY_X_TEST[:2]
    assert data.split["train"] == TWO_OF_EACH  # what the split gave, before --max-samples


def test_encoded_csv_is_cached_with_its_split_rule(tmp_path, monkeypatch):
    path = write(tmp_path / "reviews.csv", TINY_CSV_ALTERNATING)
    first = common.load_imdb(str(path), 9, 5)

    def must_not_read(path):
        raise AssertionError("the CSV was read again despite the cache")

    monkeypatch.setattr(csv_reviews, "read_reviews", must_not_read)
    second = common.load_imdb(str(path), 9, 5)
    assert second.x_train.tolist() == TINY_X_TRAIN and second.split == first.split


def test_split_and_label_counts_are_written_to_the_results_json(tmp_path):
    data = common.load_imdb(str(write(tmp_path / "reviews.csv", TINY_CSV)), 9, 5)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(loss="binary_crossentropy")
    log = results.TrainingLog()
    log.history = {"loss": [0.5]}
    settings = {"variant": "cnn_lstm", "data": data.source}
    path = results.write(tmp_path / "run", settings, model, data, log, None, (0.6, 0.5))
    result = json.loads(path.read_text())
    assert result["split"] == {
        "rule": "the split column: train or test",
        "train": {"positive": 2, "negative": 2},
        "test": {"positive": 2, "negative": 2},
    }
    assert result["data"] == str(tmp_path / "reviews.csv")


# --- the Stanford reviews as a CSV give the archive's very arrays --------------------


def write_stanford_csv_by_hand(root: Path, path: Path) -> None:
    """review, sentiment, split: the train rows, then the test rows, each in sorted file
    name order (train/neg/0_3.txt, train/neg/10_2.txt, ..., train/pos/...), which is the
    order the project reads the archive's members in before the shuffle."""
    with open(path, "w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["review", "sentiment", "split"])
        for split in ("train", "test"):
            for review in sorted((root / split).glob("*/*.txt")):
                label = "positive" if review.parent.name == "pos" else "negative"
                writer.writerow([review.read_text(), label, split])


def assert_same_data(one, other) -> None:
    for name in ("x_train", "y_train", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(one, name), getattr(other, name))
    assert one.encoding == other.encoding


def test_stanford_archive_as_csv_encodes_to_the_same_arrays(
    stanford_dir, stanford_tarball, tmp_path
):
    by_hand = tmp_path / "by_hand.csv"
    write_stanford_csv_by_hand(stanford_dir, by_hand)
    assert by_hand.read_bytes().startswith(b"review,sentiment,split\r\n")
    # tools/stanford_csv.py, which the README uses, writes the very same file.
    stanford_csv.write_stanford_csv(stanford_tarball, tmp_path / "tool.csv")
    assert (tmp_path / "tool.csv").read_bytes() == by_hand.read_bytes()
    from_csv = common.load_imdb(str(by_hand), 5000, MAXLEN)
    assert_same_data(common.load_imdb(str(stanford_tarball), 5000, MAXLEN), from_csv)
    assert from_csv.split["rule"] == "the split column: train or test"


@pytest.mark.slow
@pytest.mark.skipif(not REAL_ARCHIVE.exists(), reason=f"no real data at {REAL_ARCHIVE}")
def test_real_stanford_archive_as_csv_encodes_to_the_same_arrays(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(SUITE_KERAS_HOME))  # the archive is encoded once
    path = tmp_path / "reviews.csv"
    assert stanford_csv.write_stanford_csv(REAL_ARCHIVE, path) == 50_000
    from_csv = common.load_imdb(str(path), 5000, MAXLEN)
    assert_same_data(common.load_imdb(str(REAL_ARCHIVE), 5000, MAXLEN), from_csv)
    assert from_csv.split == {
        "rule": "the split column: train or test",
        "train": {"positive": 12_500, "negative": 12_500},
        "test": {"positive": 12_500, "negative": 12_500},
    }


# --- bad training input: one line naming the file and what is wrong -----------------


def load_error(path: Path) -> str:
    with pytest.raises(UserError) as caught:
        common.load_imdb(str(path), 5000, MAXLEN)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message
    return message


BAD_CSVS = {
    "empty": (b"", "the file is empty (0 bytes)"),
    "blank lines only": (b"\n\n", "no header row and no rows"),
    "header only": (b"review,sentiment\n", "no rows below the header 'review', 'sentiment'"),
    "no header": (
        b'"A fine film, well acted and moving",positive\nDull,negative\n',
        "no header row: the first line should name the columns (review or text, and "
        "sentiment or label), but it reads 'A fine film, well acted and moving', 'positive'",
    ),
    "no text column": (
        b"comment,sentiment\nfine,positive\n",
        "no text column (review or text); the columns are 'comment', 'sentiment'",
    ),
    "other label values": (
        b"review,sentiment\ngood,positive\nfine,positive\nbad,negative\nso-so,neutral\n",
        "the label column 'sentiment' should hold two values, positive/negative, pos/neg "
        "or 1/0, but holds 'positive' (2 rows), 'negative' (1 row), 'neutral' (1 row)",
    ),
    "labels of two kinds": (
        b"review,label\ngood,pos\nbad,0\n",
        "the label column 'label' should hold two values, positive/negative, pos/neg or "
        "1/0, but holds 'pos' (1 row), '0' (1 row)",
    ),
    "an empty review": (
        # Row 2 spans lines 2 and 3, so row 3 starts on line 4.
        b'review,sentiment\n"good\nfilm",positive\n"  ",negative\nbad,negative\n',
        "row 3 (line 4 of the file): the review in column 'review' is empty",
    ),
    "not UTF-8": (
        "review,sentiment\ngood,positive\nun film épatant,positive\n".encode("latin-1"),
        "not UTF-8 text (byte 0xe9 on line 3); save it as UTF-8",
    ),
    "binary": (
        b"review\x00\x01\x02,sentiment\n",
        "not text: line 1 holds a NUL byte (binary data)",
    ),
    "a row with a field too many": (
        b"review,sentiment\ngood,positive\ngood, really,positive\n",
        "row 3 (line 3 of the file) has 3 fields, the header 2 (check its commas and quotes)",
    ),
    "no label column": (
        b"review,stars\ngood,9\n",
        "no label column (sentiment or label) to train on; the columns are 'review', 'stars'",
    ),
    "one label only": (
        b"review,sentiment\ngood,positive\nfine,Positive\n",
        "should hold two values, positive/negative, pos/neg or 1/0, but holds 'positive' (2 rows)",
    ),
    "other split values": (
        b"review,sentiment,split\ngood,positive,train\nbad,negative,valid\n",
        "the split column 'split' should hold train or test, but holds 'train' (1 row), "
        "'valid' (1 row)",
    ),
    "no test rows": (
        b"review,sentiment,split\ngood,positive,train\nbad,negative,Train\n",
        "no test reviews (the split column: train or test)",
    ),
    "no train rows": (
        b"review,sentiment,split\ngood,positive,test\nbad,negative,test\n",
        "no train reviews (the split column: train or test)",
    ),
    # Rows alternating labels: the alternating split would train on positives only.
    "one label per half": (
        b"review,sentiment\ngood,positive\nbad,negative\nfine,positive\nawful,negative\n",
        "the train reviews are all positive, none negative (no split column: the 1st, 3rd, "
        "5th, ... review of the file trains, the 2nd, 4th, 6th, ... tests); reorder the rows "
        "or add a split column",
    ),
    "a cell longer than a review may be": (
        b"review,sentiment\ngood,positive\n" + b"a" * (2**20 + 1) + b",negative\n",
        "line 3: a cell is longer than a review may be (1,048,576 characters (1 MiB)); "
        "check its quotes",
    ),
}


@pytest.mark.parametrize("case", BAD_CSVS)
def test_bad_csv_for_training(tmp_path, case):
    content, expected = BAD_CSVS[case]
    path = tmp_path / "reviews.csv"
    path.write_bytes(content)
    assert expected in load_error(path)


def test_missing_csv(tmp_path):
    assert "no such file or directory" in load_error(tmp_path / "nowhere.csv")


def test_renamed_archive_is_not_a_csv(stanford_tarball, tmp_path):
    path = tmp_path / "reviews.csv"
    shutil.copy(stanford_tarball, path)
    assert "not a CSV file: it holds a tar archive (a renamed .tar.gz?)" in load_error(path)


def test_renamed_npz_is_not_a_csv(keras_npz, tmp_path):
    path = tmp_path / "reviews.csv"
    shutil.copy(keras_npz, path)
    assert "not a CSV file: it holds a zip file" in load_error(path)


def test_corrupt_gzip_csv(tmp_path):
    path = tmp_path / "reviews.csv.gz"
    path.write_bytes(gzip.compress(TINY_CSV.encode())[:40])
    assert "truncated or corrupt gzip file" in load_error(path)


# --- labeling a CSV with predict.py --csv -------------------------------------------


@pytest.fixture(scope="module")
def counting_model(tmp_path_factory) -> Path:
    """A model whose answers a reader can work out: it reads the last 4 numbers, and each
    "good" among them adds ln 3 to the logit, each "bad" takes ln 3 away. One more good
    than bad gives sigmoid(ln 3) = 3/4, two more 9/10, one fewer 1/4, as many 1/2."""
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Embedding(6, 1),
            keras.layers.Flatten(),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    ln3 = np.log(3)
    model.layers[0].set_weights([np.array([[0], [0], [0], [0], [ln3], [-ln3]], np.float32)])
    model.layers[2].set_weights([np.ones((4, 1), np.float32), np.zeros(1, np.float32)])
    path = tmp_path_factory.mktemp("model") / "counting.keras"
    save_model(model, path, TextEncoding({"good": 4, "bad": 5}, num_words=6, maxlen=4))
    return path


TO_LABEL = """id,review,sentiment
1,"Good, good film",positive
2,Bad.,negative
3,"good
but bad", Positive
4,not good,negative
"""
# good good film -> 1 4 4 2: 9/10; bad -> 0 0 1 5: 1/4; good but bad -> 1 4 2 5: 1/2,
# which counts as positive; not good -> 0 1 2 4: 3/4, positive, against its negative.
LABELED = (
    "id,review,sentiment,probability_positive,label\r\n"
    '1,"Good, good film",positive,0.900000,positive\r\n'
    "2,Bad.,negative,0.250000,negative\r\n"
    '3,"good\nbut bad", Positive,0.500000,positive\r\n'
    "4,not good,negative,0.750000,positive\r\n"
)


def label(model: Path, source: Path, output: Path, *flags: str) -> None:
    predict.main(["--model", str(model), "--csv", str(source), "--output", str(output), *flags])


def test_labeled_rows_keep_their_columns_and_get_the_models_answer(
    counting_model, tmp_path, capsys, monkeypatch
):
    monkeypatch.setattr(predict, "CSV_BATCH_ROWS", 3)  # two batches: 3 rows, then 1
    output = tmp_path / "labeled.csv"
    label(counting_model, write(tmp_path / "in.csv", TO_LABEL), output)
    assert output.read_bytes().decode() == LABELED
    assert capsys.readouterr().out.splitlines() == [
        f"labeled 4 rows: {output}",
        "accuracy against column sentiment: 75.00% (4 rows)",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "labeled.csv"]


def test_without_a_label_column_no_accuracy_is_printed(counting_model, tmp_path, capsys):
    source = write(tmp_path / "in.csv", "text\ngood\nbad\n")
    label(counting_model, source, tmp_path / "out.csv")
    assert (tmp_path / "out.csv").read_bytes() == (
        b"text,probability_positive,label\r\ngood,0.750000,positive\r\nbad,0.250000,negative\r\n"
    )
    assert "accuracy" not in capsys.readouterr().out


def test_a_label_column_named_label_keeps_its_name(counting_model, tmp_path, capsys):
    source = write(tmp_path / "in.csv", "text,label\ngood,1\nbad,1\n")
    label(counting_model, source, tmp_path / "out.csv")
    assert (tmp_path / "out.csv").read_text().splitlines() == [
        "text,label,probability_positive,predicted_label",
        "good,1,0.750000,positive",
        "bad,1,0.250000,negative",
    ]
    # One label only is fine for checking a model: these are all positive reviews.
    assert "accuracy against column label: 50.00% (2 rows)" in capsys.readouterr().out


def test_column_names_the_text_column(counting_model, tmp_path):
    source = write(tmp_path / "in.csv", "review,comment\nbad,good good\n")
    label(counting_model, source, tmp_path / "out.csv", "--column", "Comment")
    assert (tmp_path / "out.csv").read_text().splitlines()[1] == "bad,good good,0.900000,positive"


def test_progress_bar_on_a_terminal(counting_model, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    label(counting_model, write(tmp_path / "in.csv", TO_LABEL), tmp_path / "out.csv")
    assert "4/4" in capsys.readouterr().out


# --- bad labeling input: one line, exit code 1, no output file ------------------------


def predict_error(argv: list[str]) -> str:
    with pytest.raises(SystemExit) as caught:
        cli.run(lambda: predict.main(argv))
    message = str(caught.value.code)
    assert message.startswith("error: ") and "\n" not in message
    return message


# What training refuses but labeling takes: it reads no split, and needs no labels.
TRAINING_ONLY = ("no label column", "one label only", "other split values", "no test rows",
                 "no train rows", "one label per half")  # fmt: skip


@pytest.mark.parametrize("case", [c for c in BAD_CSVS if c not in TRAINING_ONLY])
def test_bad_csv_for_labeling(counting_model, tmp_path, case):
    content, expected = BAD_CSVS[case]
    source, output = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_bytes(content)
    message = predict_error(["--model", str(counting_model), "--csv", str(source),
                             "--output", str(output)])  # fmt: skip
    assert str(source) in message and expected in message
    assert not output.exists() and sorted(tmp_path.iterdir()) == [source]


def test_bad_row_leaves_an_earlier_output_as_it_was(counting_model, tmp_path):
    source = write(tmp_path / "in.csv", "review,sentiment\ngood,positive\n,negative\n")
    output = write(tmp_path / "out.csv", "an earlier result\n")
    message = predict_error(["--model", str(counting_model), "--csv", str(source),
                             "--output", str(output)])  # fmt: skip
    assert "row 3 (line 3 of the file): the review in column 'review' is empty" in message
    assert output.read_text() == "an earlier result\n"


def test_renamed_archive_to_label(counting_model, stanford_tarball, tmp_path):
    source = tmp_path / "in.csv"
    shutil.copy(stanford_tarball, source)
    message = predict_error(["--model", str(counting_model), "--csv", str(source),
                             "--output", str(tmp_path / "out.csv")])  # fmt: skip
    assert "not a CSV file: it holds a tar archive" in message
    assert not (tmp_path / "out.csv").exists()


def test_missing_csv_to_label(counting_model, tmp_path):
    message = predict_error(["--model", str(counting_model), "--csv", str(tmp_path / "no.csv"),
                             "--output", str(tmp_path / "out.csv")])  # fmt: skip
    assert f"{tmp_path / 'no.csv'}: cannot read (No such file or directory)" in message


def test_column_that_is_not_there(counting_model, tmp_path):
    source = write(tmp_path / "in.csv", "id,review,sentiment\n1,good,positive\n")
    output = tmp_path / "out.csv"
    message = predict_error(["--model", str(counting_model), "--csv", str(source),
                             "--output", str(output), "--column", "comment"])  # fmt: skip
    assert "no column 'comment'; the columns are 'id', 'review', 'sentiment'" in message
    assert not output.exists()


def test_an_output_that_is_a_link_is_refused_before_labeling(counting_model, tmp_path):
    source = write(tmp_path / "in.csv", TO_LABEL)
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "out.csv").symlink_to(tmp_path / "pipe")  # as a link to /dev/stdout
    message = predict_error(["--model", str(counting_model), "--csv", str(source),
                             "--output", str(tmp_path / "out.csv")])  # fmt: skip
    assert message == (
        f"error: {tmp_path / 'out.csv'}: it is a symbolic link, which is never replaced; "
        "give the name of a new file or of a regular file to replace"
    )
    assert (tmp_path / "out.csv").readlink() == tmp_path / "pipe"


@pytest.mark.parametrize(
    "flags, expected",
    [
        (["--csv", "in.csv"], "--csv needs --output"),
        (
            ["--csv", "in.csv", "--output", "./in.csv"],
            "--output is the --csv file this reads, which it would replace",
        ),
        (["--output", "out.csv"], "--output and --column go with --csv"),
        (["--csv", "in.csv", "--output", "o.csv", "Great"], "give no reviews, --file or --json"),
    ],
)
def test_csv_flags_that_do_not_fit(counting_model, tmp_path, monkeypatch, flags, expected):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "in.csv", TO_LABEL)
    assert expected in predict_error(["--model", str(counting_model), *flags])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]
