"""What a rule reports: one problem at one place in a notebook."""

from __future__ import annotations

from dataclasses import dataclass

ERROR, WARNING, INFO = "error", "warning", "info"
SEVERITY_ORDER = {ERROR: 0, WARNING: 1, INFO: 2}


@dataclass(frozen=True)
class Related:
    """Another place a finding points to: the cell that defines a name, the function that reads it."""

    cell: int
    line: int
    name: str


@dataclass(frozen=True)
class Finding:
    """A problem on ``line``/``column`` (1-based, the cell's own lines) of cell ``cell`` (0-based,
    counting every cell, markdown included)."""

    path: str
    cell: int
    line: int
    column: int
    code: str
    message: str
    severity: str
    rule: str
    cell_id: str | None = None
    related: tuple[Related, ...] = ()
    file_line: int | None = None  # the line in the .ipynb file itself, for annotations

    def sort_key(self) -> tuple[str, int, int, int, str]:
        return (self.path, self.cell, self.line, self.column, self.code)
