"""The rule type and the context every rule family reads from."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from nb2prod.findings import Finding, Related

if TYPE_CHECKING:  # the analyses load when a rule first needs them: a cached run needs none
    from nb2prod.analysis.dataflow import Dataflow
    from nb2prod.notebook.model import Cell, Notebook


@dataclass(frozen=True)
class Rule:
    """A stable rule code with its documentation (the contract behind ``nb2prod rule CODE``)."""

    code: str
    name: str
    severity: str
    summary: str
    what: str
    why: str
    example: str
    instead: str

    def at(
        self,
        notebook: Notebook,
        cell: Cell,
        line: int,
        column: int,
        message: str,
        related: Iterable[Related] = (),
    ) -> Finding:
        return Finding(
            path=notebook.path,
            cell=cell.index,
            line=max(line, 1),
            column=max(column, 1),
            code=self.code,
            message=message,
            severity=self.severity,
            rule=self.name,
            cell_id=cell.id,
            related=tuple(related),
        )

    def docs(self) -> str:
        """The rule's documentation as plain text, in ruff's What / Why / Example / Instead shape."""
        return "\n".join([
            f"{self.code} ({self.name}) [{self.severity}]",
            "",
            self.summary,
            "",
            "What it does",
            _indent(self.what),
            "",
            "Why is this bad?",
            _indent(self.why),
            "",
            "Example",
            _indent(self.example),
            "",
            "Use instead",
            _indent(self.instead),
        ])


class RuleContext:
    """One notebook plus the analyses rules share, each computed at most once."""

    def __init__(self, notebook: Notebook, extra_builtins: frozenset[str] = frozenset()) -> None:
        self.notebook = notebook
        self.extra_builtins = extra_builtins
        self.cells = {cell.index: cell for cell in notebook.cells}
        self._nodes: dict[int, dict[type, list[ast.AST]]] = {}

    @cached_property
    def dataflow(self) -> Dataflow:
        from nb2prod.analysis.dataflow import analyse

        return analyse(self.notebook, self.extra_builtins)

    def nodes_of(self, cell: Cell, *types: type) -> list[ast.AST]:
        """The cell's AST nodes of the given types (breadth first within a type): the nodes come
        from the walk parsing made, and a rule visits only the kinds of node it looks at."""
        index = self._nodes.get(cell.index)
        if index is None:
            index = {}
            for node in cell.nodes:
                kind = node.__class__
                if kind in index:
                    index[kind].append(node)
                else:
                    index[kind] = [node]
            self._nodes[cell.index] = index
        if len(types) == 1:
            return index.get(types[0], [])
        return [node for kind in types for node in index.get(kind, [])]

    @cached_property
    def executed(self) -> list[Cell]:
        """Code cells with an execution count, top to bottom."""
        return [c for c in self.notebook.code_cells if c.execution_count is not None]


def code_cells_with_source(notebook: Notebook) -> Iterator[Cell]:
    return (c for c in notebook.code_cells if c.source.strip())


def _indent(text: str) -> str:
    return "\n".join(("    " + line) if line else "" for line in text.strip("\n").splitlines())
