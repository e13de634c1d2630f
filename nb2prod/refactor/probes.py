"""Probes of a name a step binds only later, as ``try: use(pipeline_name)`` / ``except: pass``.

In the notebook the read raised NameError when no earlier cell had bound the name, and the bare
``except`` caught it. In the step function it raises UnboundLocalError, a NameError, and the same
handler catches it: the code takes the same path (a handler that prints the exception's class
names the subclass). But ruff and pyflakes let such a read pass only under a handler that names
NameError, so each probe's line gets a listed ``# noqa: F821``.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize

from nb2prod.analysis.astutil import parsed
from nb2prod.analysis.dataflow import is_builtin
from nb2prod.analysis.events import handler_catches
from nb2prod.refactor.locate import Unplaced

_NOQA = "  # noqa: F821"
_CATCHES_NAME_ERROR_UNNAMED = frozenset({"Exception", "BaseException", "UnboundLocalError"})
_NAMED_BINDERS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.ExceptHandler)
# scopes whose code runs later, if at all (a comprehension runs at once: its reads are probes)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def quiet_unbound_probes(body: str, visible: set[str]) -> tuple[str, list[Unplaced]]:
    """The step body with ``# noqa: F821`` on each line that reads, inside a ``try`` whose
    handlers catch NameError without naming it, a name the step binds only later; and those
    changes. ``visible`` are the names the step sees from outside (module names, its inputs)."""
    if "except" not in body:  # (most steps: no handler, no probe)
        return body, []
    tree = parsed(body)
    tries = [node for node in _own_scope(tree)
             if isinstance(node, ast.Try) and _catches_name_error_unnamed(node)]
    if not tries:
        return body, []
    first_bound = _first_bindings(tree)
    probes: dict[int, str] = {}
    for name in (name for node in tries for name in _loads(node.body)):
        if name.id in visible or is_builtin(name.id) or name.id not in first_bound:
            continue
        if first_bound[name.id] > (name.lineno, name.col_offset):
            probes.setdefault(name.lineno, name.id)
    if not probes:
        return body, []
    lines = body.splitlines(keepends=True)
    ends, comments = _line_ends(body)
    quieted = []
    for number in sorted(set(probes) & ends):
        line = lines[number - 1]
        lines[number - 1] = _with_f821(line, comments.get(number))
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


def _with_f821(line: str, comment: str | None) -> str:
    """The line with F821 in its ``# noqa: ...`` list, or a new ``# noqa: F821`` after its own
    comment."""
    code = line.rstrip()
    codes = _NOQA_CODES.search(comment or "")
    if codes is None:
        return code + _NOQA + "\n"
    if re.search(r"\bF821\b", codes.group()):
        return line
    at = len(code) - len(comment) + codes.end()
    return f"{code[:at]}, F821{code[at:]}\n"


_NOQA_CODES = re.compile(r"#\s*noqa:\s*[A-Z]+\d+(?:\s*,\s*[A-Z]+\d+)*", re.IGNORECASE)


def _line_ends(body: str) -> tuple[set[int], dict[int, str]]:
    """Lines that end outside any string (a comment can go at their end), and the comment each
    line has."""
    ends, comments = set(), {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(body).readline):
            if token.type in (tokenize.NEWLINE, tokenize.NL):
                ends.add(token.start[0])
            elif token.type == tokenize.COMMENT:
                comments[token.start[0]] = token.string
    except (tokenize.TokenError, SyntaxError):
        return set(), {}
    return ends, comments
