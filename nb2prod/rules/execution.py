"""NB1xx: the execution counts say the notebook was not run top to bottom."""

from __future__ import annotations

from collections.abc import Iterator

from nb2prod.findings import INFO, WARNING, Finding, Related
from nb2prod.rules.base import Rule, RuleContext

NB101 = Rule(
    code="NB101",
    name="out-of-order-execution",
    severity=WARNING,
    summary="Code cells were executed in a different order than they appear.",
    what="""
Reads the execution counts (`In [n]`) of the code cells from top to bottom and reports the first
cell that ran before a cell above it.
""",
    why="""
The saved outputs and the kernel state came from a different order than the one a reader, a
colleague or a scheduler will use. Values can depend on that order, so the notebook may not
reproduce what it shows.
""",
    example="""
In [2]: df = load()
In [1]: df = df.dropna()   # ran first, on an older df
""",
    instead="""
Restart the kernel and run all cells (Kernel > Restart & Run All) before saving, then fix any
cell that breaks.
""",
)

NB102 = Rule(
    code="NB102",
    name="skipped-cell",
    severity=WARNING,
    summary="An unexecuted code cell sits between executed cells.",
    what="Reports a code cell with no execution count that has executed code cells above and below.",
    why="""
The outputs below it were produced without it. A top-down run executes it, which can change or
break everything after it.
""",
    example="""
In [1]: df = load()
In [ ]: df = df[df.age > 18]   # never run
In [2]: df.describe()
""",
    instead="Run the cell (or delete it if it is dead code), then re-run the notebook from the top.",
)

NB103 = Rule(
    code="NB103",
    name="execution-count-gap",
    severity=INFO,
    summary="Execution counts skip numbers: cells ran that are no longer in the notebook, or re-ran.",
    what="""
Reports the first place where the sorted execution counts skip a number (or do not start at 1).
""",
    why="""
Something ran in the kernel that the notebook no longer shows: a deleted cell, an edited cell's
earlier version, or a cell run several times. Its effects may still be in the saved outputs.
""",
    example="""
In [1]: import pandas as pd
In [4]: df = pd.read_csv("data.csv")   # In [2] and In [3] are gone
""",
    instead="Restart the kernel and run all cells before saving.",
)

RULES = (NB101, NB102, NB103)


def check(context: RuleContext) -> Iterator[Finding]:
    yield from _out_of_order(context)
    yield from _skipped(context)
    yield from _gaps(context)


def _out_of_order(context: RuleContext) -> Iterator[Finding]:
    first = None  # (cell, the highest-count cell above it)
    late = 0
    highest = None
    for cell in context.executed:
        if highest is not None and cell.execution_count < highest.execution_count:
            late += 1
            first = first or (cell, highest)
        if highest is None or cell.execution_count > highest.execution_count:
            highest = cell
    if first is None:
        return
    cell, above = first
    more = f"; {late} cells in all ran before a cell above them" if late > 1 else ""
    yield NB101.at(
        context.notebook, cell, 1, 1,
        f"cell ran as In [{cell.execution_count}], before cell {above.index} above it "
        f"(In [{above.execution_count}]){more}",
        [Related(above.index, 1, "")],
    )


def _skipped(context: RuleContext) -> Iterator[Finding]:
    code = [c for c in context.notebook.code_cells if c.source.strip()]
    positions = [i for i, c in enumerate(code) if c.execution_count is not None]
    if len(positions) < 2:
        return
    for cell in code[positions[0] + 1 : positions[-1]]:
        if cell.execution_count is None:
            yield NB102.at(
                context.notebook, cell, 1, 1,
                "code cell has no execution count, but cells above and below it ran: it was never "
                "run, or its output was cleared (check --fix clears stale outputs); re-run the "
                "notebook from the top",
            )


def _gaps(context: RuleContext) -> Iterator[Finding]:
    by_count = sorted(context.executed, key=lambda c: c.execution_count)
    expected = 1
    for cell in by_count:
        count = cell.execution_count
        if count > expected:
            missing = count - expected
            what = "starts at" if expected == 1 else f"jumps from In [{expected - 1}] to"
            yield NB103.at(
                context.notebook, cell, 1, 1,
                f"execution count {what} In [{count}]: {missing} execution"
                f"{'s' if missing > 1 else ''} not in the notebook (deleted or re-run cells)",
            )
            return
        expected = max(expected, count + 1)
