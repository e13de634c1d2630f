"""The check cache: a hit answers without analysing, a change misses, a corrupt entry is ignored,
and a cached run loads none of the analysis."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nb2prod import api
from nb2prod.cache import CACHE_FOLDER
from nb2prod.config import build_settings
from nb2prod.rules import ALL_RULES
from tests.helpers import DATA

REAL = DATA / "real" / "reduce_out_of_order.ipynb"  # shawlu95/Data-Science-Toolbox, MIT


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copy(REAL, tmp_path / "analysis.ipynb")
    return tmp_path


def _check(project: Path, **settings_table) -> list[api.FileResult]:
    settings = build_settings(ALL_RULES, settings_table, root=project)
    return api.check_paths([project / "analysis.ipynb"], settings, jobs=1,
                           cache_folder=project / CACHE_FOLDER)


def _codes(results: list[api.FileResult]) -> list[str]:
    return [f.code for r in results for f in r.findings]


def test_a_hit_answers_without_analysing_the_notebook(project: Path, monkeypatch) -> None:
    first = _check(project)
    assert "NB101" in _codes(first)
    assert (project / CACHE_FOLDER / ".gitignore").read_text().splitlines()[-1] == "*"

    def no_analysis(*_args, **_kwargs):
        raise AssertionError("a cached notebook was analysed again")

    monkeypatch.setattr(api, "check_file", no_analysis)
    assert _check(project) == first


def test_a_changed_notebook_or_changed_settings_miss(project: Path) -> None:
    before = _codes(_check(project))
    notebook = project / "analysis.ipynb"
    raw = json.loads(notebook.read_text())
    for cell in raw["cells"]:
        cell["execution_count"] = None  # no counts: no out-of-order finding
    notebook.write_text(json.dumps(raw, indent=1))
    after = _codes(_check(project))
    assert "NB101" in before and "NB101" not in after
    assert _codes(_check(project, select=["NB2"])) == [c for c in after if c.startswith("NB2")]


def test_a_corrupt_entry_is_a_miss_and_is_rewritten(project: Path) -> None:
    first = _check(project)
    entries = list((project / CACHE_FOLDER).glob("*/*.json"))
    assert len(entries) == 1
    for garbage in ("{not json", '[{"code": "NB999"}]', "\x00\xff"):
        entries[0].write_text(garbage, encoding="latin-1")
        assert _check(project) == first
        assert json.loads(entries[0].read_text())  # rewritten with the findings


def test_no_cache_writes_no_cache_folder(project: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "nb2prod", "check", "analysis.ipynb",
                             "--no-cache"], cwd=project, capture_output=True, text=True)
    assert result.returncode == 1 and "NB101" in result.stdout
    assert not (project / CACHE_FOLDER).exists()


def test_a_cached_run_loads_no_analysis(project: Path) -> None:
    probe = ("import sys\n"
             "from nb2prod.entry import main\n"
             "try:\n    main(['check', 'analysis.ipynb'])\nexcept SystemExit:\n    pass\n"
             "heavy = sorted(m for m in sys.modules if m.startswith(("
             "'nb2prod.analysis.events', 'nb2prod.analysis.dataflow', 'nb2prod.analysis.scopes', "
             "'nb2prod.notebook', 'concurrent.futures.process', 'typer', 'libcst')))\n"
             "print('LOADED', heavy)\n")
    run = [sys.executable, "-c", probe]
    cold = subprocess.run(run, cwd=project, capture_output=True, text=True).stdout
    warm = subprocess.run(run, cwd=project, capture_output=True, text=True).stdout
    assert "nb2prod.analysis.dataflow" in cold  # the first run analyses the notebook
    assert "NB101" in warm and warm.splitlines()[-1] == "LOADED []"
