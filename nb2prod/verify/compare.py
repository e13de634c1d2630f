"""Compare two values the way a reviewer would: numbers with tolerance, arrays and frames by shape,
dtype and closeness, estimators by parameters and fitted state, everything else exactly.

This module is also rendered, as it is, into every generated project (its tests compare with it):
it depends on the standard library only (numpy and pandas when the values are theirs) and runs on
the oldest Python a generated project supports.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

EQUAL, DIFFERS, NOT_COMPARABLE, NONDETERMINISTIC, MISSING = (
    "equal", "differs", "not comparable", "non-deterministic", "missing")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")


@dataclass(frozen=True)
class Tolerance:
    rtol: float = 1e-7
    atol: float = 1e-9


_DEFAULT = Tolerance()


@dataclass(frozen=True)
class Comparison:
    status: str
    detail: str = ""


def compare(expected: object, actual: object, tolerance: Tolerance = _DEFAULT, depth: int = 0,
            ) -> Comparison:
    """How ``actual`` (the project's value) relates to ``expected`` (the notebook's)."""
    if depth > 20:
        return Comparison(NOT_COMPARABLE, "nested too deeply")
    for check in (_figures, _frames, _arrays, _numbers, _estimators, _collections):
        result = check(expected, actual, tolerance, depth)
        if result is not None:
            return result
    if type(expected) is not type(actual):
        return Comparison(DIFFERS, f"type {type(expected).__name__} vs {type(actual).__name__}")
    if _equal(expected, actual):
        return Comparison(EQUAL)
    raw = repr(expected)
    left, right = _ADDRESS.sub("0x", raw), _ADDRESS.sub("0x", repr(actual))
    if left != raw:  # `<X object at 0x…>`: the repr names the type, not the value
        return Comparison(NOT_COMPARABLE, f"{type(expected).__name__} shows no value in its repr "
                          "and has no equality")
    if left == right:
        return Comparison(EQUAL, "compared by repr")
    if type(expected).__eq__ is object.__eq__:
        return Comparison(NOT_COMPARABLE, f"{type(expected).__name__} has no equality; reprs differ")
    return Comparison(DIFFERS, f"{_short(expected)} vs {_short(actual)}")


def _equal(expected: object, actual: object) -> bool:
    try:
        return bool(expected == actual)
    except Exception:  # == may raise for exotic types (arrays inside); the caller compares reprs
        return False


def _numbers(expected, actual, tolerance: Tolerance, depth: int) -> Comparison | None:
    if not (_is_number(expected) and _is_number(actual)):
        return None
    a, b = complex(expected), complex(actual)
    if (math.isnan(a.real) and math.isnan(b.real)) or a == b:
        return Comparison(EQUAL)
    if abs(a - b) <= tolerance.atol + tolerance.rtol * abs(a):
        return Comparison(EQUAL, f"within tolerance (|diff| {abs(a - b):.3g})")
    return Comparison(DIFFERS, f"{expected!r} vs {actual!r} (|diff| {abs(a - b):.3g})")


def _arrays(expected, actual, tolerance: Tolerance, depth: int) -> Comparison | None:
    if not (hasattr(expected, "__array__") and hasattr(expected, "shape") and hasattr(expected, "dtype")):
        return None
    import numpy as np

    if not isinstance(actual, type(expected)):
        return Comparison(DIFFERS, f"type {type(expected).__name__} vs {type(actual).__name__}")
    left, right = np.asarray(expected), np.asarray(actual)
    if left.shape != right.shape:
        return Comparison(DIFFERS, f"shape {left.shape} vs {right.shape}")
    if left.dtype != right.dtype:
        return Comparison(DIFFERS, f"dtype {left.dtype} vs {right.dtype}")
    if left.dtype.kind in "fc":
        if np.allclose(left, right, rtol=tolerance.rtol, atol=tolerance.atol, equal_nan=True):
            return Comparison(EQUAL)
        diff = np.nanmax(np.abs(left - right)) if left.size else 0
        return Comparison(DIFFERS, f"max abs error {diff:.3g}")
    return Comparison(EQUAL) if np.array_equal(left, right) else Comparison(DIFFERS, "elements differ")


def _frames(expected, actual, tolerance: Tolerance, depth: int) -> Comparison | None:
    module = type(expected).__module__
    if not module.startswith("pandas") or type(expected).__name__ not in {"DataFrame", "Series", "Index"}:
        return None
    import pandas.testing as pdt

    if type(actual) is not type(expected):
        return Comparison(DIFFERS, f"type {type(expected).__name__} vs {type(actual).__name__}")
    checker = {"DataFrame": pdt.assert_frame_equal, "Series": pdt.assert_series_equal,
               "Index": pdt.assert_index_equal}[type(expected).__name__]
    try:
        checker(expected, actual, check_exact=False, rtol=tolerance.rtol, atol=tolerance.atol)
    except AssertionError as exc:
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        return Comparison(DIFFERS, "; ".join(lines[:3])[:300])
    return Comparison(EQUAL)


def _estimators(expected, actual, tolerance: Tolerance, depth: int) -> Comparison | None:
    if not (hasattr(expected, "get_params") and hasattr(expected, "fit")):
        return None
    if type(actual) is not type(expected):
        return Comparison(DIFFERS, f"type {type(expected).__name__} vs {type(actual).__name__}")
    if repr(expected.get_params()) != repr(actual.get_params()):
        return Comparison(DIFFERS, "parameters differ")
    fitted = sorted(k for k in vars(expected) if k.endswith("_") and not k.startswith("_"))
    for name in fitted:
        result = compare(getattr(expected, name), getattr(actual, name, None), tolerance, depth + 1)
        if result.status == DIFFERS:
            return Comparison(DIFFERS, f"fitted {name}: {result.detail}")
    return Comparison(EQUAL, f"same parameters and {len(fitted)} fitted attributes")


def _collections(expected, actual, tolerance: Tolerance, depth: int) -> Comparison | None:
    if isinstance(expected, dict) and isinstance(actual, dict):
        if set(expected) != set(actual):
            return Comparison(DIFFERS, f"keys differ: {sorted(map(str, set(expected) ^ set(actual)))[:5]}")
        pairs = [(expected[k], actual[k], f"[{k!r}]") for k in expected]
    elif isinstance(expected, (list, tuple)) and type(actual) is type(expected):
        if len(expected) != len(actual):
            return Comparison(DIFFERS, f"length {len(expected)} vs {len(actual)}")
        pairs = [(item, actual[i], f"[{i}]") for i, item in enumerate(expected)]
    else:
        return None
    for left, right, where in pairs:
        result = compare(left, right, tolerance, depth + 1)
        if result.status != EQUAL:
            return Comparison(result.status, f"at {where}: {result.detail}")
    return Comparison(EQUAL)


def _figures(expected, actual, tolerance: Tolerance, depth: int) -> Comparison | None:
    if type(expected).__module__.startswith("matplotlib"):
        return Comparison(NOT_COMPARABLE, "figure (not compared)")
    return None


def _is_number(value) -> bool:
    import numbers

    if isinstance(value, bool):
        return False
    if hasattr(value, "dtype"):  # numpy scalars and 0-d arrays
        return getattr(value, "shape", None) == () and value.dtype.kind in "iufc"
    return isinstance(value, numbers.Number)


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
