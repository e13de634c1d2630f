"""NB2xx: hidden state. What a fresh top-to-bottom run would do differently from the saved notebook."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nb2prod.findings import ERROR, INFO, WARNING, Finding, Related
from nb2prod.rules.base import Rule, RuleContext

if TYPE_CHECKING:
    from nb2prod.analysis.dataflow import Dependency, MissingRead

NB201 = Rule(
    code="NB201",
    name="used-before-defined",
    severity=ERROR,
    summary="A cell uses a name that only a later cell defines.",
    what="""
Replays the notebook top to bottom, as a fresh kernel would, and reports a cell that reads a name
before any cell above it binds it, when a cell below does. Late binding counts too: a function
defined early whose body reads a global, called before the cell that binds that global, is
reported on the calling cell with the function and the global named.
""",
    why="""
It worked in your kernel because you ran the defining cell first. "Restart & Run All", a
colleague, papermill or a CI job will stop with a NameError at this cell.
""",
    example="""
# cell 1
model.fit(X, y)          # NB201: 'model' is used before cell 2 defines it
# cell 2
model = LogisticRegression()
""",
    instead="Move the defining cell above its first use (or the use below the definition).",
)

NB202 = Rule(
    code="NB202",
    name="undefined-name",
    severity=ERROR,
    summary="A cell uses a name that no cell defines.",
    what="""
Reports a read of a name that no cell of the notebook binds: not an assignment, import, def,
class, loop target, `with ... as`, `%store -r` or `x = !cmd`. Builtins and IPython's own names
(`display`, `In`, `Out`, `_`, ...) are known. Notebooks with star imports, `%run` or `exec` are
not reported, because those can bind names no code shows.
""",
    why="""
The value lives only in your kernel: the cell that made it was deleted or edited. Nobody else can
run the notebook, and you cannot either after a restart.
""",
    example="""
# the cell `threshold = 0.7` was deleted
preds = scores > threshold   # NB202: 'threshold' is not defined by any cell
""",
    instead="Restore the definition in a cell above the use, or remove the use.",
)

NB203 = Rule(
    code="NB203",
    name="stale-output",
    severity=WARNING,
    summary="A cell's saved output predates a cell it depends on.",
    what="""
Reports a cell with outputs that reads a name whose defining cell (the one a top-down run would
use) was executed after it, according to the execution counts.
""",
    why="""
The output on screen was computed from an older value. Readers trust what the notebook shows; a
re-run would show something else.
""",
    example="""
In [5]: df = clean(raw)
In [3]: df.shape         # NB203: output is from before In [5] re-defined df
""",
    instead="Re-run the stale cell (or restart and run all) before saving.",
)

NB204 = Rule(
    code="NB204",
    name="overwritten-before-use",
    severity=WARNING,
    summary="A cell saw a value that a cell BELOW it assigned.",
    what="""
Cell U reads x; a cell above U binds x; a cell below U binds x too and ran before U. U used the
lower cell's value, while a top-down run gives it the upper cell's value.
""",
    why="""
The results in the notebook came from a value no top-down run produces: re-running gives
different numbers, silently.
""",
    example="""
# cell 1: lr = 0.1
# cell 2: model = train(lr)     # ran after cell 3: trained with lr = 0.01
# cell 3: lr = 0.01
""",
    instead="Give the two values different names, or move the assignment to where it is used.",
)

NB205 = Rule(
    code="NB205",
    name="non-idempotent-cell",
    severity=INFO,
    summary="A cell reads and rebinds the same name, and ran out of order or more than once.",
    what="""
Reports a cell such as `df = df.dropna()` or `x += 1` that changes a value it reads, when the
execution counts show it ran out of order or that something ran just before it that is gone.
""",
    why="""
Each run of such a cell changes the result: running it twice drops, scales or appends twice.
The saved state depends on how many times it was run.
""",
    example="""
In [7]: df["price"] = df["price"] / 100   # run twice: prices divided by 10,000
""",
    instead="Assign to a new name (`df_clean = raw.dropna()`), so re-running gives the same result.",
)

RULES = (NB201, NB202, NB203, NB204, NB205)


def check(context: RuleContext) -> Iterator[Finding]:
    yield from _missing(context)
    yield from _stale(context)
    yield from _overwritten(context)
    yield from _non_idempotent(context)


def _missing(context: RuleContext) -> Iterator[Finding]:
    flow = context.dataflow
    reported: set[tuple[int, str]] = set()
    for miss in flow.missing:
        if (miss.reader, miss.name) in reported:
            continue
        later = flow.first_binder_after(miss.name, miss.reader, miss.line)
        if later is not None and not miss.opaque_above:
            reported.add((miss.reader, miss.name))
            yield _used_before_defined(context, miss, later)
        elif later is None and not flow.opaque_cells:
            reported.add((miss.reader, miss.name))
            yield _undefined(context, miss)


def _used_before_defined(context: RuleContext, miss: MissingRead, later: tuple[int, int]) -> Finding:
    cell = context.cells[miss.reader]
    binder_cell, binder_line = later
    where = (f"line {binder_line} of this cell" if binder_cell == miss.reader
             else f"cell {binder_cell}")
    related = [Related(binder_cell, binder_line, miss.name)]
    if miss.via is None:
        message = f"'{miss.name}' is used before {where} defines it"
    else:
        message = (f"{miss.via.name}() (defined in cell {miss.via_cell}) reads global "
                   f"'{miss.name}' when called here, before {where} defines it")
        related.append(Related(miss.via_cell, _function_line(context, miss), miss.via.name))
    return NB201.at(context.notebook, cell, miss.line, miss.column, message, related)


def _undefined(context: RuleContext, miss: MissingRead) -> Finding:
    cell = context.cells[miss.reader]
    earlier = [b for b in context.dataflow.binders_of(miss.name) if b[0] <= miss.reader]
    if miss.via is not None:
        message = (f"{miss.via.name}() (defined in cell {miss.via_cell}) reads global "
                   f"'{miss.name}', which no cell defines")
        related = [Related(miss.via_cell, _function_line(context, miss), miss.via.name)]
    elif earlier:
        message = f"'{miss.name}' is not defined at this point of a top-down run (deleted above?)"
        related = [Related(earlier[-1][0], earlier[-1][1], miss.name)]
    else:
        message = (f"'{miss.name}' is not defined by any cell (was its cell deleted or edited? "
                   "the value only exists in your kernel)")
        related = []
    return NB202.at(context.notebook, cell, miss.line, miss.column, message, related)


def _function_line(context: RuleContext, miss: MissingRead) -> int:
    cell = context.cells.get(miss.via_cell) if miss.via_cell is not None else None
    return cell.original_line(miss.via.line) if cell is not None and miss.via else 1


def _cross_cell_dependencies(context: RuleContext) -> Iterator[tuple[Dependency, int, int]]:
    """Dependencies between two different executed cells, with both execution counts."""
    seen: set[tuple[int, str]] = set()
    for dep in context.dataflow.dependencies:
        if dep.binder.cell == dep.reader or (dep.reader, dep.name) in seen:
            continue
        seen.add((dep.reader, dep.name))
        reader_count = context.cells[dep.reader].execution_count
        binder_count = context.cells[dep.binder.cell].execution_count
        if reader_count is not None:
            yield dep, reader_count, binder_count


def _stale(context: RuleContext) -> Iterator[Finding]:
    reported: set[int] = set()
    for dep, reader_count, binder_count in _cross_cell_dependencies(context):
        cell = context.cells[dep.reader]
        if (dep.reader in reported or binder_count is None or binder_count <= reader_count
                or dep.binder.imported or not _has_visible_output(cell.outputs)):
            continue
        reported.add(dep.reader)
        # a read through a call points at the call: say whose read it is
        read = f"'{dep.name}' (read by {dep.via}() called here)" if dep.via else f"'{dep.name}'"
        yield NB203.at(
            context.notebook, cell, dep.line, dep.column,
            f"output is stale: it was saved at In [{reader_count}], but cell {dep.binder.cell}, "
            f"which defines {read}, ran later (In [{binder_count}])",
            [Related(dep.binder.cell, dep.binder.line, dep.name)],
        )


def _overwritten(context: RuleContext) -> Iterator[Finding]:
    for dep, reader_count, binder_count in _cross_cell_dependencies(context):
        below = _latest_lower_binder(context, dep, reader_count, binder_count)
        if below is None:
            continue
        lower_cell, lower_line, lower_count = below
        yield NB204.at(
            context.notebook, context.cells[dep.reader], dep.line, dep.column,
            f"'{dep.name}' here had the value from cell {lower_cell} below (In [{lower_count}] ran "
            f"before this cell's In [{reader_count}]); a top-down run gives it the value from "
            f"cell {dep.binder.cell}",
            [Related(lower_cell, lower_line, dep.name), Related(dep.binder.cell, dep.binder.line,
                                                                 dep.name)],
        )


def _latest_lower_binder(
    context: RuleContext, dep: Dependency, reader_count: int, binder_count: int | None
) -> tuple[int, int, int] | None:
    """The most recently run binding of the name below the reader that ran before the reader."""
    best = None
    for cell_index, line, imported in context.dataflow.binders_of(dep.name):
        count = context.cells[cell_index].execution_count
        if cell_index <= dep.reader or imported or count is None or count >= reader_count:
            continue
        if binder_count is not None and count <= binder_count:
            continue
        if best is None or count > best[2]:
            best = (cell_index, line, count)
    return best


def _non_idempotent(context: RuleContext) -> Iterator[Finding]:
    from nb2prod.analysis.events import BIND, READ

    disordered = _cells_run_out_of_turn(context)
    for index in disordered:
        cell = context.cells[index]
        events = context.dataflow.flows[index].events
        first_kind: dict[str, str] = {}
        for event in events:
            first_kind.setdefault(event.name, event.kind)
        for event in events:
            if (event.kind == BIND and first_kind.get(event.name) == READ
                    and not event.conditional):
                yield NB205.at(
                    context.notebook, cell, cell.original_line(event.line), event.column + 1,
                    f"cell reads and rebinds '{event.name}', and ran out of order or more than "
                    "once: each run changes the result",
                )
                break


def _cells_run_out_of_turn(context: RuleContext) -> list[int]:
    """Executed cells whose count is out of sequence, or follows a count that is missing."""
    executed = context.executed
    counts = {c.execution_count for c in executed}
    result = []
    highest = float("-inf")
    for cell in executed:
        count = cell.execution_count
        if count < highest or (count > 1 and count - 1 not in counts):
            result.append(cell.index)
        highest = max(highest, count)
    return result


def _has_visible_output(outputs) -> bool:
    return any(o.get("output_type") in {"execute_result", "display_data", "stream"}
               for o in outputs)
