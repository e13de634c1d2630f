"""NB001: a code cell that is not valid Python once IPython syntax is translated."""

from __future__ import annotations

from collections.abc import Iterator

from nb2prod.findings import ERROR, Finding
from nb2prod.rules.base import Rule, RuleContext

NB001 = Rule(
    code="NB001",
    name="syntax-error",
    severity=ERROR,
    summary="A code cell does not parse as Python (after IPython magics are translated).",
    what="""
Parses every code cell after translating IPython syntax (`%magic`, `!cmd`, `obj?`). A cell that
still does not parse is reported; analysis of the other cells goes on, with names the broken cell
seems to define taken as defined.
""",
    why="The cell cannot run, and nothing about it (or what depends on it) can be checked.",
    example="def f(:",
    instead="Fix the syntax error. For another language, use a cell magic such as `%%bash`.",
)

RULES = (NB001,)


def check(context: RuleContext) -> Iterator[Finding]:
    for cell in context.notebook.code_cells:
        error = cell.syntax_error
        if error is not None:
            yield NB001.at(context.notebook, cell, error.line, error.column,
                           f"syntax error: {error.message}")
