"""The in-memory notebook every command works on, whatever file format it came from."""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from nb2prod.notebook.ipysyntax import Magic, Translation, translate

CODE, MARKDOWN, RAW = "code", "markdown", "raw"
CELL_TYPES = frozenset({CODE, MARKDOWN, RAW})
_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True)
class CellSyntaxError:
    """A cell that does not parse after IPython syntax is translated; lines are the cell's own."""

    message: str
    line: int
    column: int


@dataclass(frozen=True)
class Cell:
    """One cell. ``index`` counts ALL cells from 0, markdown included, as Jupyter shows them."""

    index: int
    cell_type: str
    source: str
    id: str | None = None
    execution_count: int | None = None
    outputs: tuple[Mapping[str, Any], ...] = ()
    tags: tuple[str, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    translation: Translation | None = field(default=None, compare=False, repr=False)
    tree: ast.Module | None = field(default=None, compare=False, repr=False)
    syntax_error: CellSyntaxError | None = None
    # every node of ``tree`` (breadth first, expression contexts left out), from the one walk
    # that parsing makes anyway to measure the nesting: what the rules look through
    nodes: tuple[ast.AST, ...] = field(default=(), compare=False, repr=False)

    @property
    def is_code(self) -> bool:
        return self.cell_type == CODE

    @property
    def python(self) -> str:
        """The cell as plain Python (IPython syntax translated); empty for non-code cells."""
        return self.translation.python if self.translation else ""

    @property
    def magics(self) -> tuple[Magic, ...]:
        return self.translation.magics if self.translation else ()

    @property
    def source_lines(self) -> list[str]:
        return self.source.splitlines()

    def original_line(self, python_line: int) -> int:
        """The cell's own 1-based line for a 1-based line of :attr:`python`."""
        return self.translation.original_line(python_line) if self.translation else python_line


@dataclass(frozen=True)
class Notebook:
    """A whole notebook: its cells in order plus what the format says about its kernel."""

    path: str
    cells: tuple[Cell, ...]
    nbformat: int = 4
    nbformat_minor: int = 5
    metadata: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    source_format: str = "ipynb"
    # per cell: (1-based line in the file of the source's first line, one file line per cell line?)
    file_lines: tuple[tuple[int, bool], ...] = field(default=(), compare=False, repr=False)

    def file_line(self, cell: int, line: int) -> int | None:
        """The line in the notebook file itself of ``line`` of cell ``cell``, when it is known."""
        if not 0 <= cell < len(self.file_lines):
            return None
        first, consecutive = self.file_lines[cell]
        return first + line - 1 if consecutive else first

    @property
    def code_cells(self) -> tuple[Cell, ...]:
        return tuple(cell for cell in self.cells if cell.is_code)

    @property
    def python_version(self) -> str | None:
        """``major.minor`` of the kernel that last ran the notebook, when the file records it."""
        info = self.metadata.get("language_info")
        version = info.get("version") if isinstance(info, dict) else None
        # a string like "3.6.9" (a number 3.10 would read as 3.1; Python is 2.x or 3.x)
        match = re.match(r"([23])\.(\d{1,2})(?!\d)", version) if isinstance(version, str) else None
        return f"{match[1]}.{int(match[2])}" if match else None


def make_cell(
    index: int,
    cell_type: str,
    source: str,
    *,
    cell_id: str | None = None,
    execution_count: int | None = None,
    outputs: tuple[Mapping[str, Any], ...] = (),
    metadata: Mapping[str, Any] = _EMPTY,
) -> Cell:
    """Build a cell; code cells get their IPython syntax translated and their Python parsed."""
    tags = metadata.get("tags") if isinstance(metadata, Mapping) else None
    tags = tuple(str(t) for t in tags) if isinstance(tags, (list, tuple)) else ()
    translation = tree = error = None
    nodes: tuple[ast.AST, ...] = ()
    if cell_type == CODE:
        translation = translate(source)
        tree, nodes, error = parse_cell(translation)
    return Cell(
        index=index,
        cell_type=cell_type,
        source=source,
        id=cell_id,
        execution_count=execution_count,
        outputs=outputs,
        tags=tags,
        metadata=metadata,
        translation=translation,
        tree=tree,
        syntax_error=error,
        nodes=nodes,
    )


MAX_NESTING = 150  # syntax-tree levels; recursive analyses stay far from Python's recursion limit


def parse_cell(translation: Translation
               ) -> tuple[ast.Module | None, tuple[ast.AST, ...], CellSyntaxError | None]:
    """The cell's syntax tree, its nodes (breadth first) and the error that kept it from parsing."""
    try:
        tree = ast.parse(translation.python)
    except SyntaxError as exc:
        line = translation.original_line(exc.lineno or 1)
        return None, (), CellSyntaxError(exc.msg or "invalid syntax", line, exc.offset or 1)
    except ValueError as exc:  # null bytes in source (Python < 3.12 raises ValueError)
        return None, (), CellSyntaxError(str(exc), 1, 1)
    except (RecursionError, MemoryError):
        return None, (), CellSyntaxError("code nested too deeply to parse", 1, 1)
    nodes, depth = _levels(tree)
    if depth > MAX_NESTING:
        return None, (), CellSyntaxError(f"code nested more than {MAX_NESTING} levels deep; "
                                         "nb2prod cannot analyse it", 1, 1)
    return tree, nodes, None


def _levels(tree: ast.AST) -> tuple[tuple[ast.AST, ...], int]:
    """Every node, level by level, and how many levels there are (no recursion)."""
    from nb2prod.analysis.astutil import children

    nodes: list[ast.AST] = []
    depth, level = 0, [tree]
    while level:
        depth += 1
        nodes += level
        level = [child for node in level if node.__class__ not in _LEAVES
                 for child in children(node)]
    return tuple(nodes), depth


_LEAVES = frozenset({ast.Name, ast.Constant, ast.alias, ast.Pass, ast.Break, ast.Continue,
                     ast.Global, ast.Nonlocal})  # nodes without child nodes: the most common


def nesting_depth(tree: ast.AST) -> int:
    """How deep the syntax tree goes, measured level by level (no recursion)."""
    return _levels(tree)[1]
