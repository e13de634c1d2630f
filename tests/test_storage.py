"""The serialization layer the orchestrator templates share: every kind of value a notebook step
passes along comes back equal, in the format chosen for its type; pickle only as the last resort."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from nb2prod import storage


def _round_trip(value, tmp_path: Path):
    path, pickled = storage.save(value, tmp_path, "value")
    assert storage.find(tmp_path, "value") == path
    return storage.load(path), path.name, pickled


def test_each_type_gets_its_format_and_comes_back_equal(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"], "c": [0.5, float("nan")]},
                         index=[10, 20])
    back, name, pickled = _round_trip(frame, tmp_path)
    assert name == "value.parquet" and not pickled
    pd.testing.assert_frame_equal(back, frame)
    series = pd.Series([1.5, 2.5], name="score")
    back, name, _ = _round_trip(series, tmp_path)
    assert name == "value.series.parquet"
    pd.testing.assert_series_equal(back, series)
    back, name, _ = _round_trip(pd.Series([1, 2]), tmp_path)
    assert back.name is None
    array = np.arange(6, dtype="float32").reshape(2, 3)
    back, name, _ = _round_trip(array, tmp_path)
    assert name == "value.npy" and back.dtype == array.dtype and (back == array).all()
    X, y = np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0, 0, 1, 1])
    model = LogisticRegression().fit(X, y)
    back, name, _ = _round_trip(model, tmp_path)
    assert name == "value.joblib" and (back.predict(X) == model.predict(X)).all()
    plain = {"rows": 3, "rate": 0.25, "names": ["a", "b"], "ok": True, "none": None}
    back, name, _ = _round_trip(plain, tmp_path)
    assert name == "value.json" and back == plain


@pytest.mark.parametrize("value", [(1, 2), {1: "a"}, {"x": math.nan}, {1, 2},
                                   np.array([{"a": 1}], dtype=object)])
def test_what_json_or_npy_would_change_is_pickled_and_comes_back_as_it_was(tmp_path: Path,
                                                                           value) -> None:
    back, name, pickled = _round_trip(value, tmp_path)
    assert name == "value.pkl" and pickled
    if isinstance(value, np.ndarray):
        assert back[0] == value[0]
    elif isinstance(value, dict) and "x" in value:
        assert math.isnan(back["x"])
    else:
        assert back == value and type(back) is type(value)


def test_a_frame_parquet_cannot_hold_falls_back_to_pickle(tmp_path: Path) -> None:
    frame = pd.DataFrame({"mixed": [1, "two", 3.0]})  # an object column of mixed types
    back, name, pickled = _round_trip(frame, tmp_path)
    assert name == "value.pkl" and pickled
    pd.testing.assert_frame_equal(back, frame)


def test_saving_again_replaces_the_earlier_file_in_any_format(tmp_path: Path) -> None:
    storage.save([1, 2], tmp_path, "value")
    storage.save(pd.DataFrame({"a": [1]}), tmp_path, "value")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["value.parquet"]
    with pytest.raises(FileNotFoundError, match="no saved value 'other'"):
        storage.find(tmp_path, "other")


def test_a_value_no_file_can_hold_is_named_with_its_type(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="cannot save 'rows', a generator: no file format holds it"):
        storage.save((n for n in range(3)), tmp_path, "rows")


def test_what_parquet_or_json_would_change_quietly_is_pickled(tmp_path: Path) -> None:
    from decimal import Decimal

    daily = pd.Series([1.0, 2.0], index=pd.date_range("2026-01-01", periods=2, freq="D"))
    back, name, _ = _round_trip(daily, tmp_path)
    assert back.index.freq == daily.index.freq
    back, name, _ = _round_trip(pd.DataFrame({"d": [Decimal("2.5")]}), tmp_path)
    assert name == "value.pkl" and str(back["d"][0]) == "2.5"
    back, name, _ = _round_trip(pd.Series([1, 2], name=3), tmp_path)
    assert type(back.name) is int
    back, name, _ = _round_trip(10 ** 5000, tmp_path)
    assert name == "value.pkl" and back == 10 ** 5000


@pytest.mark.parametrize("name", ["../escape", "/tmp/abs", "a/b", "..", ""])
def test_a_name_is_one_file_name(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match="a name is one file name"):
        storage.save([1], tmp_path / "inner", name)
    assert not list(tmp_path.rglob("*.json"))
