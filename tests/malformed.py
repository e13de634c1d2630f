"""The bad inputs every command must survive (the same kinds as the team's evaluation set)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

GOOD_CELL = {"cell_type": "code", "execution_count": 1, "metadata": {}, "outputs": [],
             "source": ["x = 1\n"]}


def _nb(cells: list, **meta) -> dict:
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": meta, "cells": cells}


def cases() -> Iterator[tuple[str, bytes | None, str]]:
    """(file name, content or None for a directory, expected kind of answer)."""
    yield "empty-file.ipynb", b"", "unreadable"
    yield "not-json.ipynb", b"this is not json {", "unreadable"
    yield "truncated.ipynb", json.dumps(_nb([GOOD_CELL] * 3)).encode()[:57], "unreadable"
    yield "json-list.ipynb", b"[1, 2, 3]", "unreadable"
    yield "no-cells-key.ipynb", json.dumps({"nbformat": 4, "metadata": {}}).encode(), "unreadable"
    yield "nbformat-99.ipynb", json.dumps({**_nb([GOOD_CELL]), "nbformat": 99}).encode(), "unreadable"
    yield "binary-garbage.ipynb", bytes(range(256)) * 8, "unreadable"
    latin = json.dumps(_nb([{**GOOD_CELL, "source": ["s = 'caf\u00e9'\n"]}]), ensure_ascii=False)
    yield "latin1.ipynb", latin.encode("latin-1"), "unreadable"
    yield "cell-missing-source.ipynb", json.dumps(
        _nb([{"cell_type": "code", "metadata": {}, "outputs": []}])).encode(), "unreadable"
    yield "unknown-cell-type.ipynb", json.dumps(
        _nb([{**GOOD_CELL, "cell_type": "widget"}])).encode(), "unreadable"
    yield "directory-named.ipynb", None, "unreadable"
    yield "zero-cells.ipynb", json.dumps(_nb([])).encode(), "ok"
    yield "syntax-error.ipynb", json.dumps(
        _nb([GOOD_CELL, {**GOOD_CELL, "execution_count": 2, "source": ["def f(:\n"]}])).encode(), "finding"
    yield "r-kernel.ipynb", json.dumps(_nb([{**GOOD_CELL, "source": ["x <- c(1, 2)\n"]}],
                                           kernelspec={"name": "ir", "language": "R"},
                                           language_info={"name": "R"})).encode(), "unreadable"
    yield "only-magics.ipynb", json.dumps(
        _nb([{**GOOD_CELL, "source": ["%matplotlib inline\n", "!ls\n"]}])).encode(), "ok"
    yield "null-bytes.ipynb", json.dumps(
        _nb([{**GOOD_CELL, "source": ["x = '\x00'\n"]}])).encode(), "finding-or-ok"
    deep = "x = " + "(" * 5000 + "1" + ")" * 5000 + "\n"
    yield "deep-nesting.ipynb", json.dumps(_nb([{**GOOD_CELL, "source": [deep]}])).encode(), "finding-or-ok"
    yield "weird name with spaces & $(touch pwned).ipynb", json.dumps(_nb([GOOD_CELL])).encode(), "ok"
    yield "class.ipynb", json.dumps(_nb([GOOD_CELL])).encode(), "ok"


def write_cases(folder: Path) -> list[tuple[Path, str]]:
    written = []
    for name, content, kind in cases():
        path = folder / name
        if content is None:
            path.mkdir()
        else:
            path.write_bytes(content)
        written.append((path, kind))
    return written
