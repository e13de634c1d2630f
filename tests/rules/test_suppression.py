"""noqa comments, cell tags and per-file ignores."""

from __future__ import annotations

from pathlib import Path

from nb2prod.api import check_file
from nb2prod.config import build_settings
from nb2prod.rules import ALL_RULES
from tests.helpers import code, findings, ran, write


def test_noqa_comment_silences_its_line_only() -> None:
    assert findings(ran("x = y  # nb2prod: noqa\nz = w"), "NB202") == [("NB202", 0, 2)]


def test_noqa_with_codes_silences_those_codes() -> None:
    assert findings(ran("x = y  # nb2prod: noqa: NB202"), "NB202") == []
    assert findings(ran("x = y  # noqa: NB201"), "NB202") == [("NB202", 0, 1)]
    assert findings(ran("x = y  # noqa: NB2"), "NB202") == []


def test_cell_tags() -> None:
    assert findings([code("x = y", 1, tags=["nb2prod-ignore"])], "NB") == []
    assert findings([code("x = y", 1, tags=["nb2prod-ignore-NB202"])], "NB202") == []
    assert findings([code("x = y", 1, tags=["nb2prod-ignore-NB201"])], "NB202") == [
        ("NB202", 0, 1)]


def test_per_file_ignores_and_builtins_from_config(tmp_path: Path) -> None:
    path = write(tmp_path, "scratch.ipynb", ran("x = spark + undefined"))
    table = {"per-file-ignores": {"scratch*.ipynb": ["NB202"]}}
    assert check_file(str(path), build_settings(ALL_RULES, table, root=tmp_path)).findings == ()
    table = {"extra-builtins": ["spark"]}
    result = check_file(str(path), build_settings(ALL_RULES, table, root=tmp_path))
    assert [f.message.split("'")[1] for f in result.findings] == ["undefined"]
