"""Replay a notebook top to bottom, as a fresh kernel would, and record where each read comes from.

The result says, for every module-level read, which cell bound the value a top-down run would see
(:class:`Dependency`) or that nothing had bound it yet (:class:`MissingRead`). Calls of notebook
functions replay the globals their bodies read at that moment, which is how late binding is found.
"""

from __future__ import annotations

import ast
import bisect
import builtins
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from nb2prod.analysis.events import BIND, CALL, DELETE, READ, CellFlow, Event, cell_flow
from nb2prod.analysis.scopes import FunctionSummary
from nb2prod.notebook.model import Cell, Notebook

IPYTHON_NAMES = frozenset({
    "display", "get_ipython", "In", "Out", "_", "__", "___", "_i", "_ii", "_iii", "_ih", "_oh",
    "_dh", "exit", "quit", "__builtins__", "__name__", "__doc__", "__spec__", "__loader__",
    "__package__", "__builtin__", "_exit_code",
})
# _1, _i1 are IPython's output history; names of only underscores are history or exercise blanks
_IPYTHON_NUMBERED = re.compile(r"^(?:_(?:i|ii|iii)?\d+|_+)$")
BUILTIN_NAMES = frozenset(dir(builtins))


def is_builtin(name: str, extra: frozenset[str] = frozenset()) -> bool:
    return (name in BUILTIN_NAMES or name in IPYTHON_NAMES or name in extra
            or bool(_IPYTHON_NUMBERED.match(name)))


class Binding(NamedTuple):
    """Where a name got its value (a named tuple: a notebook makes tens of thousands)."""

    cell: int  # index into notebook.cells
    line: int  # original line in that cell
    function: FunctionSummary | None = None
    imported: bool = False


class Dependency(NamedTuple):
    """Cell ``reader`` read ``name`` on ``line``; a top-down run gives it the value bound by ``binder``."""

    reader: int
    name: str
    line: int
    column: int
    binder: Binding
    via: str | None = None  # the function whose call read it


@dataclass(frozen=True)
class MissingRead:
    """Cell ``reader`` read ``name`` before anything bound it (top-down)."""

    reader: int
    name: str
    line: int
    column: int
    via: FunctionSummary | None = None  # set when a called function's body read it
    via_cell: int | None = None
    opaque_above: bool = False  # a star import or %run above could have bound it


@dataclass(frozen=True)
class Dataflow:
    flows: dict[int, CellFlow]
    dependencies: tuple[Dependency, ...]
    missing: tuple[MissingRead, ...]
    binders: dict[str, list[tuple[int, int, int, bool]]] = field(default_factory=dict)
    opaque_cells: tuple[int, ...] = ()

    def first_binder_after(self, name: str, cell: int, line: int) -> tuple[int, int] | None:
        """The first (cell, original line) binding ``name`` after position (cell, line)."""
        places = self.binders.get(name, [])
        position = bisect.bisect_right(places, (cell, line, 1 << 30))
        if position < len(places):
            found_cell, found_line, _, _ = places[position]
            return found_cell, found_line
        return None

    def binders_of(self, name: str) -> list[tuple[int, int, bool]]:
        """(cell, original line, is an import) of every binding of ``name``, top to bottom."""
        return [(c, line, imported) for c, line, _, imported in self.binders.get(name, [])]


# The last replay: convert asks for it twice (its checks, then its plan), and on a notebook of
# thousands of cells a replay costs about a second. Notebooks are not changed once loaded.
_last: list[tuple[Notebook, frozenset[str], Dataflow]] = []


def analyse(notebook: Notebook, extra_builtins: frozenset[str] = frozenset()) -> Dataflow:
    """Replay ``notebook`` top to bottom."""
    if _last and _last[0][0] is notebook and _last[0][1] == extra_builtins:
        return _last[0][2]
    flow = _replayed(notebook, extra_builtins)
    _last[:] = [(notebook, extra_builtins, flow)]
    return flow


def _replayed(notebook: Notebook, extra_builtins: frozenset[str]) -> Dataflow:
    deferred = _has_future_annotations(notebook)
    flows = {c.index: cell_flow(c, deferred) for c in notebook.cells if c.is_code}
    replay = _Replay(notebook, flows, extra_builtins)
    for cell in notebook.cells:
        if cell.is_code:
            replay.cell(cell)
    return Dataflow(
        flows,
        tuple(replay.dependencies),
        tuple(replay.missing),
        _binder_index(notebook, flows),
        tuple(i for i, f in flows.items() if f.opaque),
    )


class _Replay:
    def __init__(self, notebook: Notebook, flows: dict[int, CellFlow], extra: frozenset[str]) -> None:
        self.notebook = notebook
        self.flows = flows
        self.extra = extra
        self.defined: dict[str, Binding] = {}
        self.dependencies: list[Dependency] = []
        self.missing: list[MissingRead] = []
        self.opaque_seen = False

    def cell(self, cell: Cell) -> None:
        flow = self.flows[cell.index]
        self.opaque_seen |= flow.opaque
        for event in flow.events:
            if event.kind == READ:
                self._read(cell, event)
            elif event.kind == BIND:
                line = cell.original_line(event.line)
                self.defined[event.name] = Binding(cell.index, line, event.function, event.imported)
            elif event.kind == DELETE and not event.conditional:
                self.defined.pop(event.name, None)
            elif event.kind == CALL:
                self._call(cell, event)

    def _read(self, cell: Cell, event: Event, via: FunctionSummary | None = None,
              via_cell: int | None = None) -> None:
        line = cell.original_line(event.line)
        binding = self.defined.get(event.name)
        if binding is not None:
            self.dependencies.append(Dependency(cell.index, event.name, line, event.column + 1,
                                                binding, via.name if via else None))
        elif not event.guarded and not is_builtin(event.name, self.extra):
            self.missing.append(MissingRead(cell.index, event.name, line, event.column + 1, via,
                                            via_cell, self.opaque_seen))

    def _call(self, cell: Cell, event: Event) -> None:
        binding = self.defined.get(event.name)
        if binding is None or binding.function is None:
            return
        for name, function, function_cell in self._reads_of_call(binding):
            if name in function.writes:
                continue
            read = Event(READ, name, event.line, event.column, guarded=event.guarded)
            self._read(cell, read, function, function_cell)
        for name in binding.function.writes:
            self.defined[name] = Binding(cell.index, cell.original_line(event.line))

    def _reads_of_call(self, binding: Binding):
        """Globals read by a call, following calls to other notebook functions (as bound now)."""
        seen: set[str] = set()
        stack = [binding]
        while stack:
            current = stack.pop()
            function = current.function
            if function is None or function.name in seen:
                continue
            seen.add(function.name)
            for name in function.reads:
                yield name, function, current.cell
            for called in sorted(function.calls):
                callee = self.defined.get(called)
                if callee is not None and callee.function is not None:
                    stack.append(callee)


def _binder_index(
    notebook: Notebook, flows: dict[int, CellFlow]
) -> dict[str, list[tuple[int, int, int, bool]]]:
    """name -> sorted (cell, original line, order, imported) of every binding, ``global`` writes too."""
    index: dict[str, list[tuple[int, int, int, bool]]] = defaultdict(list)
    cells = {c.index: c for c in notebook.cells}
    for cell_index, flow in flows.items():
        cell = cells[cell_index]
        for order, event in enumerate(flow.events):
            if event.kind != BIND:
                continue
            line = cell.original_line(event.line)
            index[event.name].append((cell_index, line, order, event.imported))
            for name in event.function.writes if event.function else ():
                index[name].append((cell_index, line, order, False))
    for places in index.values():
        places.sort()
    return dict(index)


def _has_future_annotations(notebook: Notebook) -> bool:
    for cell in notebook.code_cells:
        if cell.tree is None:
            continue
        for stmt in cell.tree.body:
            if (isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__"
                    and any(a.name == "annotations" for a in stmt.names)):
                return True
    return False
