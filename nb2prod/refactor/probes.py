"""Probes of a name a step binds only later, as ``try: use(pipeline_name)`` / ``except: pass``.

In the notebook the read raised NameError when no earlier cell had bound the name, and the bare
``except`` caught it. In the step function it raises UnboundLocalError, a NameError, and the same
handler catches it: the code runs as it did. But ruff and pyflakes let such a read pass only under
a handler that names NameError, so each probe's line gets a listed ``# noqa: F821``.
"""

from __future__ import annotations

import ast
import io
import tokenize

from nb2prod.analysis.astutil import parsed
from nb2prod.analysis.dataflow import is_builtin
from nb2prod.analysis.events import handler_catches
from nb2prod.refactor.locate import Unplaced

_NOQA = "  # noqa: F821"
_CATCHES_NAME_ERROR_UNNAMED = frozenset({"Exception", "BaseException", "UnboundLocalError"})
_NAMED_BINDERS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.ExceptHandler)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.ListComp,
           ast.SetComp, ast.DictComp, ast.GeneratorExp)


def quiet_unbound_probes(body: str, visible: set[str]) -> tuple[str, list[Unplaced]]:
    """The step body with ``# noqa: F821`` on each line that reads, inside a ``try`` whose
    handlers catch NameError without naming it, a name the step binds only later; and those
    changes. ``visible`` are the names the step sees from outside (module names, its inputs)."""
    tree = parsed(body)
    first_bound = _first_bindings(tree)
    probes: dict[int, str] = {}
    for node in _own_scope(tree):
        if isinstance(node, ast.Try) and _catches_name_error_unnamed(node):
            for name in _loads(node.body):
                if name.id in visible or is_builtin(name.id) or name.id not in first_bound:
                    continue
                if first_bound[name.id] > (name.lineno, name.col_offset):
                    probes.setdefault(name.lineno, name.id)
    if not probes:
        return body, []
    lines = body.splitlines(keepends=True)
    quieted = []
    for number in sorted(set(probes) & _line_ends(body)):
        line = lines[number - 1]
        if "noqa" in line:
            continue  # (nb2prod never stacks them)
        lines[number - 1] = line.rstrip("\n") + _NOQA + "\n"
        quieted.append(Unplaced(line.strip(), f"the line reading `{probes[number]}` got "
                                "`# noqa: F821`", f"it reads `{probes[number]}` before the step "
                                "binds it, and the try's handler catches the NameError, as in the "
                                "notebook; ruff only sees a handler that names NameError"))
    return "".join(lines), quieted


def _catches_name_error_unnamed(node: ast.Try) -> bool:
    """A handler catches NameError, and none names it (ruff knows ``except NameError:``)."""
    return not any(handler_catches(h, frozenset({"NameError"})) and h.type is not None
                   for h in node.handlers) \
        and any(handler_catches(h, _CATCHES_NAME_ERROR_UNNAMED) for h in node.handlers)


def _own_scope(tree: ast.AST):
    """Every node of the step's own scope, in source order (not inside defs, classes, lambdas,
    comprehensions)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        if node is tree or not isinstance(node, _SCOPES):
            stack.extend(reversed(list(ast.iter_child_nodes(node))))


def _loads(statements: list[ast.stmt]) -> list[ast.Name]:
    return [n for n in _own_scope(ast.Module(body=statements, type_ignores=[]))
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)]


def _first_bindings(tree: ast.Module) -> dict[str, tuple[int, int]]:
    """Each name the step's own scope binds -> where it is first bound."""
    first: dict[str, tuple[int, int]] = {}
    for node in _own_scope(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            where, name = (node.lineno, node.col_offset), node.id
        elif isinstance(node, _NAMED_BINDERS) and node.name:
            where, name = (node.lineno, node.col_offset), node.name
        elif isinstance(node, ast.alias):  # `import x` in the step binds x
            where, name = (node.lineno, node.col_offset), (node.asname or node.name).split(".")[0]
        else:
            continue
        first[name] = min(first.get(name, where), where)
    return first


def _line_ends(body: str) -> set[int]:
    """Lines that end outside any string: a comment can go at their end (after their own)."""
    try:
        return {token.start[0] for token in tokenize.generate_tokens(io.StringIO(body).readline)
                if token.type in (tokenize.NEWLINE, tokenize.NL)}
    except (tokenize.TokenError, SyntaxError):
        return set()
