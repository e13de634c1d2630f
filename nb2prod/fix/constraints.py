"""Which code cells must run before which, for the notebook's data flow to hold top down.

Every name a cell needs (reads before binding it, including the globals read by notebook
functions it calls) makes an edge from the cell that binds it. A name bound by one cell is
unambiguous: its cell must come first. A name bound (or deleted) by several cells keeps the
order those cells and its readers have now, since moving them would change which value a
reader sees; when a reader has no binder above it, nothing says which one it wanted, and the
notebook is not reordered. Star imports, ``%run``, ``exec`` and cells that do not parse bind
names no analysis sees: no reorder either.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from itertools import pairwise

from nb2prod.analysis.dataflow import is_builtin
from nb2prod.analysis.events import BIND, CALL, DELETE, READ, CellFlow, cell_flow
from nb2prod.analysis.scopes import FunctionSummary
from nb2prod.notebook.model import Notebook
from nb2prod.notebook.pylab import pylab_names


@dataclass(frozen=True)
class Constraints:
    """``edges``: (before, after) pairs of code-cell indexes (notebook cell numbers);
    ``refusal``: why no reorder is safe ('' when one is)."""

    cells: tuple[int, ...]
    edges: frozenset[tuple[int, int]]
    refusal: str = ""
    reasons: dict[tuple[int, int], str] | None = None  # edge -> the name that makes it


def constraints(notebook: Notebook) -> Constraints:
    cells = tuple(c.index for c in notebook.code_cells)
    flows = {c.index: cell_flow(c) for c in notebook.code_cells}
    blocked = next((f"cell {i} {_why_opaque(flow)}" for i, flow in flows.items()
                    if flow.opaque or flow.lenient), "")
    if blocked:
        return Constraints(cells, frozenset(), blocked)
    binders = _binders(flows)
    functions = _functions(flows, binders)
    extra = pylab_names() if any(_uses_pylab(f) for f in flows.values()) else frozenset()
    edges: dict[tuple[int, int], str] = {}
    for reader, flow in flows.items():
        for name in sorted(_needs(flow, functions) - extra):
            refusal = _edges_for(reader, name, binders.get(name, []), edges)
            if refusal:
                return Constraints(cells, frozenset(), refusal)
    return Constraints(cells, frozenset(edges), "", edges)


def _why_opaque(flow: CellFlow) -> str:
    if flow.lenient:
        return "does not parse, so what it defines is unknown"
    return f"uses {flow.opaque_reason}, which can define names no code shows"


def _uses_pylab(flow: CellFlow) -> bool:
    return any(e.kind == BIND and e.name == "pylab" for e in flow.events)


def _binders(flows: dict[int, CellFlow]) -> dict[str, list[int]]:
    """Name -> the cells that bind or delete it, in notebook order."""
    binders: dict[str, list[int]] = defaultdict(list)
    for index, flow in flows.items():
        for event in flow.events:
            if event.kind in (BIND, DELETE) and index not in binders[event.name]:
                binders[event.name].append(index)
    return binders


def _functions(flows: dict[int, CellFlow], binders: dict[str, list[int]]
               ) -> dict[str, FunctionSummary]:
    """Notebook functions bound once (a name defined twice is resolved by order, see above)."""
    found = {}
    for flow in flows.values():
        for event in flow.events:
            if event.kind == BIND and event.function is not None and len(binders[event.name]) == 1:
                found[event.name] = event.function
    return found


def _needs(flow: CellFlow, functions: dict[str, FunctionSummary]) -> set[str]:
    """Names the cell reads before binding them itself, and the globals its calls read."""
    bound: set[str] = set()
    needs: set[str] = set()
    for event in flow.events:
        if event.kind == READ and event.name not in bound and not event.guarded \
                and not is_builtin(event.name):
            needs.add(event.name)
        elif event.kind == BIND:
            bound.add(event.name)
        elif event.kind == CALL and event.name in functions:
            needs |= {n for n in _call_reads(event.name, functions) - bound if not is_builtin(n)}
    return needs


def _call_reads(name: str, functions: dict[str, FunctionSummary]) -> set[str]:
    reads: set[str] = set()
    stack, seen = [name], set()
    while stack:
        current = stack.pop()
        if current in seen or current not in functions:
            continue
        seen.add(current)
        summary = functions[current]
        reads |= set(summary.reads) - set(summary.writes)
        stack += sorted(summary.calls)
    return reads


def _edges_for(reader: int, name: str, binders: list[int],
               edges: dict[tuple[int, int], str]) -> str:
    """Add the edges reading ``name`` in ``reader`` needs; a reason when it is ambiguous."""
    others = [b for b in binders if b != reader]
    if not others:
        return ""  # bound in the cell itself, a builtin-like name, or undefined (NB202)
    if len(binders) == 1:
        edges.setdefault((others[0], reader), name)
        return ""
    if not any(b < reader for b in others):
        return (f"cell {reader} reads '{name}', which cells {', '.join(map(str, others))} all "
                "define: which one it needs is not clear")
    ordered = sorted({*binders, reader})
    for before, after in pairwise(ordered):
        edges.setdefault((before, after), name)
    return ""
