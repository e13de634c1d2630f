"""Scope facts for code that runs later: function, lambda and class-method bodies.

Like pyflakes, a function body is analysed apart from the module: reading a global inside a ``def``
is not a read when the cell runs, but when the function is called. :func:`summarise_function`
returns what a call reads from and writes to the module (notebook) namespace.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from nb2prod.analysis.astutil import children, query_names

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
    nodes = list(_walk_scope(body))  # one walk of the scope, read three ways
    declared_global = {n for stmt in nodes if stmt.__class__ is ast.Global for n in stmt.names}
    bound = names_bound_by(nodes)
    local = set(enclosing)
    if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        local |= parameter_names(scope.args)
    local |= bound - declared_global
    writes |= declared_global & bound
    frozen_local = frozenset(local)
    for node in nodes:
        kind = node.__class__
        if kind is ast.Name:
            if node.ctx.__class__ is ast.Load and node.id not in local:
                reads.setdefault(node.id, node.lineno)
        elif kind is ast.Call:
            if node.func.__class__ is ast.Name and node.func.id not in local:
                calls.add(node.func.id)
            for name in query_names(node):  # df.query("a > @limit")
                if name not in local:
                    reads.setdefault(name, node.lineno)
        elif kind in _FUNCTIONS and skip_functions:
            continue
        elif kind in _NESTED_SCOPES:
            free_names(node, reads, calls, writes, frozen_local)


_FUNCTIONS = frozenset({ast.FunctionDef, ast.AsyncFunctionDef})
_NESTED_SCOPES = frozenset({*SCOPE_NODES, *COMPREHENSIONS})
# node kinds that bind a name other than a plain `Name` target
_BINDERS = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import,
                      ast.ImportFrom, ast.ExceptHandler, ast.MatchAs, ast.MatchStar,
                      ast.MatchMapping})
_STORE_OR_DEL = frozenset({ast.Store, ast.Del})


def scope_bindings(scope: ast.AST) -> set[str]:
    """The names a function (or class) binds in its own scope: a nested scope's locals are its
    own, but its name is bound here, and so is a walrus's target inside a comprehension."""
    nodes = list(_walk_scope(_scope_body(scope)))
    names = names_bound_by(nodes)
    names.update(n.target.id for node in nodes if isinstance(node, COMPREHENSIONS)
                 for n in ast.walk(node)
                 if isinstance(n, ast.NamedExpr) and isinstance(n.target, ast.Name))
    return names


def names_bound_by(nodes) -> set[str]:
    """The names these nodes bind (:func:`bound_names` of each, the common case inline)."""
    names: set[str] = set()
    for node in nodes:
        kind = node.__class__
        if kind is ast.Name:
            if node.ctx.__class__ in _STORE_OR_DEL:
                names.add(node.id)
        elif kind in _BINDERS:
            names |= bound_names(node)
    return names


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
            stack.extend(definition_time_nodes(node))
        elif isinstance(node, ast.Lambda):
            stack.extend(d for d in (*node.args.defaults, *node.args.kw_defaults) if d)
        elif isinstance(node, ast.ClassDef):
            stack.extend([*node.decorator_list, *node.bases, *(k.value for k in node.keywords)])
        elif isinstance(node, COMPREHENSIONS):
            stack.append(node.generators[0].iter)
        else:
            stack.extend(reversed(children(node)))


def definition_time_nodes(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.AST]:
    """What runs when the ``def`` runs: decorators, defaults, annotations."""
    args = node.args
    nodes: list[ast.AST] = [*node.decorator_list, *args.defaults]
    nodes += [d for d in args.kw_defaults if d is not None]
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
    nodes += [a.annotation for a in every if a is not None and a.annotation is not None]
    if node.returns is not None:
        nodes.append(node.returns)
    return nodes


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
