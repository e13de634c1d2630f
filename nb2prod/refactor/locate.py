"""Where in the notebook a change was made, for code that has left its cell."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from nb2prod.notebook.model import Cell
from nb2prod.refactor.plan import Change


@dataclass(frozen=True)
class Unplaced:
    """A change to code that has left its cell: the first line of the code it changed (to find
    it again in the cell), what became of it, and why."""

    line: str
    what: str
    why: str


def located(changes: Iterable[Unplaced], cells: list[Cell]) -> list[Change]:
    """Changes to code that has left its cell, placed back at the cell line that holds it."""
    changes = list(changes)
    if not changes:
        return []
    lines = [(cell.index, number, " ".join(line.split()))
             for cell in cells for number, line in enumerate(cell.source.splitlines(), 1)]
    placed, cursor = [], 0
    for change in changes:  # in code order: the same line twice is two places, in order
        at = _find_line(lines, change.line, cursor)
        if at is None:
            where = (cells[0].index, 1) if cells else (0, 1)
        else:
            where, cursor = lines[at][:2], at + 1
        placed.append(Change(*where, change.what, change.why))
    return placed


_RENAMED = re.compile(r"(\w)_+\b")


def _find_line(lines: list[tuple[int, int, str]], text: str, cursor: int) -> int | None:
    """The position of the first line from ``cursor`` on (then from the top) that starts with
    ``text`` (its first 60 characters, up to a `` ... `` gap); else that ``text`` starts with (a
    statement spanning lines); else that starts like it up to its first parenthesis (a call
    whose arguments a transform added to)."""
    wanted = " ".join(text.split())[:60].split(" ... ")[0]
    if not wanted:
        return None
    head = wanted.split("(", 1)[0] + "(" if "(" in wanted else ""
    unrenamed = _RENAMED.sub(r"\1", wanted)
    tests = [lambda line: line.startswith(wanted),
             lambda line: len(line) >= 8 and wanted.startswith(line),
             lambda line: len(head) >= 8 and line.startswith(head),
             # a name the project renamed (`step` -> `step_`) after the notebook's code
             lambda line: unrenamed != wanted and _RENAMED.sub(r"\1", line).startswith(unrenamed)]
    order = [*range(cursor, len(lines)), *range(cursor)]
    for test in tests:
        for position in order:
            if test(lines[position][2]):
                return position
    return None


def unused_import(line: str, cell: Cell, bound_by: tuple[str, str] | None = None) -> list[Change]:
    """The change that reports an import the project drops: nothing uses it, or ``bound_by``
    (name, import) another import binds the name it is used by (``import sklearn`` beside
    ``import sklearn.linear_model``)."""
    if bound_by is not None:
        name, other = bound_by
        return located([Unplaced(line, f"removed the import `{line}`",
                                 f"`{other}` binds `{name}` too")], [cell])
    return located([Unplaced(line, f"removed unused import `{line}`",
                             "nothing in the project uses it")], [cell])


def one_line(text: str) -> str:
    """Code as a change reports it: one line, at most 120 characters."""
    text = " ".join(text.split())
    return text if len(text) <= 120 else text[:119] + "…"


def star_import_line(source: str, module: str) -> int | None:
    """The number of the line of ``source`` (a cell as written) that star-imports ``module``
    (``from module import *``, also as the notebook spaced it); None when none does."""
    pattern = re.compile(rf"\bfrom\s+{re.escape(module)}\s+import\s+\*")
    return next((number for number, text in enumerate(source.splitlines(), 1)
                 if pattern.search(text)), None)


def definition_line(source: str, name: str) -> int:
    """The line of ``source`` (a cell's) that defines ``name`` (1 when none does)."""
    pattern = re.compile(rf"\s*(?:async\s+)?(?:def|class)\s+{re.escape(name)}\b")
    return next((number for number, line in enumerate(source.split("\n"), 1)
                 if pattern.match(line)), 1)
