"""What one cell does to the notebook namespace, in the order it does it.

A cell becomes a list of :class:`Event`: reads, bindings, deletions and calls of notebook-level
functions at module level, each with its (translated) line. Function bodies are not reads here; they
are summarised (:mod:`nb2prod.analysis.scopes`) and replayed when a call happens.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from nb2prod.analysis.astutil import children, query_names, walk
from nb2prod.analysis.scopes import (
    COMPREHENSIONS,
    FunctionSummary,
    bound_names,
    free_names,
    import_binding,
    names_bound_by,
    summarise_class,
    summarise_function,
)
from nb2prod.notebook.model import Cell
from nb2prod.notebook.pylab import PYLAB_MODULES, pylab_names

READ, BIND, DELETE, CALL = "read", "bind", "del", "call"
_NAME, _LOAD, _CONSTANT, _CALL = ast.Name, ast.Load, ast.Constant, ast.Call
_IMMEDIATE_SCOPES = frozenset({ast.Lambda, *COMPREHENSIONS})
# Calls that let code bind names no analysis can see.
OPAQUE_CALLS = frozenset({"exec", "globals", "locals", "vars", "execfile"})
_CATCHES_NAME_ERROR = frozenset({"NameError", "Exception", "BaseException", "UnboundLocalError"})
_LENIENT_BINDING = re.compile(
    r"^\s*(?:(?:def|class)\s+(?P<def>\w+)|(?:from\s+\S+\s+)?import\s+(?P<imp>[\w.,\s]+?)\s*$|"
    r"for\s+(?P<for>[\w,\s]+?)\s+in\b|(?P<assign>\w+(?:\s*,\s*\w+)*)\s*(?:[-+*/%|&^@]|//|\*\*)?=[^=])",
)


class Event(NamedTuple):
    """One namespace effect (a named tuple: a notebook makes tens of thousands of them)."""

    kind: str
    name: str
    line: int
    column: int = 0
    guarded: bool = False  # a read protected by try/except NameError, or carried around a loop
    conditional: bool = False  # under if/try/loop: may not happen
    function: FunctionSummary | None = None  # what binding or calling this name runs later
    imported: bool = False  # a binding made by an import statement


@dataclass(frozen=True)
class CellFlow:
    """The namespace effects of one code cell."""

    events: tuple[Event, ...] = ()
    opaque: bool = False  # star import, %run, exec, globals(): may bind names nothing shows
    opaque_reason: str = ""
    lenient: bool = False  # the cell did not parse; bindings were guessed from its text
    function_reads: tuple[tuple[FunctionSummary, str, int], ...] = field(default=())


def cell_flow(cell: Cell, deferred_annotations: bool = False) -> CellFlow:
    """The ordered namespace events of a code cell."""
    opaque_magic = next((m for m in cell.magics if m.opaque), None)
    magic_events = _magic_events(cell)
    if cell.tree is None:
        return CellFlow(magic_events + _lenient_binds(cell.python), opaque=opaque_magic is not None,
                        opaque_reason=f"%{opaque_magic.name}" if opaque_magic else "", lenient=True)
    walker = _ModuleWalker(deferred_annotations)
    for stmt in cell.tree.body:
        walker.statement(stmt)
    reason = walker.opaque_reason or (f"%{opaque_magic.name}" if opaque_magic else "")
    return CellFlow(magic_events + tuple(walker.events), opaque=bool(reason), opaque_reason=reason)


def _magic_events(cell: Cell) -> tuple[Event, ...]:
    """Names magics read (``!echo {x}``) or bind (``%store -r x``) that the Python does not show."""
    events: list[Event] = []
    python_lines = cell.translation.line_map if cell.translation else ()
    for magic in cell.magics:
        line = python_lines.index(magic.line) + 1 if magic.line in python_lines else 1
        events += [Event(READ, name, line, guarded=True) for name in magic.reads]
        events += [Event(BIND, name, line) for name in magic.binds]
    return tuple(events)


def _lenient_binds(python: str) -> tuple[Event, ...]:
    events = []
    for number, text in enumerate(python.splitlines(), 1):
        match = _LENIENT_BINDING.match(text)
        if not match:
            continue
        group = next(g for g in ("def", "imp", "for", "assign") if match[g])
        names = re.split(r"[\s,]+", match[group].strip())
        if group == "imp":
            names = [n.split(".")[0] for n in names if n and n != "as"]
        events += [Event(BIND, n, number, conditional=True) for n in names if n.isidentifier()]
    return tuple(events)


class _ModuleWalker:
    """Walks module-level statements in execution order, emitting events."""

    def __init__(self, deferred_annotations: bool) -> None:
        self.events: list[Event] = []
        self.deferred_annotations = deferred_annotations
        self.opaque_reason = ""
        self.conditional = 0
        self.guarded = 0
        self.loop_names: list[set[str]] = []

    # statements -----------------------------------------------------------------------------
    def statement(self, node: ast.stmt) -> None:
        method = getattr(self, f"_stmt_{type(node).__name__}", None)
        if method is not None:
            method(node)
        else:  # expressions, return, raise, assert, global, pass...: reads in order
            self.expression(node)

    def _block(self, statements: list[ast.stmt], conditional: bool = True) -> None:
        self.conditional += conditional
        for stmt in statements:
            self.statement(stmt)
        self.conditional -= conditional

    def _stmt_Assign(self, node: ast.Assign) -> None:
        function = self._lambda_summary(node.value, node.targets)
        self.expression(node.value)
        for target in node.targets:
            self._bind_target(target, function)

    def _stmt_AugAssign(self, node: ast.AugAssign) -> None:
        self.expression(node.value)
        self.expression(node.target, load_stores=True)
        self._bind_target(node.target)

    def _stmt_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.expression(node.value)
        if not self.deferred_annotations:
            self.expression(node.annotation)
        if node.value is not None:
            self._bind_target(node.target)

    def _stmt_For(self, node: ast.For | ast.AsyncFor) -> None:
        self.expression(node.iter)

        def body() -> None:
            self._bind_target(node.target)
            self._block(node.body)

        self._loop([node.target, *node.body], body)
        self._block(node.orelse)

    _stmt_AsyncFor = _stmt_For

    def _stmt_While(self, node: ast.While) -> None:
        def body() -> None:
            self.expression(node.test)
            self._block(node.body)

        self._loop([node.test, *node.body], body)
        self._block(node.orelse)

    def _loop(self, nodes: list[ast.AST], run_body: Callable[[], None]) -> None:
        bound = set()
        for node in nodes:
            bound |= names_bound_by(walk(node))
        self.loop_names.append(bound)
        self.conditional += 1
        run_body()
        self.conditional -= 1
        self.loop_names.pop()

    def _stmt_If(self, node: ast.If) -> None:
        self.expression(node.test)
        self._block(node.body)
        self._block(node.orelse)

    def _stmt_With(self, node: ast.With | ast.AsyncWith) -> None:
        for item in node.items:
            self.expression(item.context_expr)
            if item.optional_vars is not None:
                self._bind_target(item.optional_vars)
        self._block(node.body, conditional=False)

    _stmt_AsyncWith = _stmt_With

    def _stmt_Try(self, node: ast.Try) -> None:
        guards = any(handler_catches(h, _CATCHES_NAME_ERROR) for h in node.handlers)
        self.guarded += guards
        self._block(node.body)
        self.guarded -= guards
        for handler in node.handlers:
            if handler.type is not None:
                self.expression(handler.type)
            if handler.name:
                self._emit(BIND, handler.name, handler)
            self._block(handler.body)
        self._block(node.orelse)
        self._block(node.finalbody, conditional=False)

    _stmt_TryStar = _stmt_Try

    def _stmt_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for decorator_or_default in _definition_reads(node, self.deferred_annotations):
            self.expression(decorator_or_default)
        self._emit(BIND, node.name, node, function=summarise_function(node, node.name))

    _stmt_AsyncFunctionDef = _stmt_FunctionDef

    def _stmt_ClassDef(self, node: ast.ClassDef) -> None:
        for expr in [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]:
            self.expression(expr)
        reads: dict[str, int] = {}
        free_names(node, reads, set(), set(), skip_functions=True)
        for name, line in reads.items():
            self._emit_at(READ, name, line, 0)
        for stmt in node.body:  # methods' decorators and defaults run when the class is made
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for expr in _definition_reads(stmt, self.deferred_annotations):
                    self.expression(expr)
        self._emit(BIND, node.name, node, function=summarise_class(node))

    def _stmt_Import(self, node: ast.Import | ast.ImportFrom) -> None:
        for alias in node.names:
            if alias.name == "*" and getattr(node, "module", None) in PYLAB_MODULES:
                for name in pylab_names():  # known names: not opaque
                    self._emit(BIND, name, node, imported=True)
                continue
            if alias.name == "*":
                self.opaque_reason = self.opaque_reason or f"from {node.module} import *"
                continue
            self._emit(BIND, import_binding(alias), node, imported=True)

    _stmt_ImportFrom = _stmt_Import

    def _stmt_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            if isinstance(target, ast.Name):
                self._emit(DELETE, target.id, target)
            else:
                self.expression(target)

    def _stmt_Match(self, node: ast.Match) -> None:
        self.expression(node.subject)
        for case in node.cases:
            for inner in walk(case.pattern):
                if isinstance(inner, ast.expr):
                    self.expression(inner)
                for name in sorted(bound_names(inner)):
                    self._emit(BIND, name, case.pattern, conditional=True)
            if case.guard is not None:
                self.expression(case.guard)
            self._block(case.body)

    # expressions ----------------------------------------------------------------------------
    def expression(self, node: ast.AST, load_stores: bool = False) -> None:
        """Reads (and walrus bindings, and calls) of one expression or simple statement."""
        # the hottest loop of `check`: reads are emitted inline, node kinds compared by class
        stack = [node]
        walrus: list[ast.NamedExpr] = []
        events, loops = self.events, self.loop_names
        guarded, conditional = bool(self.guarded), bool(self.conditional)
        while stack:
            current = stack.pop()
            kind = current.__class__
            if kind is _NAME:
                if load_stores or current.ctx.__class__ is _LOAD:
                    name = current.id
                    events.append(Event(READ, name, current.lineno, current.col_offset,
                                        guarded or any(name in n for n in loops), conditional))
                continue
            if kind is _CONSTANT:
                continue
            if kind is ast.NamedExpr:
                walrus.append(current)
                stack.append(current.value)
                continue
            if kind is _CALL:
                self._call(current)
            elif kind in _IMMEDIATE_SCOPES:
                self._immediate_scope(current)
                continue
            stack.extend(reversed(children(current)))
        for named in walrus:
            self._bind_target(named.target)

    def _immediate_scope(self, node: ast.AST) -> None:
        """A lambda or comprehension at module level usually runs at once: its free names are reads."""
        reads: dict[str, int] = {}
        calls: set[str] = set()
        free_names(node, reads, calls, set())
        for name, line in reads.items():
            self._emit_at(READ, name, line, 0)
        for name in sorted(calls):
            self._emit_at(CALL, name, node.lineno, node.col_offset)

    def _call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Name):
            if node.func.id in OPAQUE_CALLS:
                self.opaque_reason = self.opaque_reason or f"{node.func.id}()"
            self._emit(CALL, node.func.id, node)
        elif isinstance(node.func, ast.Attribute) and node.func.attr in {"push", "user_ns"}:
            self.opaque_reason = self.opaque_reason or f".{node.func.attr}()"
        for arg in [*node.args, *(k.value for k in node.keywords)]:
            if isinstance(arg, ast.Name):  # a function passed as a callback usually runs now
                self._emit(CALL, arg.id, arg)
        for name in query_names(node):  # df.query("a > @limit") reads `limit`
            self._emit(READ, name, node)

    # helpers --------------------------------------------------------------------------------
    def _bind_target(self, target: ast.AST, function: FunctionSummary | None = None) -> None:
        if isinstance(target, ast.Name):
            self._emit(BIND, target.id, target, function=function)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._bind_target(element)
        elif isinstance(target, ast.Starred):
            self._bind_target(target.value)
        else:  # attribute or subscript targets read their object
            self.expression(target)

    def _lambda_summary(self, value: ast.AST, targets: list[ast.AST]) -> FunctionSummary | None:
        if isinstance(value, ast.Lambda) and len(targets) == 1 and isinstance(targets[0], ast.Name):
            return summarise_function(value, targets[0].id)
        return None

    def _emit(self, kind: str, name: str, node: ast.AST, guarded: bool | None = None,
              conditional: bool | None = None, function: FunctionSummary | None = None,
              imported: bool = False) -> None:
        self._emit_at(kind, name, getattr(node, "lineno", 1), getattr(node, "col_offset", 0),
                      guarded, conditional, function, imported)

    def _emit_at(self, kind: str, name: str, line: int, column: int, guarded: bool | None = None,
                 conditional: bool | None = None, function: FunctionSummary | None = None,
                 imported: bool = False) -> None:
        if guarded is None:
            guarded = kind == READ and (bool(self.guarded)
                                        or any(name in n for n in self.loop_names))
        if conditional is None:
            conditional = bool(self.conditional)
        self.events.append(Event(kind, name, line, column, guarded, conditional, function,
                                 imported))


def handler_catches(handler: ast.ExceptHandler, names: frozenset[str]) -> bool:
    """Whether an ``except`` clause catches one of the exception classes ``names`` (bare: yes)."""
    if handler.type is None:
        return True
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(isinstance(t, ast.Name) and t.id in names for t in types)


def _definition_reads(node: ast.FunctionDef | ast.AsyncFunctionDef, deferred: bool) -> list[ast.AST]:
    args = node.args
    nodes: list[ast.AST] = [*node.decorator_list, *args.defaults]
    nodes += [d for d in args.kw_defaults if d is not None]
    if not deferred:
        every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
        nodes += [a.annotation for a in every if a is not None and a.annotation is not None]
        if node.returns is not None:
            nodes.append(node.returns)
    return nodes


def module_events(tree: ast.Module) -> tuple[Event, ...]:
    """The namespace events of a parsed module's top-level code (used on generated step bodies)."""
    walker = _ModuleWalker(deferred_annotations=False)
    for stmt in tree.body:
        walker.statement(stmt)
    return tuple(walker.events)
