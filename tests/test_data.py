"""Loading and encoding IMDB: Keras's conventions, every source format, bad input."""

import common

import gzip
import io
import os
import socket
import tarfile
import threading
import time

import numpy as np
import pytest
from conftest import REVIEWS_PER_LABEL, write_stanford_layout

from imdb_lstm import data as imdb_data
from imdb_lstm.errors import UserError

MAXLEN = 500


def test_vocabulary_comes_from_the_training_split_only(tmp_path):
    root = write_stanford_layout(tmp_path / "aclImdb")
    (root / "test" / "pos" / "999_9.txt").write_text("zebra " * 400)  # frequent, test only
    data = common.load_imdb(str(root), num_words=5000, maxlen=MAXLEN)
    assert "zebra" not in data.encoding.word_index
    row = data.x_test[data.x_test[:, -1] == 2]  # 2: out of vocabulary
    assert len(row) == 1 and (row[0, -400:] == 2).all()


def write_reviews(root, reviews: dict[str, str]):
    for name, text in reviews.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


# Four train and four test reviews, small enough to encode by hand.
TINY_REVIEWS = {
    "train/neg/0_1.txt": "bad film",
    "train/neg/1_2.txt": "bad bad plot",
    "train/pos/0_9.txt": "great film",
    "train/pos/1_8.txt": "great great fun<br />",
    "test/neg/0_3.txt": "bad fun",
    "test/neg/1_4.txt": "awful",
    "test/pos/0_7.txt": "great plot",
    "test/pos/1_10.txt": "film",
}


def test_stanford_reviews_are_encoded_and_shuffled_like_keras(tmp_path):
    root = write_reviews(tmp_path / "aclImdb", TINY_REVIEWS)
    data = common.load_imdb(str(root), num_words=9, maxlen=5)
    # Training counts: bad 3, great 3, film 2, br 1, fun 1, plot 1 (ties alphabetical),
    # so bad=4 great=5 film=6 br=7 fun=8, and plot (9, not below num_words) is 2.
    assert data.encoding.word_index == {"bad": 4, "great": 5, "film": 6, "br": 7, "fun": 8}
    # File-name order, then RandomState(113): permutation(4) is [3, 2, 0, 1] for train,
    # then [1, 3, 0, 2] for test. 1 starts each review; 0 pads at the start.
    assert data.x_train.tolist() == [
        [1, 5, 5, 8, 7],  # great great fun br
        [0, 0, 1, 5, 6],  # great film
        [0, 0, 1, 4, 6],  # bad film
        [0, 1, 4, 4, 2],  # bad bad plot
    ]
    assert data.y_train.tolist() == [1, 1, 0, 0]
    assert data.x_test.tolist() == [
        [0, 0, 0, 1, 2],  # awful (never seen in training)
        [0, 0, 0, 1, 6],  # film
        [0, 0, 1, 4, 8],  # bad fun
        [0, 0, 1, 5, 2],  # great plot
    ]
    assert data.y_test.tolist() == [0, 1, 0, 1]


def test_stanford_directory_loads_every_review(stanford_dir):
    data = common.load_imdb(str(stanford_dir), num_words=5000, maxlen=MAXLEN)
    n = 2 * REVIEWS_PER_LABEL
    assert data.x_train.shape == (n, MAXLEN) and data.x_test.shape == (n, MAXLEN)
    assert data.y_train.sum() == REVIEWS_PER_LABEL and data.y_test.sum() == REVIEWS_PER_LABEL
    # The synthetic reviews end in "<br /><br />GREAT!": "br" is one of their words.
    assert {"br", "it's", "great"} <= set(data.encoding.word_index)


def test_tarball_and_directory_give_the_same_data(stanford_dir, stanford_tarball):
    from_dir = common.load_imdb(str(stanford_dir), 5000, MAXLEN)
    from_tar = common.load_imdb(str(stanford_tarball), 5000, MAXLEN)
    for name in ("x_train", "y_train", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(from_dir, name), getattr(from_tar, name))
    assert from_dir.encoding == from_tar.encoding


def test_parent_of_aclimdb_is_accepted(stanford_dir):
    data = common.load_imdb(str(stanford_dir.parent), 5000, MAXLEN)
    assert len(data.y_train) == 2 * REVIEWS_PER_LABEL


def test_num_words_limits_every_index(stanford_dir):
    data = common.load_imdb(str(stanford_dir), num_words=8, maxlen=MAXLEN)
    assert data.x_train.max() == 7
    assert set(data.encoding.word_index.values()) == {4, 5, 6, 7}


def test_max_samples_keeps_the_first_reviews(stanford_dir):
    full = common.load_imdb(str(stanford_dir), 5000, MAXLEN)
    few = common.load_imdb(str(stanford_dir), 5000, MAXLEN, max_samples=7)
    np.testing.assert_array_equal(few.x_train, full.x_train[:7])
    np.testing.assert_array_equal(few.y_test, full.y_test[:7])


def test_keras_npz_is_transformed_exactly_like_keras_load_data(keras_npz, monkeypatch):
    import keras
    from keras.src.datasets import imdb

    # keras.datasets.imdb.load_data reads our file instead of downloading.
    monkeypatch.setattr(imdb, "get_file", lambda **kwargs: str(keras_npz))
    (kx_train, ky_train), (kx_test, ky_test) = keras.datasets.imdb.load_data(num_words=5000)
    ours = common.load_imdb(str(keras_npz), 5000, MAXLEN)
    pad = keras.utils.pad_sequences
    np.testing.assert_array_equal(ours.x_train, pad(kx_train, maxlen=MAXLEN))
    np.testing.assert_array_equal(ours.x_test, pad(kx_test, maxlen=MAXLEN))
    np.testing.assert_array_equal(ours.y_train, ky_train)
    np.testing.assert_array_equal(ours.y_test, ky_test)
    assert ours.encoding is None  # an .npz has no words


def test_encoded_reviews_are_cached_and_reused(stanford_tarball, monkeypatch, isolated_keras_home):
    first = common.load_imdb(str(stanford_tarball), 5000, MAXLEN)
    assert list((isolated_keras_home / "datasets").glob("imdb-lstm-*.npz"))

    def must_not_read(path):
        raise AssertionError("the archive was read again despite the cache")

    with monkeypatch.context() as patch:
        patch.setattr(imdb_data, "_read_tarball", must_not_read)
        second = common.load_imdb(str(stanford_tarball), 5000, MAXLEN)
    np.testing.assert_array_equal(first.x_train, second.x_train)
    np.testing.assert_array_equal(first.y_test, second.y_test)
    assert first.encoding == second.encoding
    # Another vocabulary size is another cache entry, not a wrong answer.
    assert common.load_imdb(str(stanford_tarball), 10, MAXLEN).x_train.max() == 9
    assert len(list((isolated_keras_home / "datasets").glob("imdb-lstm-*.npz"))) == 2


def test_a_damaged_cache_is_rebuilt_with_one_line(stanford_tarball, isolated_keras_home, capsys):
    first = common.load_imdb(str(stanford_tarball), 5000, MAXLEN)
    (cache,) = (isolated_keras_home / "datasets").glob("imdb-lstm-*.npz")
    cache.write_bytes(b"PK\x03\x04 not really a zip")
    capsys.readouterr()
    second = common.load_imdb(str(stanford_tarball), 5000, MAXLEN)
    np.testing.assert_array_equal(first.x_train, second.x_train)
    said = capsys.readouterr().out.splitlines()
    assert said[0] == f"The cached encoding {cache} is damaged (File is not a zip file)."
    assert said[1].startswith("Encoding the reviews in ")


def test_an_entry_made_by_another_tokenizer_is_rebuilt(stanford_dir, monkeypatch, capsys):
    from imdb_lstm import cache

    with monkeypatch.context() as patch:
        patch.setattr(cache, "_MADE_BY", "tokenizer older-one, cache version 3")
        common.load_imdb(str(stanford_dir), 5000, MAXLEN)
    capsys.readouterr()
    data = common.load_imdb(str(stanford_dir), 5000, MAXLEN)
    said = capsys.readouterr().out.splitlines()
    assert said[0].startswith("The cached encoding ")
    assert said[0].endswith(
        " was made by tokenizer older-one, cache version 3, "
        "not tokenizer keras-text_to_word_sequence, cache version 4."
    )
    assert said[1] == f"Encoding the reviews in {stanford_dir} (cached for later runs) ..."
    assert data.encoding.word_index["br"] > 3  # encoded again, with this tokenizer
    common.load_imdb(str(stanford_dir), 5000, MAXLEN)
    assert capsys.readouterr().out == ""  # and then found in the cache


def test_invalid_utf8_review_is_decoded_with_replacement(tmp_path):
    root = write_stanford_layout(tmp_path / "aclImdb")
    (root / "train" / "pos" / "999_9.txt").write_bytes(b"great caf\xe9 \xff\xfe film")
    data = common.load_imdb(str(root), 5000, MAXLEN)
    assert len(data.y_train) == 2 * REVIEWS_PER_LABEL + 1


# --- bad input: one clear message naming the path ----------------------------------------


def load_error(path) -> str:
    with pytest.raises(UserError) as caught:
        common.load_imdb(str(path), 5000, MAXLEN)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_missing_path(tmp_path):
    message = load_error(tmp_path / "nowhere.tar.gz")
    assert "nowhere.tar.gz" in message and "no such file" in message


def test_truncated_archive(stanford_tarball, tmp_path):
    broken = tmp_path / "truncated.tar.gz"
    broken.write_bytes(stanford_tarball.read_bytes()[: stanford_tarball.stat().st_size // 2])
    assert "truncated or corrupt" in load_error(broken)


def test_corrupt_archive(tmp_path):
    broken = tmp_path / "corrupt.tar.gz"
    broken.write_bytes(b"\x1f\x8b" + bytes(range(256)) * 8)
    assert "truncated or corrupt" in load_error(broken)


def test_gzip_without_tar_inside(tmp_path):
    path = tmp_path / "plain.gz"
    path.write_bytes(gzip.compress(b"just some text"))
    assert "plain.gz" in load_error(path)


def test_archive_without_reviews(tmp_path):
    path = tmp_path / "empty.tar.gz"
    readme = tmp_path / "README"
    readme.write_text("no reviews here")
    with tarfile.open(path, "w:gz") as archive:
        archive.add(readme, arcname="aclImdb/README")
    assert "no train/pos or train/neg reviews" in load_error(path)


def test_file_of_the_wrong_kind(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    assert "not an imdb.npz, aclImdb/ directory, .tar.gz archive or .csv file" in load_error(path)


def test_directory_without_train_and_test(tmp_path):
    assert "without train/ and test/" in load_error(tmp_path)


def test_directory_without_reviews(tmp_path):
    for split in ("train", "test"):
        (tmp_path / split / "pos").mkdir(parents=True)
    assert "no train/pos or train/neg reviews" in load_error(tmp_path)


def test_npz_without_the_expected_keys(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, x_train=np.zeros(3), weights=np.ones(2))
    message = load_error(path)
    assert "missing x_test, y_test, y_train" in message


def test_corrupt_npz(keras_npz, tmp_path):
    path = tmp_path / "corrupt.npz"
    path.write_bytes(keras_npz.read_bytes()[:200])
    assert "unreadable .npz" in load_error(path)


def test_no_data_and_no_network_explains_how_to_point_at_local_data(monkeypatch):
    import keras

    def offline(**kwargs):
        raise Exception("URL fetch failure: Name or service not known")

    monkeypatch.setattr(keras.datasets.imdb, "load_data", offline)
    with pytest.raises(UserError) as caught:
        common.load_imdb(None, 5000, MAXLEN)
    assert "could not download keras.datasets.imdb" in str(caught.value)
    assert "--data" in str(caught.value) and "IMDB_DATA" in str(caught.value)


def test_default_source_offline_word_index_is_none(monkeypatch, capsys):
    import keras

    def offline():
        raise Exception("URL fetch failure")

    monkeypatch.setattr(
        keras.datasets.imdb,
        "load_data",
        lambda num_words: (([[1, 2]], np.array([1])), ([[3]], np.array([0]))),
    )
    monkeypatch.setattr(keras.datasets.imdb, "get_word_index", offline)
    data = common.load_imdb(None, num_words=5000, maxlen=4)
    assert data.encoding is None
    assert data.x_train.tolist() == [[0, 0, 1, 2]] and data.source == "keras.datasets.imdb"
    assert capsys.readouterr().err == (
        "warning: could not download the words of keras.datasets.imdb (URL fetch failure): "
        "the model is trained, but saved without its vocabulary, so predict.py cannot use it\n"
    )


def test_a_bug_in_our_word_index_code_is_not_taken_for_a_failed_download(monkeypatch):
    import keras

    monkeypatch.setattr(
        keras.datasets.imdb,
        "load_data",
        lambda num_words: (([[1, 2]], np.array([1])), ([[3]], np.array([0]))),
    )
    monkeypatch.setattr(keras.datasets.imdb, "get_word_index", lambda: {"great": 1})

    def bug(*args):
        raise RuntimeError("a bug of ours")

    monkeypatch.setattr(imdb_data, "keras_word_index_encoding", bug)
    with pytest.raises(RuntimeError, match="a bug of ours"):
        common.load_imdb(None, num_words=5000, maxlen=4)


class WritesAFile:
    """Unpickling this would create `path`: what a crafted imdb.npz could do."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_npz_with_a_pickle_payload_runs_no_code(keras_npz, tmp_path):
    victim = tmp_path / "created-by-the-npz"
    path = tmp_path / "crafted.npz"
    with np.load(keras_npz, allow_pickle=True) as good:
        arrays = {name: good[name] for name in good.files}
    arrays["x_train"] = np.array([[1, 2], WritesAFile(victim)], dtype=object)
    np.savez(path, **arrays)
    message = load_error(path)
    assert "crafted.npz: not a Keras imdb.npz: it holds Python objects other than arrays" in message
    assert not victim.exists()


def test_npz_numeric_arrays_load_without_pickle(tmp_path):
    path = tmp_path / "numeric.npz"
    x = np.array([[1, 2, 3], [4, 5, 6]])  # equal lengths: a plain int array, no objects
    np.savez(path, x_train=x, y_train=np.array([0, 1]), x_test=x[:1], y_test=np.array([1]))
    data = common.load_imdb(str(path), num_words=7, maxlen=4)
    # Ranks + 3, 2 at or above num_words, 1 first; shuffled by RandomState(113).
    assert sorted(data.x_train.tolist()) == [[1, 4, 5, 6], [1, 2, 2, 2]][::-1]
    assert data.x_test.tolist() == [[1, 4, 5, 6]]


def encodings_of(root, capsys) -> int:
    """Loads `root` and says whether it was encoded afresh (1) or came from the cache (0)."""
    common.load_imdb(str(root), 5000, MAXLEN)
    return capsys.readouterr().out.count("Encoding the reviews")


def test_folder_cache_notices_edited_added_and_removed_reviews(tmp_path, capsys):
    import os

    root = write_reviews(tmp_path / "aclImdb", TINY_REVIEWS)
    assert encodings_of(root, capsys) == 1
    assert encodings_of(root, capsys) == 0
    review = root / "train/neg/0_1.txt"
    review.write_text("fun film")  # same size, edited in place
    os.utime(review, ns=(review.stat().st_atime_ns, review.stat().st_mtime_ns + 10**9))
    assert encodings_of(root, capsys) == 1
    (root / "train/pos/2_9.txt").write_text("great")
    assert encodings_of(root, capsys) == 1
    (root / "test/neg/1_4.txt").unlink()
    assert encodings_of(root, capsys) == 1
    assert encodings_of(root, capsys) == 0


def object_array_npy(rows: list[list[int]]) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.array(rows, dtype=object), allow_pickle=True)
    return buffer.getvalue()


def test_a_damaged_object_array_is_one_line_and_a_bug_is_not_hidden(tmp_path, monkeypatch):
    from imdb_lstm import npz

    raw = object_array_npy([[1, 2, 3], [4, 5]])
    with pytest.raises(ValueError, match=r"damaged object array \(UnpicklingError\("):
        npz._read_npy(raw[:-20])  # the pickle cut short

    def bug(self):
        raise RuntimeError("a bug of ours")

    monkeypatch.setattr(npz._ArraysOnlyUnpickler, "load", bug)
    with pytest.raises(RuntimeError, match="a bug of ours"):
        npz._read_npy(raw)


def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "damage, said",
    [
        (b"", "No data left in file"),  # a cut write: 0 bytes
        (npy(np.arange(3)), "not an .npz file"),  # a .npy in its place
    ],
)
def test_a_cache_entry_that_is_empty_or_an_npy_is_encoded_again(
    tmp_path, isolated_keras_home, capsys, damage, said
):
    root = write_reviews(tmp_path / "aclImdb", TINY_REVIEWS)
    first = common.load_imdb(str(root), 5000, MAXLEN)
    (cache,) = (isolated_keras_home / "datasets").glob("imdb-lstm-*.npz")
    cache.write_bytes(damage)
    capsys.readouterr()
    second = common.load_imdb(str(root), 5000, MAXLEN)
    np.testing.assert_array_equal(first.x_train, second.x_train)
    assert capsys.readouterr().out.splitlines() == [
        f"The cached encoding {cache} is damaged ({said}).",
        f"Encoding the reviews in {root} (cached for later runs) ...",
    ]
    common.load_imdb(str(root), 5000, MAXLEN)
    assert capsys.readouterr().out == ""  # mended: found in the cache again


def test_a_review_linked_from_outside_the_data_folder_is_refused(tmp_path):
    root = write_reviews(tmp_path / "aclImdb", TINY_REVIEWS)
    secret = tmp_path / "secret.txt"
    secret.write_text("my password is swordfish")
    (root / "train/pos/2_9.txt").symlink_to(secret)
    assert load_error(root) == (
        f"{root / 'train/pos/2_9.txt'}: a link to {secret}, outside the data folder {root}; "
        "copy the reviews into it"
    )


def test_a_link_inside_the_data_folder_is_read(tmp_path):
    root = write_reviews(tmp_path / "aclImdb", TINY_REVIEWS)
    (root / "train/pos/2_9.txt").symlink_to(root / "train/pos/0_9.txt")
    assert len(common.load_imdb(str(root), 5000, MAXLEN).y_train) == 5


def ragged(*reviews) -> np.ndarray:
    array = np.empty(len(reviews), dtype=object)
    array[:] = [list(review) for review in reviews]
    return array


@pytest.mark.parametrize(
    "arrays, expected",
    [
        (
            {"x_train": ragged([1, 2], ["great", "film"])},
            "review 1 of x_train is not a list of word ranks (whole numbers from 0): it holds "
            "<U5 ['great', 'film']",
        ),
        (
            {"x_train": ragged([1, 2], [3.5])},
            "review 1 of x_train is not a list of word ranks (whole numbers from 0): it holds "
            "float64 [3.5]",
        ),
        (
            {"x_test": ragged([1, -4])},
            "review 0 of x_test is not a list of word ranks (whole numbers from 0): it holds "
            "int64 [1, -4]",
        ),
        (
            {"y_train": np.array([0, 1, 1])},
            "x_train holds (2,) reviews, y_train (3,) labels; they should be two lists of one "
            "length",
        ),
        ({"y_test": np.array([7])}, "y_test should hold labels 0 and 1, but holds 7"),
        ({"y_train": np.array([-1, 1])}, "y_train should hold labels 0 and 1, but holds -1, 1"),
    ],
)
def test_an_npz_with_values_keras_never_writes_is_one_line(tmp_path, arrays, expected):
    path = tmp_path / "imdb.npz"
    good = {
        "x_train": ragged([1, 2, 3], [4, 5]),
        "y_train": np.array([0, 1]),
        "x_test": ragged([6]),
        "y_test": np.array([1]),
    }
    np.savez(path, **{**good, **arrays})
    assert load_error(path) == f"{path}: {expected}"


# --- where a run finds the data without a flag --------------------------------------------


def test_a_local_copy_in_the_data_folder_is_used_without_a_flag(
    stanford_tarball, keras_npz, tmp_path, monkeypatch, capsys
):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "imdb.npz").write_bytes(keras_npz.read_bytes())
    (folder / "aclImdb_v1.tar.gz").write_bytes(stanford_tarball.read_bytes())
    monkeypatch.setenv("IMDB_DATA_FOLDER", str(folder))
    data = common.load_imdb(None, 5000, MAXLEN)
    # The archive comes before the .npz: the first of aclImdb_v1.tar.gz, aclImdb/, imdb.npz.
    assert data.source == f"{folder}/aclImdb_v1.tar.gz"
    assert capsys.readouterr().out.startswith(
        f"Reviews: {folder}/aclImdb_v1.tar.gz (a local copy, found without --data)\n"
    )
    (folder / "aclImdb_v1.tar.gz").unlink()
    assert common.load_imdb(None, 5000, MAXLEN).source == f"{folder}/imdb.npz"


def test_the_data_folder_is_named_from_the_current_folder_where_it_lies_inside(
    keras_npz, tmp_path, monkeypatch
):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "imdb.npz").write_bytes(keras_npz.read_bytes())
    monkeypatch.setenv("IMDB_DATA_FOLDER", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    assert imdb_data.data_source(None) == "data/imdb.npz"


@pytest.fixture
def stalled_proxy(monkeypatch):
    """An HTTPS proxy on 127.0.0.1 that accepts every connection and never answers, as
    a blocked network looks to a reader: the download's own request goes through it."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted = []

    def accept():
        while True:
            try:
                accepted.append(server.accept()[0])
            except OSError:  # closed at the end of the test
                return

    threading.Thread(target=accept, daemon=True).start()
    address = f"http://127.0.0.1:{server.getsockname()[1]}"
    for name in ("HTTPS_PROXY", "https_proxy"):
        monkeypatch.setenv(name, address)
    yield accepted
    server.close()
    for connection in accepted:
        connection.close()


def test_a_stalled_download_gives_up_in_one_line_with_the_ways_to_a_local_copy(
    stalled_proxy, tmp_path, monkeypatch
):
    monkeypatch.setenv("IMDB_DATA_FOLDER", str(tmp_path / "data"))  # no local copy
    monkeypatch.setattr(imdb_data, "DOWNLOAD_STALL_SECONDS", 2)
    start = time.monotonic()
    with pytest.raises(UserError) as caught:
        common.load_imdb(None, 5000, MAXLEN)
    assert time.monotonic() - start < 20
    assert len(stalled_proxy) >= 1  # it did try, through the stalled connection
    message = str(caught.value)
    assert message.startswith("could not download keras.datasets.imdb (URL fetch failure")
    assert "timed out" in message and "\n" not in message
    assert message.endswith(
        f"give a local copy in one of three ways: put aclImdb_v1.tar.gz, aclImdb/ or imdb.npz "
        f"in {tmp_path}/data/; or imdb.npz in the Keras cache "
        f"({os.environ['KERAS_HOME']}/datasets/imdb.npz); or --data PATH (or IMDB_DATA)"
    )
    assert socket.getdefaulttimeout() is None  # the limit is the download's only
