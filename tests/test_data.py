"""Loading and encoding IMDB: Keras's conventions, every source format, bad input."""

import gzip
import tarfile

import numpy as np
import pytest
from conftest import REVIEWS_PER_LABEL, write_stanford_layout

import common

MAXLEN = 500


def test_tokenize_lowercases_drops_html_breaks_and_punctuation():
    assert common.tokenize("It's GREAT!<br /><br />Really, it's great...") == [
        "it's",
        "great",
        "really",
        "it's",
        "great",
    ]
    assert common.tokenize("   \n\t ") == []


def test_words_are_ranked_by_training_frequency_from_index_4():
    encoding = common.build_encoding(["the cat the dog", "the cat bird"], num_words=7, maxlen=10)
    # the: 3 times, cat: 2, bird and dog: once each (ties alphabetical); 7 is not < num_words
    assert encoding.word_index == {"the": 4, "cat": 5, "bird": 6}


def test_encoding_marks_start_and_out_of_vocabulary_words():
    encoding = common.build_encoding(["the cat the dog", "the cat bird"], num_words=7, maxlen=10)
    # dog is rare (rank 7 >= num_words); zebra was never seen in training.
    assert list(encoding.encode("The <br /> dog, CAT! zebra")) == [
        common.START_INDEX,
        4,
        common.OOV_INDEX,
        5,
        common.OOV_INDEX,
    ]


def test_vocabulary_comes_from_the_training_split_only(tmp_path):
    root = write_stanford_layout(tmp_path / "aclImdb")
    (root / "test" / "pos" / "999_9.txt").write_text("zebra " * 400)  # frequent, test only
    data = common.load_imdb(str(root), num_words=5000, maxlen=MAXLEN)
    assert "zebra" not in data.encoding.word_index
    row = data.x_test[data.x_test[:, -1] == common.OOV_INDEX]
    assert len(row) == 1 and (row[0, -400:] == common.OOV_INDEX).all()


def test_padding_and_truncation_happen_at_the_start():
    encoding = common.TextEncoding({"a": 4}, num_words=10, maxlen=4)
    short, long = np.array([1, 4]), np.array([1, 4, 5, 6, 7, 8])
    padded = encoding.pad([short, long])
    assert padded.tolist() == [[0, 0, 1, 4], [5, 6, 7, 8]]
    assert padded.dtype == np.int32


def test_stanford_directory_loads_shuffled_like_keras(stanford_dir):
    data = common.load_imdb(str(stanford_dir), num_words=5000, maxlen=MAXLEN)
    n = 2 * REVIEWS_PER_LABEL
    assert data.x_train.shape == (n, MAXLEN) and data.x_test.shape == (n, MAXLEN)
    assert data.y_train.sum() == REVIEWS_PER_LABEL and data.y_test.sum() == REVIEWS_PER_LABEL

    # Expected: reviews in file-name order (neg, then pos), each split shuffled in turn
    # by one RandomState(113), as keras.datasets.imdb.load_data does.
    rng = np.random.RandomState(113)
    for split, x, y in (("train", data.x_train, data.y_train), ("test", data.x_test, data.y_test)):
        files = sorted((stanford_dir / split).glob("*/*.txt"))
        order = rng.permutation(len(files))
        expected = data.encoding.pad([data.encoding.encode(files[i].read_text()) for i in order])
        np.testing.assert_array_equal(x, expected)
        np.testing.assert_array_equal(y, [int(files[i].parent.name == "pos") for i in order])


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
        patch.setattr(common, "_read_tarball", must_not_read)
        second = common.load_imdb(str(stanford_tarball), 5000, MAXLEN)
    np.testing.assert_array_equal(first.x_train, second.x_train)
    np.testing.assert_array_equal(first.y_test, second.y_test)
    assert first.encoding == second.encoding
    # Another vocabulary size is another cache entry, not a wrong answer.
    assert common.load_imdb(str(stanford_tarball), 10, MAXLEN).x_train.max() == 9
    assert len(list((isolated_keras_home / "datasets").glob("imdb-lstm-*.npz"))) == 2


def test_a_damaged_cache_is_rebuilt(stanford_tarball, isolated_keras_home):
    first = common.load_imdb(str(stanford_tarball), 5000, MAXLEN)
    (cache,) = (isolated_keras_home / "datasets").glob("imdb-lstm-*.npz")
    cache.write_bytes(b"PK\x03\x04 not really a zip")
    second = common.load_imdb(str(stanford_tarball), 5000, MAXLEN)
    np.testing.assert_array_equal(first.x_train, second.x_train)


def test_invalid_utf8_review_is_decoded_with_replacement(tmp_path):
    root = write_stanford_layout(tmp_path / "aclImdb")
    (root / "train" / "pos" / "999_9.txt").write_bytes(b"great caf\xe9 \xff\xfe film")
    data = common.load_imdb(str(root), 5000, MAXLEN)
    assert len(data.y_train) == 2 * REVIEWS_PER_LABEL + 1


# --- bad input: one clear message naming the path ----------------------------------------


def load_error(path) -> str:
    with pytest.raises(common.UserError) as caught:
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
    assert "not an imdb.npz, aclImdb/ directory or .tar.gz" in load_error(path)


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
    with pytest.raises(common.UserError) as caught:
        common.load_imdb(None, 5000, MAXLEN)
    assert "could not download keras.datasets.imdb" in str(caught.value)
    assert "--data" in str(caught.value) and "IMDB_DATA" in str(caught.value)


def test_default_source_takes_the_keras_word_index_shifted_by_three(monkeypatch):
    import keras

    ranks = {"the": 1, "and": 2, "a": 3, "great": 10, "rare": 4997}
    monkeypatch.setattr(keras.datasets.imdb, "get_word_index", lambda: ranks)
    encoding = common._keras_word_index_encoding(num_words=5000, maxlen=MAXLEN)
    assert encoding.word_index == {"the": 4, "and": 5, "a": 6, "great": 13}
    assert list(encoding.encode("The great unknown")) == [1, 4, 13, common.OOV_INDEX]


def test_default_source_offline_word_index_is_none(monkeypatch):
    import keras

    def offline():
        raise Exception("URL fetch failure")

    monkeypatch.setattr(keras.datasets.imdb, "get_word_index", offline)
    assert common._keras_word_index_encoding(num_words=5000, maxlen=MAXLEN) is None
