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
from nb2prod.fix.order import CycleError, fewest_moves, find_cycle
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
        new = NewCell(order[_above_its_markdown(notebook, order, new.before)], new.source) \
            if new else None
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
        counts = {c.index: c.execution_count for c in notebook.code_cells}
        code_order, moved = fewest_moves(found.cells, found.edges, counts)
    except CycleError:
        refusals.append(f"cells not reordered: {_cycle(found)}")
        return order
    if not moved:
        return order
    placed = _with_markdown(notebook, code_order, moved)
    changes += [_describe_move(cell, found, code_order, placed) for cell in sorted(moved)]
    return placed


def _cycle(found: Constraints) -> str:
    """One cycle of the constraints, in words."""
    loop = find_cycle(found.edges)
    if not loop:
        return "the cells' order constraints contradict each other"
    steps = [f"cell {a} before cell {b} ({_names(list((found.reasons or {}).get((a, b), ())))})"
             for a, b in pairwise(loop)]
    return "no order works: " + ", ".join(steps)


def _has_used_before_defined(notebook: Notebook) -> bool:
    from nb2prod.api import check_notebook
    from nb2prod.config import Settings

    return bool(check_notebook(notebook, Settings(frozenset({"NB201"}))))


def _describe_move(cell: int, found: Constraints, code_order: list[int],
                   placed: tuple[int, ...]) -> str:
    """Where the cell went (the cell, markdown or code, it now sits next to) and the names that
    made it move, with the cells they tie it to."""
    went_up = code_order.index(cell) < found.cells.index(cell)
    at = placed.index(cell)
    neighbour = placed[at + 1] if went_up else placed[at - 1]
    where = f"up, above cell {neighbour}" if went_up else f"down, below cell {neighbour}"
    defines, reads = found.defines or {}, found.reads or {}
    ties = {(before, after): names for (before, after), names in (found.reasons or {}).items()
            if ((before == cell and after < cell) if went_up
                else (after == cell and before > cell))}
    flow = {edge: [n for n in names if n in defines[edge[0]] and n in reads[edge[1]]]
            for edge, names in ties.items()}
    if any(flow.values()):
        return f"moved cell {cell} {where}: " + _ties(cell, flow, "defines", "uses", went_up)
    if ties:
        return f"moved cell {cell} {where}: " + _ties(cell, ties, "changes", "reads", went_up)
    return f"moved cell {cell} {where}, with the cells it depends on"


def _ties(cell: int, ties: dict, writes: str, reads: str, went_up: bool) -> str:
    """'it defines 'x', which cell 3 uses' (moved up) / 'it uses 'x', which cell 9 defines'."""
    names = _names(sorted({name for tied in ties.values() for name in tied}))
    others = sorted({b if a == cell else a for (a, b), tied in ties.items() if tied})
    cells = f"cell{'s' if len(others) > 1 else ''} {', '.join(map(str, others))}"
    its, theirs = (writes, reads) if went_up else (reads, writes)
    if len(others) > 1:
        theirs = theirs.removesuffix("s")  # "which cells 3, 4 use"
    return f"it {its} {names}, which {cells} {theirs}"


def _names(names: list[str]) -> str:
    shown = ", ".join(f"'{n}'" for n in names[:6])
    return shown + (f" and {len(names) - 6} more" if len(names) > 6 else "")


def _with_markdown(notebook: Notebook, code_order: list[int], moved: set[int]
                   ) -> tuple[int, ...]:
    """Every cell in the new order: markdown cells just above a code cell travel with it,
    except that a moved cell leaves its section's heading (and what precedes it) behind, with
    the rest of its section. Of those above the first code cell, the last one travels and the rest
    (the title) stay on top; those below the last code cell stay where they are."""
    first = notebook.code_cells[0].index
    top = first - 1 if first >= 2 else first
    attached: dict[int, list[int]] = {}
    pending: list[int] = list(range(top, first))
    for cell in notebook.cells[first:]:
        if cell.is_code:
            attached[cell.index], pending = pending, []
        else:
            pending.append(cell.index)
    codes = [c.index for c in notebook.code_cells]
    for code, following in pairwise(codes):
        heading = _last_heading(notebook, attached[code])
        # the section goes on below the moved cell: its heading stays with the rest of it
        if code in moved and heading >= 0 and _last_heading(notebook, attached[following]) < 0:
            left, attached[code] = attached[code][:heading + 1], attached[code][heading + 1:]
            attached[following][:0] = left
    placed = [i for code in code_order for i in (*attached[code], code)]
    return (*range(top), *placed, *pending)


def _last_heading(notebook: Notebook, markdown: list[int]) -> int:
    """Position in ``markdown`` of the last cell holding a heading, or -1."""
    return max((at for at, index in enumerate(markdown) if any(
        line.startswith("#") for line in notebook.cells[index].source.splitlines())), default=-1)


def _above_its_markdown(notebook: Notebook, order: tuple[int, ...], at: int) -> int:
    """The position a new cell goes to so that it lands above the markdown that introduces the
    cell at ``at`` (not between that text and its code), below a notebook's title."""
    while at > 1 and not notebook.cells[order[at - 1]].is_code:
        at -= 1
    return at


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

