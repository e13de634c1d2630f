"""Values that cross a process boundary, saved as files and read back, by type.

This module is rendered verbatim into generated projects whose engine exchanges values through
files (the orchestrator templates), so it imports nothing from nb2prod and only what it needs,
when it needs it. Formats, first match wins:

- pandas DataFrame / Series: parquet (``.parquet``; a Series as a one-column frame);
- numpy array of numbers or strings: ``.npy`` (no pickling);
- a fitted estimator (scikit-learn style: ``get_params`` and ``fit``): joblib (``.joblib``);
- plain data that JSON gives back exactly (None, bools, numbers, strings, lists and dicts of
  them with string keys; not tuples or NaN): ``.json``;
- anything else: pickle (``.pkl``), the last resort. ``save`` says when it used it, so a README
  or a log can list such values.

A value the chosen format cannot write (parquet without pyarrow, an object column) falls back
to pickle too. ``load`` reads a value back from the path ``save`` returned.
"""

from __future__ import annotations

import json
import math
import pickle
from pathlib import Path
from typing import Any

SUFFIXES = (".parquet", ".series.parquet", ".npy", ".joblib", ".json", ".pkl")


def save(value: Any, folder: str | Path, name: str) -> tuple[Path, bool]:
    """Write ``value`` to ``folder/name.<suffix>``; (the path, whether pickle was the last
    resort). An earlier file of the same name, in any format, is replaced."""
    if not name or name in (".", "..") or any(c in name for c in "/\\\0"):
        raise ValueError(f"cannot save a value named {name!r}: a name is one file name")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for old in (folder / f"{name}{suffix}" for suffix in SUFFIXES):
        old.unlink(missing_ok=True)
    for writer in (_frame, _array, _estimator, _plain):
        path = writer(value, folder, name)
        if path is not None:
            return path, False
    try:
        data = pickle.dumps(value)
    except Exception as exc:  # a generator, an open file, a lambda...
        raise TypeError(f"cannot save {name!r}, a {type(value).__name__}: no file format holds "
                        f"it ({exc}); return something that can be saved instead (a list, a "
                        "path, a module-level function)") from None
    path = folder / f"{name}.pkl"
    path.write_bytes(data)
    return path, True


def load(path: str | Path) -> Any:
    """The value ``save`` wrote to ``path``."""
    path = Path(path)
    name = path.name
    if name.endswith(".series.parquet"):
        import pandas as pd

        frame = pd.read_parquet(path)
        series = frame[frame.columns[0]]
        series.name = None if frame.attrs.get("nb2prod_unnamed") else series.name
        return series
    if name.endswith(".parquet"):
        import pandas as pd

        return pd.read_parquet(path)
    if name.endswith(".npy"):
        import numpy as np

        return np.load(path, allow_pickle=False)
    if name.endswith(".joblib"):
        import joblib

        return joblib.load(path)
    if name.endswith(".json"):
        return json.loads(path.read_text(encoding="utf-8"))
    return pickle.loads(path.read_bytes())


def find(folder: str | Path, name: str) -> Path:
    """The file ``save`` wrote for ``name`` in ``folder``."""
    for suffix in SUFFIXES:
        path = Path(folder) / f"{name}{suffix}"
        if path.is_file():
            return path
    raise FileNotFoundError(f"no saved value {name!r} in {folder}")


def _frame(value: Any, folder: Path, name: str) -> Path | None:
    kind = type(value).__module__.split(".")[0], type(value).__name__
    if kind not in {("pandas", "DataFrame"), ("pandas", "Series")}:
        return None
    columns = [value.iloc[:, i] for i in range(value.shape[1])] if kind[1] == "DataFrame" \
        else [value]
    if any(str(c.dtype) == "object" and not all(isinstance(v, str) or v is None for v in c)
           for c in columns):
        return None  # Python objects in a column (Decimal, lists): parquet converts them
    frame = value
    suffix = ".parquet"
    if kind[1] == "Series":
        frame = value.to_frame(name="value" if value.name is None else value.name)
        frame.attrs["nb2prod_unnamed"] = value.name is None
        suffix = ".series.parquet"
    path = folder / f"{name}{suffix}"
    try:
        frame.to_parquet(path)
        restored = load(path)
        same = restored.equals(value) and restored.dtypes.equals(value.dtypes) \
            if kind[1] == "DataFrame" else restored.equals(value) and restored.dtype == value.dtype
        if same and _same_index(restored, value) and (
                kind[1] == "DataFrame" or type(restored.name) is type(value.name)):
            return path
    except Exception:  # no pyarrow, an object column, a MultiIndex...: pickle says the rest
        pass
    path.unlink(missing_ok=True)
    return None


def _same_index(restored: Any, value: Any) -> bool:
    """Same labels, names and frequency (a DatetimeIndex's freq is part of what it is)."""
    return (list(restored.index) == list(value.index)
            and list(restored.index.names) == list(value.index.names)
            and getattr(restored.index, "freq", None) == getattr(value.index, "freq", None))


def _array(value: Any, folder: Path, name: str) -> Path | None:
    if type(value).__module__ != "numpy" or type(value).__name__ != "ndarray":
        return None
    if value.dtype.kind not in "biufcSUMm":  # object arrays need pickle
        return None
    import numpy as np

    path = folder / f"{name}.npy"
    np.save(path, value, allow_pickle=False)
    return path


def _estimator(value: Any, folder: Path, name: str) -> Path | None:
    if not (hasattr(value, "get_params") and hasattr(value, "fit")) or isinstance(value, type):
        return None
    try:
        import joblib
    except ImportError:
        return None
    path = folder / f"{name}.joblib"
    joblib.dump(value, path)
    return path


def _plain(value: Any, folder: Path, name: str) -> Path | None:
    if not _json_exact(value):
        return None
    try:
        text = json.dumps(value)
    except ValueError:  # an int too long for text conversion: pickle keeps it
        return None
    path = folder / f"{name}.json"
    path.write_text(text, encoding="utf-8")
    return path


def _json_exact(value: Any, depth: int = 0) -> bool:
    """Whether JSON gives this value back as it is (same types, no tuples, no NaN)."""
    if depth > 50:
        return False
    if value is None or type(value) in (bool, int, str):
        return True
    if type(value) is float:
        return math.isfinite(value)
    if type(value) is list:
        return all(_json_exact(item, depth + 1) for item in value)
    if type(value) is dict:
        return all(type(key) is str and _json_exact(item, depth + 1)
                   for key, item in value.items())
    return False
