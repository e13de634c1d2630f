"""Scope facts for code that runs later: function, lambda and class-method bodies.

Like pyflakes, a function body is analysed apart from the module: reading a global inside a ``def``
is not a read when the cell runs, but when the function is called. :func:`summarise_function`
returns what a call reads from and writes to the module (notebook) namespace.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from nb2prod.analysis.astutil import children

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
SCOPE_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


@dataclass(frozen=True)
class FunctionSummary:
    """What calling a notebook-level function does to the notebook's namespace.

    ``reads`` maps each global it reads to the (translated) line of the first read; ``calls`` are
    global names it calls (resolved when it is called); ``writes`` are names it binds through
    ``global``; ``line`` is where it is defined.
    """

    name: str
    line: int
    reads: dict[str, int] = field(default_factory=dict)
    calls: frozenset[str] = frozenset()
    writes: frozenset[str] = frozenset()


def summarise_function(node: FunctionNode, name: str) -> FunctionSummary:
    """Globals read, called and written by a call to ``node``."""
    reads: dict[str, int] = {}
    calls: set[str] = set()
    writes: set[str] = set()
    free_names(node, reads, calls, writes)
    return FunctionSummary(name, node.lineno, reads, frozenset(calls), frozenset(writes))


def summarise_class(node: ast.ClassDef) -> FunctionSummary:
    """What instantiating a class reads: its ``__init__``/``__new__``/``__post_init__`` bodies."""
    reads: dict[str, int] = {}
    calls: set[str] = set()
    writes: set[str] = set()
    for stmt in node.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name in {
            "__init__", "__new__", "__post_init__", "__call__",
        }:
            free_names(stmt, reads, calls, writes)
    return FunctionSummary(node.name, node.lineno, reads, frozenset(calls), frozenset(writes))


def parameter_names(args: ast.arguments) -> set[str]:
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    names = {a.arg for a in every}
    names |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
    return names


def free_names(
    scope: ast.AST, reads: dict[str, int], calls: set[str], writes: set[str],
    enclosing: frozenset[str] = frozenset(), skip_functions: bool = False,
) -> None:
    """Add to ``reads``/``calls`` the names ``scope`` uses that no enclosing function binds.

    ``skip_functions`` leaves out nested ``def`` bodies: a class body runs at once, its methods later.
    """
    body = _scope_body(scope)
    declared_global = {n for stmt in _walk_scope(body) if isinstance(stmt, ast.Global)
                       for n in stmt.names}
    local = set(enclosing)
    if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        local |= parameter_names(scope.args)
    local |= local_bindings(body) - declared_global
    writes |= declared_global & local_bindings(body, include_globals=True)
    frozen_local = frozenset(local)
    for node in _walk_scope(body):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            if node.id not in local:
                reads.setdefault(node.id, node.lineno)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id not in local:
                calls.add(node.func.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and skip_functions:
            continue
        elif isinstance(node, (SCOPE_NODES, COMPREHENSIONS)):
            free_names(node, reads, calls, writes, frozen_local)


def _scope_body(scope: ast.AST) -> list[ast.AST]:
    """The nodes evaluated inside ``scope`` when it runs (not its decorators or defaults)."""
    if isinstance(scope, ast.Lambda):
        return [scope.body]
    if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return list(scope.body)
    if isinstance(scope, COMPREHENSIONS):
        elements = [scope.key, scope.value] if isinstance(scope, ast.DictComp) else [scope.elt]
        generators: list[ast.AST] = []
        for gen in scope.generators:
            generators += [gen.target, gen.iter, *gen.ifs]
        return [*generators, *elements]
    return [scope]


def _walk_scope(nodes: list[ast.AST]):
    """Every node in ``nodes`` except the insides of nested scopes (which are yielded, not entered).

    A nested def's decorators, defaults and annotations run in this scope, so they are walked.
    """
    stack = list(reversed(nodes))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            stack.extend(_definition_time_nodes(node))
        elif isinstance(node, ast.Lambda):
            stack.extend(d for d in (*node.args.defaults, *node.args.kw_defaults) if d)
        elif isinstance(node, ast.ClassDef):
            stack.extend([*node.decorator_list, *node.bases, *(k.value for k in node.keywords)])
        elif isinstance(node, COMPREHENSIONS):
            stack.append(node.generators[0].iter)
        else:
            stack.extend(reversed(children(node)))


def _definition_time_nodes(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.AST]:
    args = node.args
    nodes: list[ast.AST] = [*node.decorator_list, *args.defaults]
    nodes += [d for d in args.kw_defaults if d is not None]
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
    nodes += [a.annotation for a in every if a is not None and a.annotation is not None]
    if node.returns is not None:
        nodes.append(node.returns)
    return nodes


def local_bindings(nodes: list[ast.AST], include_globals: bool = False) -> set[str]:
    """Names bound directly in a scope body (not in nested scopes), by any binding form."""
    names: set[str] = set()
    for node in _walk_scope(nodes):
        names |= bound_names(node)
    return names


def bound_names(node: ast.AST) -> set[str]:
    """Names one node binds in the scope it belongs to."""
    if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
        return {node.id}
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {import_binding(alias) for alias in node.names if alias.name != "*"}
    if isinstance(node, ast.ExceptHandler) and node.name:
        return {node.name}
    if isinstance(node, ast.MatchAs | ast.MatchStar) and node.name:
        return {node.name}
    if isinstance(node, ast.MatchMapping) and node.rest:
        return {node.rest}
    return set()


def import_binding(alias: ast.alias) -> str:
    """``import a.b`` binds ``a``; ``import a.b as c`` binds ``c``."""
    if alias.asname:
        return alias.asname
    return alias.name.split(".")[0]
