"""A large notebook's cells are read by two processes: the plan is the one reading them in order
gives, also where a later cell's reading depended on an earlier cell's (the same file read in both
halves shares one config field; a secret's variable name is taken)."""

from __future__ import annotations

import json

import pytest

from nb2prod.notebook import load_notebook
from nb2prod.processes import can_fork
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


@pytest.mark.skipif(not can_fork(), reason="one core, or no fork: cells are read here")
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


def test_a_block_of_the_users_is_never_taken_for_one_nb2prod_emptied() -> None:
    """Hostile review: blocks emptied by a transform were remembered by id() alone; once freed,
    a new block of the user's code could get the same id, and `if tight_layout:` went with its
    `plt.tight_layout()`, in about one read in a hundred (plans differed run to run)."""
    from nb2prod.refactor.cell_code import Reading, read_cell

    source = ("import matplotlib.pyplot as plt\ntry:\n    %tensorflow_version 2.x\nexcept Exception:\n"
              "    pass\n\ndef save_fig(tight_layout=True):\n    if tight_layout:\n"
              "        plt.tight_layout()\n    plt.savefig('x.png')\n")
    cell = load([code(source)]).code_cells[0]
    reading = Reading({}, frozenset(), frozenset())
    heap = []
    for round_ in range(200):
        heap.append([object() for _ in range(round_ % 37)])  # freed and reused memory
        heap = heap[-20:]
        read = read_cell(cell, reading, set(), {})
        text = "".join(s.code for p in read.parts if not isinstance(p, str) for s in p.statements)
        assert "    if tight_layout:\n        plt.tight_layout()" in text


def test_cells_are_read_with_the_same_room_below_the_recursion_limit_everywhere(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Hostile review: the other process read cells a few frames deeper, so a long `and` chain
    (flat to `ast`, deep to libcst) overflowed there and not here: kept unchanged, with a
    warning, instead of transformed. Each reading now has the same room below the limit: here
    in order, and in the other process, which is deeper (made deeper still here)."""
    import sys

    room = []

    def measured(cell, *args):
        room.append(sys.getrecursionlimit() - cell_reading._depth())
        return "read"

    monkeypatch.setattr(cell_reading, "read_cell", measured)
    notebook = _mixed(copies=1)
    cells = [c for c in notebook.code_cells if c.source.strip()][:3]
    cell_reading.read_cells(cells, None, set())  # in order, here
    depth = cell_reading._depth() + 1  # where read_cells calls read_cell, seen from here

    def deeper(levels: int):
        return deeper(levels - 1) if levels else cell_reading._read_all(cells, None, set(),
                                                                         depth + 1)
    limit = sys.getrecursionlimit()
    try:
        deeper(25)
    finally:
        sys.setrecursionlimit(limit)
    assert len(room) == 6 and len(set(room)) == 1, room


@pytest.mark.skipif(not can_fork(), reason="one core, or no fork: cells are read here")
def test_the_other_process_ends_when_reading_here_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hostile review: a parent that raised left the child blocked on the pipe for good."""
    import multiprocessing

    notebook = _mixed(copies=1)
    real_read = cell_reading.read_cell

    def failing(cell, *args):
        if cell.index == 3:
            raise ValueError("boom")
        return real_read(cell, *args)

    monkeypatch.setattr(cell_reading, "PARALLEL_FROM", 2)
    monkeypatch.setattr(cell_reading, "read_cell", failing)
    with pytest.raises(ValueError, match="boom"):
        _plan(notebook)
    assert multiprocessing.active_children() == []
