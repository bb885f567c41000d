"""Results and models are written atomically: a failed write leaves the old file intact."""

import json
import os

import keras
import pytest

import common


def tiny_model() -> keras.Model:
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])


def test_model_round_trip_keeps_the_vocabulary(tmp_path):
    encoding = common.TextEncoding({"great": 4, "film": 5}, num_words=6, maxlen=500)
    common.save_model(tiny_model(), tmp_path / "m.keras", encoding)
    model, loaded = common.load_model(tmp_path / "m.keras")
    assert loaded == encoding and model.count_params() == 4


def test_failed_model_save_keeps_the_earlier_model(tmp_path, monkeypatch):
    path = tmp_path / "m.keras"
    common.save_model(tiny_model(), path, None)
    before = path.read_bytes()

    def save_half_then_fail(self, filepath, **kwargs):
        open(filepath, "wb").write(b"PK half a model")
        raise OSError("disk full")

    monkeypatch.setattr(keras.Model, "save", save_half_then_fail)
    with pytest.raises(OSError, match="disk full"):
        common.save_model(tiny_model(), path, None)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.keras"]  # no temporary file left


def test_failed_json_write_keeps_the_earlier_results(tmp_path):
    path = tmp_path / "r.json"
    common.write_json(path, {"test_accuracy": 0.87})
    with pytest.raises(TypeError):
        common.write_json(path, {"not serialisable": object()})
    assert json.loads(path.read_text()) == {"test_accuracy": 0.87}
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_written_files_get_normal_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        common.write_json(tmp_path / "r.json", {})
    finally:
        os.umask(umask)
    assert (tmp_path / "r.json").stat().st_mode & 0o777 == 0o644
