"""What ``check --fix`` would change in one notebook: pure analysis, nothing is written here.

Categories (``--fixes``): ``reorder`` moves cells so every name is defined above its use, with
the fewest moves (markdown cells just above a code cell move with it); ``outputs`` clears the
outputs and execution counts of cells the reorder made stale, and of cells whose saved output
predates a cell they read from (NB203); ``seed`` (only on request) inserts a cell seeding the
random generators the notebook imports, above its first unseeded random call.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import pairwise

from nb2prod.fix.constraints import Constraints, constraints
from nb2prod.fix.order import CycleError, fewest_moves
from nb2prod.notebook.model import Notebook

CATEGORIES = ("reorder", "outputs", "seed")
DEFAULT_CATEGORIES = ("reorder", "outputs")


@dataclass(frozen=True)
class NewCell:
    before: int  # the notebook cell it goes above
    source: str


@dataclass(frozen=True)
class FixPlan:
    order: tuple[int, ...]  # every cell index, in the new order
    cleared: frozenset[int] = frozenset()  # cells whose outputs and count go
    inserted: tuple[NewCell, ...] = ()
    changes: tuple[str, ...] = ()  # one line per change, for the user
    refusals: tuple[str, ...] = ()  # why a requested fix was not made

    @property
    def changed(self) -> bool:
        return bool(self.cleared or self.inserted or list(self.order) != sorted(self.order))


def plan_fixes(notebook: Notebook, categories: tuple[str, ...] = DEFAULT_CATEGORIES) -> FixPlan:
    order = tuple(c.index for c in notebook.cells)
    changes: list[str] = []
    refusals: list[str] = []
    cleared: set[int] = set()
    if "reorder" in categories:
        order = _reorder(notebook, changes, refusals)
    if "outputs" in categories:
        cleared = _stale_outputs(notebook, order)
        changes += [f"cleared the output and execution count of cell {i}: it ran before a cell "
                    "it reads from (NB203)" for i in sorted(cleared)]
    inserted: tuple[NewCell, ...] = ()
    if "seed" in categories:
        from nb2prod.fix.seed import seed_cell

        new, why = seed_cell(_reordered(notebook, order))  # seeded where the cells now are
        new = NewCell(order[new.before], new.source) if new else None
        inserted = (new,) if new else ()
        changes += [f"inserted a cell seeding {why} above cell {new.before}"] if new else []
        refusals += [why] if not new and why else []
    return FixPlan(order, frozenset(cleared), inserted, tuple(changes), tuple(refusals))


def _reorder(notebook: Notebook, changes: list[str], refusals: list[str]) -> tuple[int, ...]:
    found = constraints(notebook)
    order = tuple(c.index for c in notebook.cells)
    if found.refusal:
        if _has_used_before_defined(notebook):
            refusals.append(f"cells not reordered: {found.refusal}")
        return order
    try:
        code_order, moved = fewest_moves(found.cells, found.edges)
    except CycleError:
        refusals.append(f"cells not reordered: {_cycle(found)}")
        return order
    changes += [_describe_move(cell, found) for cell in sorted(moved)]
    return _with_markdown(notebook, code_order) if moved else order


def _cycle(found: Constraints) -> str:
    """One cycle of the constraints, in words."""
    after: dict[int, list[int]] = {}
    for before, later in sorted(found.edges):
        after.setdefault(before, []).append(later)
    state: dict[int, int] = {}
    path: list[int] = []

    def visit(cell: int) -> list[int] | None:
        state[cell] = 1
        path.append(cell)
        for later in after.get(cell, []):
            if state.get(later) == 1:
                return [*path[path.index(later):], later]
            if later not in state and (loop := visit(later)):
                return loop
        state[cell] = 2
        path.pop()
        return None

    loop = next((found_loop for cell in sorted(after) if cell not in state
                 and (found_loop := visit(cell))), None)
    if not loop:
        return "the cells' order constraints contradict each other"
    steps = [f"cell {a} before cell {b} ('{(found.reasons or {}).get((a, b), '?')}')"
             for a, b in pairwise(loop)]
    return "no order works: " + ", ".join(steps)


def _has_used_before_defined(notebook: Notebook) -> bool:
    from nb2prod.api import check_notebook
    from nb2prod.config import Settings

    return bool(check_notebook(notebook, Settings(frozenset({"NB201"}))))


def _describe_move(cell: int, found: Constraints) -> str:
    reasons = found.reasons or {}
    defines = sorted({n for (before, after), n in reasons.items() if before == cell and after < cell})
    uses = sorted({n for (before, after), n in reasons.items() if after == cell and before > cell})
    if defines:
        return f"moved cell {cell} up: it defines {_names(defines)}, used above it"
    if uses:
        return f"moved cell {cell} down: it uses {_names(uses)}, defined below it"
    return f"moved cell {cell} with the cells it depends on"


def _names(names: list[str]) -> str:
    shown = ", ".join(f"'{n}'" for n in names[:3])
    return shown + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def _with_markdown(notebook: Notebook, code_order: list[int]) -> tuple[int, ...]:
    """Every cell in the new order: markdown cells just above a code cell travel with it;
    those above the first code cell and below the last stay where they are."""
    first = notebook.code_cells[0].index
    attached: dict[int, list[int]] = {}
    pending: list[int] = []
    for cell in notebook.cells[first:]:
        if cell.is_code:
            attached[cell.index], pending = pending, []
        else:
            pending.append(cell.index)
    moved = [i for code in code_order for i in (*attached[code], code)]
    return (*range(first), *moved, *pending)


def _stale_outputs(notebook: Notebook, order: tuple[int, ...]) -> set[int]:
    """Cells whose saved output predates a cell they read from (NB203), in the new order:
    a moved cell keeps its output when the cells it reads ran before it."""
    from nb2prod.api import check_notebook
    from nb2prod.config import Settings

    reordered = _reordered(notebook, order)
    stale = {order[f.cell] for f in check_notebook(reordered, Settings(frozenset({"NB203"})))}
    return {i for i in stale if _has_run_state(notebook, i)}


def _reordered(notebook: Notebook, order: tuple[int, ...]) -> Notebook:
    """The notebook as the fix leaves it (cells renumbered in the new order)."""
    if list(order) == sorted(order):
        return notebook
    return Notebook(notebook.path, tuple(
        replace(notebook.cells[old], index=new) for new, old in enumerate(order)),
        notebook.nbformat, notebook.nbformat_minor, notebook.metadata, notebook.source_format)


def _has_run_state(notebook: Notebook, index: int) -> bool:
    cell = notebook.cells[index]
    return cell.is_code and (cell.execution_count is not None or bool(cell.outputs))

