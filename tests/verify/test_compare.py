"""Value comparison by type, with tolerance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

from nb2prod.verify.compare import DIFFERS, EQUAL, NOT_COMPARABLE, Tolerance, compare


@pytest.mark.parametrize(("expected", "actual", "status"), [
    (1.0, 1.0 + 1e-12, EQUAL),
    (1.0, 1.001, DIFFERS),
    (float("nan"), float("nan"), EQUAL),
    (3, 3, EQUAL),
    ("a", "a", EQUAL),
    ("a", "b", DIFFERS),
    ([1, {"k": 2.0}], [1, {"k": 2.0}], EQUAL),
    ([1, 2], [1, 2, 3], DIFFERS),
    ({"a": 1}, {"b": 1}, DIFFERS),
    (None, None, EQUAL),
    (1, "1", DIFFERS),
])
def test_plain_values(expected, actual, status) -> None:
    assert compare(expected, actual).status == status


def test_tolerance_is_configurable() -> None:
    assert compare(1.0, 1.01).status == DIFFERS
    assert compare(1.0, 1.01, Tolerance(rtol=0.05)).status == EQUAL


def test_arrays_shape_dtype_and_closeness() -> None:
    a = np.arange(6, dtype=float).reshape(2, 3)
    assert compare(a, a + 1e-12).status == EQUAL
    result = compare(a, a + 0.5)
    assert result.status == DIFFERS and "max abs error 0.5" in result.detail
    assert "shape" in compare(a, a.reshape(3, 2)).detail
    assert "dtype" in compare(a, a.astype(int)).detail


def test_frames_report_where_they_differ() -> None:
    frame = pd.DataFrame({"x": [1.0, 2.0], "y": ["a", "b"]})
    assert compare(frame, frame.copy()).status == EQUAL
    changed = frame.copy()
    changed.loc[1, "x"] = 9.0
    result = compare(frame, changed)
    assert result.status == DIFFERS and "x" in result.detail
    assert compare(frame["x"], frame["x"] * 1.0).status == EQUAL


def test_estimators_by_parameters_and_fitted_state() -> None:
    X, y = np.arange(10.0).reshape(-1, 1), np.arange(10.0) * 2
    first, second = LinearRegression().fit(X, y), LinearRegression().fit(X, y)
    assert compare(first, second).status == EQUAL
    third = LinearRegression().fit(X, y * 3)
    assert "fitted coef_" in compare(first, third).detail
    assert compare(first, LinearRegression(fit_intercept=False).fit(X, y)).detail == "parameters differ"


def test_figures_are_not_compared_and_unknown_objects_by_repr() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    assert compare(plt.figure(), plt.figure()).status == NOT_COMPARABLE
    plt.close("all")

    class Thing:
        pass

    # a default repr (`<Thing object at 0x…>`) shows no value: never "equal" by it (two frozen
    # scipy distributions with different parameters look alike)
    result = compare(Thing(), Thing())
    assert result.status == NOT_COMPARABLE and "shows no value" in result.detail

    class Point:
        def __init__(self, x):
            self.x = x

        def __repr__(self):
            return f"Point({self.x})"

    assert compare(Point(1), Point(1)).status == EQUAL  # compared by repr
    assert compare(Point(1), Point(2)).status == NOT_COMPARABLE
