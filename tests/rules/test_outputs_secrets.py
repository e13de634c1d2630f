"""NB001 syntax errors, NB401 saved error outputs, NB402 secrets (never echoed)."""

from __future__ import annotations

import pytest

from nb2prod.api import check_notebook
from nb2prod.config import Settings
from tests.helpers import code, findings, load, ran, stream

ERROR_OUTPUT = {"output_type": "error", "ename": "KeyError", "evalue": "'price'",
                "traceback": ["\x1b[0;31mKeyError\x1b[0m: 'price'"]}
AWS_KEY = "AKIA" + "IOSFODNN7EXAMPLE"
GITHUB_TOKEN = "ghp_" + "a" * 36


def test_syntax_error_is_reported_and_other_cells_still_checked() -> None:
    found = findings(ran("def f(:", "print(undefined_thing)"), "NB")
    assert ("NB001", 0, 1) in found
    assert ("NB202", 1, 1) in found


def test_saved_error_output() -> None:
    assert findings([code("df['price']", 1, [ERROR_OUTPUT])], "NB401") == [("NB401", 0, 1)]
    traceback = stream("Traceback (most recent call last):\n  ...\nValueError: bad\n", "stderr")
    assert findings([code("run()", 1, [traceback])], "NB401") == [("NB401", 0, 1)]
    assert findings([code("print(1)", 1, [stream("1\n")])], "NB401") == []


@pytest.mark.parametrize(("source", "line"), [
    (f"key = '{AWS_KEY}'", 1),
    (f"import os\ntoken = '{GITHUB_TOKEN}'", 2),
    ("db_password = 'hunter2hunter2'", 1),
    ("conn = connect(host='db', password='s3cr3t-Pass')", 1),
    ("engine = create_engine('postgresql://admin:Sup3rS3cret@db.internal/prod')", 1),
    ("config = {'api_key': 'f8a9d0c1b2e3f4a5'}", 1),
    ("pem = '''-----BEGIN RSA PRIVATE KEY-----\nMIIE...\n'''", 1),
])
def test_secrets_in_source(source: str, line: int) -> None:
    assert findings(ran(source), "NB402") == [("NB402", 0, line)]


@pytest.mark.parametrize("source", [
    "password = os.environ['DB_PASSWORD']",
    "api_key = 'YOUR_API_KEY_HERE'",
    "token = '<token>'",
    "password = ''",
    "auth_name = 'A_id_al_Qarni'",
    "engine = create_engine('postgresql://user:password@localhost/db')",
    "secret_santa = ['ana', 'bob']",
])
def test_not_secrets(source: str) -> None:
    assert findings(ran(source), "NB402") == []


def test_secret_in_output_is_reported_without_printing_it() -> None:
    notebook = load([code("print(os.environ['GH'])", 1, [stream(GITHUB_TOKEN + "\n")])])
    result = check_notebook(notebook, Settings(frozenset({"NB402"})))
    assert [(f.code, f.cell) for f in result] == [("NB402", 0)]
    assert GITHUB_TOKEN not in result[0].message
    assert "GitHub token" in result[0].message
