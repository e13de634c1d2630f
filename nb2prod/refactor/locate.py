"""Where in the notebook a change was made, for code that has left its cell."""

from __future__ import annotations

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
    return [Change(*_find_line(lines, change.line, cells), change.what, change.why)
            for change in changes]


def _find_line(lines: list[tuple[int, int, str]], text: str, cells: list[Cell]) -> tuple[int, int]:
    """The first line that starts with ``text`` (its first 60 characters, up to a `` ... ``
    gap); else the first line ``text`` starts with, when ``text`` is a statement spanning lines."""
    wanted = " ".join(text.split())[:60].split(" ... ")[0]
    if wanted:
        for index, number, line in lines:
            if line.startswith(wanted):
                return index, number
        for index, number, line in lines:
            if len(line) >= 8 and wanted.startswith(line):
                return index, number
    return (cells[0].index, 1) if cells else (0, 1)


def unused_import(line: str, cell: Cell) -> list[Change]:
    """The change that reports an import nothing in the project uses."""
    return located([Unplaced(line, f"removed unused import `{line}`",
                             "nothing in the project uses it")], [cell])


def one_line(text: str) -> str:
    """Code as a change reports it: one line, at most 120 characters."""
    text = " ".join(text.split())
    return text if len(text) <= 120 else text[:119] + "…"
