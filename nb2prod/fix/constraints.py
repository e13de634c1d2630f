"""Which code cells must run before which, for the notebook's data flow to hold top down.

Each cell *reads* names and *writes* them. A write is a binding, a deletion, or anything that may
change the value in place: an attribute or item assignment (``df['a'] = …``), a method call
(``lst.append(x)``, ``random.seed(0)``: a module's state is the module's), passing the value to a
call that is not a known pure builtin (``random.shuffle(lst)``), or calling a notebook function
(which may change any global it reads, or ``global``-writes).

For every name, the cells touching it keep their order around each write: a read stays between
the same two writes, writes stay in order. So moving a cell never changes what another cell
computes. The one exception is the fix itself: a cell that reads a name before any cell above it
writes it (NB201) must come after the one cell that binds it. It also stays ahead of the cells
that change that value later. When several cells bind that name, nothing says which one it
wanted, and the notebook is not reordered. Star imports, ``%run``, ``exec`` and cells that do not
parse touch names no analysis sees, so there is no reorder for those either.
"""

from __future__ import annotations

import ast
from collections import ChainMap, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from nb2prod.analysis.dataflow import is_builtin
from nb2prod.analysis.events import BIND, CALL, DELETE, READ, CellFlow, cell_flow
from nb2prod.analysis.mutation import (
    alias_groups,
    hidden_definitions,
    module_attributes,
    mutated_names,
)
from nb2prod.analysis.scopes import FunctionSummary
from nb2prod.fix.order import find_cycle
from nb2prod.notebook.model import Cell, Notebook
from nb2prod.notebook.pylab import pylab_names


@dataclass(frozen=True)
class Constraints:
    """``edges``: (before, after) pairs of code-cell indexes (notebook cell numbers), with the
    name behind each; ``refusal``: why no reorder is safe ('' when one is)."""

    cells: tuple[int, ...]
    edges: frozenset[tuple[int, int]]
    refusal: str = ""
    reasons: dict[tuple[int, int], tuple[str, ...]] | None = None  # the names behind each edge
    defines: dict[int, frozenset[str]] | None = None  # names each cell binds
    reads: dict[int, frozenset[str]] | None = None  # names each cell reads before binding


@dataclass(frozen=True)
class _Touches:
    needs: set[str]  # read before the cell binds them itself
    writes: set[str]
    binds: set[str]  # bound (a deletion is no definition a read can get a value from)
    soft: set[str] = field(default_factory=set)  # read only where a NameError is caught

    @property
    def reads(self) -> set[str]:
        return self.needs | self.soft


def constraints(notebook: Notebook) -> Constraints:
    cells = tuple(c.index for c in notebook.code_cells)
    flows = {c.index: cell_flow(c) for c in notebook.code_cells}
    blocked = next((f"cell {i} {_why_opaque(flow)}" for i, flow in flows.items()
                    if flow.opaque or flow.lenient), "")
    blocked = blocked or next((f"cell {c.index} uses {why}, which can define or change names "
                               "no code shows" for c in notebook.code_cells
                               if (why := hidden_definitions(c.tree))), "")
    if blocked:
        return Constraints(cells, frozenset(), blocked)
    extra = pylab_names() if any(_uses_pylab(f) for f in flows.values()) else frozenset()
    constants = _constants(notebook, flows)
    modules = _modules(flows)
    aliases = _aliases(notebook)
    functions = _function_views(notebook, flows, aliases)
    touches = {c.index: _touches(c, flows[c.index], functions[c.index], extra, constants,
                                 modules, aliases) for c in notebook.code_cells}
    touching: dict[str, list[int]] = defaultdict(list)
    for cell in cells:
        for name in touches[cell].reads | touches[cell].writes:
            touching[name].append(cell)
    counts = {c.index: c.execution_count for c in notebook.code_cells}
    ran_as = list(cells)
    for _ in range(_RETRIES):
        found = _ordered(cells, ran_as, touching, touches, modules, counts)
        loop = find_cycle(found.edges) if not found.refusal else None
        better = _as_they_ran(ran_as, loop, counts) if loop else None
        if not better:
            return found
        ran_as = better
    return found


_RETRIES = 20  # rounds of taking a contradiction's cells in the order they ran


def _ordered(cells: tuple[int, ...], ran_as: list[int], touching: dict[str, list[int]],
             touches: dict[int, _Touches], modules: frozenset[str],
             counts: dict[int, int | None]) -> Constraints:
    """The edges keeping every name's reads and writes in the order ``ran_as`` has them."""
    position = {cell: at for at, cell in enumerate(ran_as)}
    edges: dict[tuple[int, int], tuple[str, ...]] = {}
    for name in sorted(touching):
        sequence = sorted(touching[name], key=position.__getitem__)
        refusal = _order_around_writes(name, sequence, touches, edges, counts,
                                       name in modules)
        if refusal:
            return Constraints(cells, frozenset(), refusal)
    return Constraints(cells, frozenset(edges), "", edges,
                       {c: frozenset(touches[c].binds) for c in cells},
                       {c: frozenset(touches[c].needs) for c in cells})


def _as_they_ran(ran_as: list[int], loop: list[int], counts: dict[int, int | None]
                 ) -> list[int] | None:
    """``ran_as`` with the cells of a contradiction put in the order their execution counts
    say the author ran them (the evidence of which write a read saw); None when a cell of it
    has no count or they already are in that order."""
    caught = set(loop)
    if any(counts[cell] is None for cell in caught):
        return None
    slots = [at for at, cell in enumerate(ran_as) if cell in caught]
    by_run = sorted(caught, key=lambda cell: (counts[cell], cell))
    if [ran_as[at] for at in slots] == by_run:
        return None
    reordered = list(ran_as)
    for at, cell in zip(slots, by_run, strict=True):
        reordered[at] = cell
    return reordered


def _order_around_writes(name: str, cells: list[int], touches: dict[int, _Touches],
                         edges: dict[tuple[int, int], tuple[str, ...]],
                         counts: dict[int, int | None], module: bool = False) -> str:
    """Add the edges that keep ``name``'s reads and writes (in ``cells``, in order) in order;
    a reason when a read before every write cannot be placed unambiguously.

    A read before every write is the NB201 to fix: that cell is taken to sit right after the
    cell binding the name (where the fix puts it), and the order around writes is kept from
    there. When several cells bind it, the execution counts tell which one it read: the one
    that ran last before it."""
    early = _early_readers(name, cells, touches)
    binders = [c for c in cells if name in touches[c].binds and c not in early] if early else []
    sequence = cells
    if binders:  # (none: nothing defines it, NB202; its later reads and writes keep order)
        if module:
            binders = binders[:1]  # the first import below: what the reads need
        chosen = {reader: _binder_it_read(reader, binders, counts) for reader in early}
        unclear = next((reader for reader, binder in chosen.items() if binder is None), None)
        if unclear is not None:
            return (f"cell {unclear} reads '{name}', which cells "
                    f"{', '.join(map(str, binders))} all define, and the execution counts do "
                    "not tell which one it read")
        sequence = [c for c in cells if c not in early]
        last_placed = {binder: binder for binder in chosen.values()}
        for reader in early:  # each right after its binder, in their own order
            sequence.insert(sequence.index(last_placed[chosen[reader]]) + 1, reader)
            last_placed[chosen[reader]] = reader
    (_module_chain if module else _chain)(name, sequence, touches, edges)
    return ""


def _binder_it_read(reader: int, binders: list[int], counts: dict[int, int | None]
                    ) -> int | None:
    """The one binder, or the one that ran last before the reader by execution count."""
    if len(binders) == 1:
        return binders[0]
    if any(counts[cell] is None for cell in (reader, *binders)):
        return None
    ran_before = [b for b in binders if counts[b] < counts[reader]]
    return max(ran_before, key=counts.__getitem__, default=None)


def _because(edges: dict[tuple[int, int], tuple[str, ...]], edge: tuple[int, int],
             name: str) -> None:
    if name not in edges.get(edge, ()):
        edges[edge] = (*edges.get(edge, ()), name)


def _module_chain(name: str, sequence: list[int], touches: dict[int, _Touches],
                  edges: dict[tuple[int, int], tuple[str, ...]]) -> None:
    """A module: every use comes after an import of it; only the calls that change its state
    (seeding or drawing from its generator, plotting) keep their order among themselves."""
    last_import: int | None = None
    last_state: int | None = None
    for cell in sequence:
        if name in touches[cell].reads and last_import is not None and last_import != cell:
            _because(edges, (last_import, cell), name)
        if name in touches[cell].binds:
            last_import = cell
        elif name in touches[cell].writes:
            if last_state is not None:
                _because(edges, (last_state, cell), name)
            last_state = cell


def _early_readers(name: str, cells: list[int], touches: dict[int, _Touches]) -> list[int]:
    """Cells reading ``name`` before any cell above them wrote it. Such a cell stops at that
    read (NameError) in a top-down run, so what it would write does not count."""
    early = []
    for cell in cells:
        if name in touches[cell].needs:
            early.append(cell)
        elif name in touches[cell].writes:
            break
    return early


def _chain(name: str, sequence: list[int], touches: dict[int, _Touches],
           edges: dict[tuple[int, int], tuple[str, ...]]) -> None:
    """Reads stay between the same two writes; writes stay in order."""
    last_write: int | None = None
    reads_since: list[int] = []
    for cell in sequence:
        if name in touches[cell].reads and last_write is not None and last_write != cell:
            _because(edges, (last_write, cell), name)
            reads_since.append(cell)
        if name in touches[cell].writes:
            for reader in reads_since:
                if reader != cell:
                    _because(edges, (reader, cell), name)
            if last_write is not None and last_write != cell:
                _because(edges, (last_write, cell), name)
            last_write, reads_since = cell, []


def _touches(cell: Cell, flow: CellFlow, functions: Mapping[str, FunctionSummary],
             extra: frozenset[str], constants: frozenset[str], modules: frozenset[str],
             aliases: dict[str, set[str]]) -> _Touches:
    bound: set[str] = set()
    binds: set[str] = set()
    needs: set[str] = set()
    soft: set[str] = set()
    writes: set[str] = set()
    for event in flow.events:
        if event.kind == READ and event.name not in bound \
                and not is_builtin(event.name) and event.name not in extra:
            (soft if event.guarded else needs).add(event.name)
        elif event.kind in (BIND, DELETE):
            bound.add(event.name)
            writes.add(event.name)
            if event.kind == BIND:
                binds.add(event.name)
        elif event.kind == CALL and event.name in functions:
            touched = _call_touches(event.name, functions)
            touched = {n for n in touched if not is_builtin(n) and n not in extra}
            needs |= touched - bound
            writes |= touched
    for name in _decorators(cell.tree) & set(functions):  # @register runs register() now
        touched = {n for n in _call_touches(name, functions) if not is_builtin(n)}
        needs |= touched - bound
        writes |= touched
    attribute_reads, attribute_writes = module_attributes(cell.tree, modules)
    changed = (mutated_names(cell.tree, modules) - constants) | attribute_writes
    changed |= {alias for name in changed for alias in aliases.get(name, ())}
    return _Touches(needs | attribute_reads, writes | changed, binds, soft)


def _decorators(tree: ast.Module | None) -> set[str]:
    found = set()
    for node in ast.walk(tree) if tree is not None else ():
        for decorator in getattr(node, "decorator_list", ()):
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            if isinstance(target, ast.Name):
                found.add(target.id)
    return found


def _aliases(notebook: Notebook) -> dict[str, set[str]]:
    """Names bound to another name's value (``b = a``): a change through one is a change of
    the other. Each name maps to every name it may share a value with."""
    return alias_groups(
        (target.id, node.value.id) for cell in notebook.code_cells
        for node in (ast.walk(cell.tree) if cell.tree is not None else ())
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Name)
        for target in node.targets if isinstance(target, ast.Name))


def _constants(notebook: Notebook, flows: dict[int, CellFlow]) -> frozenset[str]:
    """Names every binding of which is a literal (``TEST_SIZE = 0.25``): passing them to a call
    cannot change them."""
    literal: set[str] = set()
    other: set[str] = set()
    for cell in notebook.code_cells:
        assigned = {}
        for stmt in cell.tree.body if cell.tree is not None else []:
            if isinstance(stmt, ast.Assign) and all(isinstance(t, ast.Name) for t in stmt.targets):
                for target in stmt.targets:
                    assigned[target.id] = assigned.get(target.id, True) and _literal(stmt.value)
        literal |= {name for name, ok in assigned.items() if ok}
        other |= {name for name, ok in assigned.items() if not ok}
        other |= {e.name for e in flows[cell.index].events if e.kind in (BIND, DELETE)
                  and e.name not in assigned}
    return frozenset(literal - other)


def _literal(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.UnaryOp):
        return _literal(node.operand)
    return isinstance(node, ast.Tuple) and all(_literal(e) for e in node.elts)


def _modules(flows: dict[int, CellFlow]) -> frozenset[str]:
    """Names only ever bound by import statements."""
    imported: set[str] = set()
    other: set[str] = set()
    for flow in flows.values():
        for event in flow.events:
            if event.kind in (BIND, DELETE):
                (imported if event.imported else other).add(event.name)
    return frozenset(imported - other)


def _why_opaque(flow: CellFlow) -> str:
    if flow.lenient:
        return "does not parse, so what it defines is unknown"
    return f"uses {flow.opaque_reason}, which can define names no code shows"


def _uses_pylab(flow: CellFlow) -> bool:
    return any(e.kind == BIND and e.name == "pylab" for e in flow.events)


def _function_views(notebook: Notebook, flows: dict[int, CellFlow],
                    aliases: dict[str, set[str]]) -> dict[int, Mapping[str, FunctionSummary]]:
    """For each cell, the notebook functions a call there runs: the latest definition at or
    above it, else the first one below (the one a fix would bring up). ``h = inc``: a call of
    ``h`` is a call of ``inc``."""
    first: dict[str, FunctionSummary] = {}
    for flow in flows.values():
        for event in flow.events:
            if event.kind == BIND and event.function is not None:
                first.setdefault(event.name, event.function)
    for name, others in aliases.items():
        known = next((first[o] for o in sorted(others) if o in first), None)
        if known is not None:
            first.setdefault(name, known)
    views: dict[int, Mapping[str, FunctionSummary]] = {}
    running: dict[str, FunctionSummary] = {}
    view: Mapping[str, FunctionSummary] = first
    for cell in notebook.code_cells:
        defined = {e.name: e.function for e in flows[cell.index].events
                   if e.kind == BIND and e.function is not None}
        if defined:
            running = {**running, **defined}
            view = ChainMap(running, first)
        views[cell.index] = view
    return views


def _call_touches(name: str, functions: Mapping[str, FunctionSummary]) -> set[str]:
    """Globals a call may read or change: those the function (and functions it calls) read or
    ``global``-write."""
    touched: set[str] = set()
    stack, seen = [name], set()
    while stack:
        current = stack.pop()
        if current in seen or current not in functions:
            continue
        seen.add(current)
        summary = functions[current]
        touched |= set(summary.reads) | set(summary.writes)
        stack += sorted(summary.calls)
    return touched
