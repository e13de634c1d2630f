"""A large notebook's cells are read by two processes: the plan is the one reading them in order
gives, also where a later cell's reading depended on an earlier cell's (the same file read in both
halves shares one config field; a secret's variable name is taken)."""

from __future__ import annotations

import json

import pytest

from nb2prod.notebook import load_notebook
from nb2prod.refactor import cell_reading
from nb2prod.refactor.planner import PlanOptions, build_plan
from tests.helpers import DATA, code, load

REAL = sorted((DATA / "real").glob("*.ipynb"))


def _mixed(copies: int = 2):
    """The real test notebooks' code cells, twice over (a file read in each half, a function
    defined again), with a secret in each half."""
    cells = []
    for _ in range(copies):
        for path in REAL:
            cells += [code(c.source) for c in load_notebook(str(path)).code_cells]
        cells.append(code('api_key = "sk-live-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c"\nprint(len(api_key))'))
    return load(cells, str(DATA / "real" / "mixed.ipynb"))


def _plan(notebook) -> str:
    options = PlanOptions("demo", "demo", date="2026-01-01", force=True)
    return json.dumps(build_plan(notebook, options).as_dict(), sort_keys=True, default=str)


@pytest.mark.skipif(not cell_reading._can_fork(), reason="one core, or no fork: cells are read here")
def test_cells_read_in_two_processes_give_the_plan_of_reading_them_in_order(
        monkeypatch: pytest.MonkeyPatch) -> None:
    notebook = _mixed()
    monkeypatch.setattr(cell_reading, "PARALLEL_FROM", 10**9)
    in_order = _plan(notebook)
    read_here = []
    real_read = cell_reading.read_cell

    def counted(cell, *args):
        read_here.append(cell.index)
        return real_read(cell, *args)

    monkeypatch.setattr(cell_reading, "PARALLEL_FROM", 2)
    monkeypatch.setattr(cell_reading, "read_cell", counted)
    assert _plan(notebook) == in_order
    cells = [c for c in notebook.code_cells if c.source.strip()]
    half = cell_reading._halfway(cells)
    # the first half read here, the later half elsewhere; and some later cells again, here: they
    # asked about a path or a name an earlier cell had taken meanwhile
    assert read_here[:half] == [c.index for c in cells[:half]]
    again = read_here[half:]
    assert again and set(again) < {c.index for c in cells[half:]}
    assert '"sk-live' not in in_order and "API_KEY_2" in in_order


def test_a_process_that_dies_leaves_every_later_cell_to_be_read_here(
        monkeypatch: pytest.MonkeyPatch) -> None:
    notebook = _mixed(copies=1)
    monkeypatch.setattr(cell_reading, "PARALLEL_FROM", 10**9)
    in_order = _plan(notebook)
    monkeypatch.setattr(cell_reading, "PARALLEL_FROM", 2)
    monkeypatch.setattr(cell_reading, "_answer", lambda sender, *args: sender.close())
    assert _plan(notebook) == in_order
