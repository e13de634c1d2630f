"""Bugs linters find in notebook code, fixed at the source the way ruff's own fixes do.

- B006: a mutable default argument (``def f(axes=[0, 1])``) is one object shared by every call;
  it becomes ``None`` and the body makes a fresh one.
- B023: a lambda created in a loop that reads the loop variable (``lambda x: x == date``) sees
  the variable's last value if called later; it binds the current value as a default
  (``lambda x, date=date: ...``), which is what the notebook meant when it called it at once.
- F601: a dict literal that gives a key twice keeps the last value in the first place; so
  does the rewritten literal, with the key once (when the values that go cannot act or raise).
"""

from __future__ import annotations

import ast
import textwrap

import libcst as cst

from nb2prod.refactor.dead import inert, target_names

_MUTABLE_CALLS = frozenset({"list", "dict", "set"})
_MUTATORS = frozenset({"append", "extend", "insert", "pop", "remove", "clear", "update", "add",
                       "setdefault", "discard", "popitem", "sort", "reverse"})


def immutable_defaults(function: cst.FunctionDef) -> tuple[cst.FunctionDef, list[str],
                                                           list[tuple[str, str]]]:
    """``function`` with its constant mutable defaults made ``None`` and set in the body; what
    was changed (``axes=[0, 1]``), and the defaults that stay shared, with why (the function
    changes it: a cache such as ``memo={}``; or it reads names, which the body would read at
    call time instead): those keep a listed ``# noqa: B006``."""
    tree = ast.parse(textwrap.dedent(_code(function.with_changes(decorators=[])))).body[0]
    declares = any(isinstance(n, (ast.Global, ast.Nonlocal)) for n in ast.walk(tree))
    mutated = _mutated_names(tree)
    changed: list[str] = []
    shared: list[tuple[str, str]] = []
    guards: list[cst.BaseStatement] = []

    def fixed(param: cst.Param) -> cst.Param:
        if param.default is None or not _mutable_display(param.default):
            return param
        name, default = param.name.value, _code(param.default)
        written = f"{name}={' '.join(default.split())}"
        why = ("the function changes it, so it may rely on it being shared between calls (a "
               "cache)" if name in mutated else "it reads names when the function is defined; "
               "in the body it would read them at each call" if not _constant_display(param.default)
               else "the function declares globals; its body stays as written" if declares
               else "")
        if why:
            shared.append((written, why))
            return _with_comment_after(param, "# noqa: B006")
        changed.append(written)
        guards.append(cst.parse_statement(f"if {name} is None:\n    {name} = {default}\n"))
        return param.with_changes(default=cst.Name("None"))

    params = function.params
    params = params.with_changes(params=[fixed(p) for p in params.params],
                                 kwonly_params=[fixed(p) for p in params.kwonly_params],
                                 posonly_params=[fixed(p) for p in params.posonly_params])
    function = function.with_changes(params=params)
    if changed:
        function = function.with_changes(body=_after_docstring(function.body, guards))
    return function, changed, shared


def _mutated_names(function: ast.AST) -> set[str]:
    """Names the function changes in place: ``x[k] = v``, ``x += ...``, ``x.append(...)``."""
    names: set[str] = set()
    for node in ast.walk(function):
        if isinstance(node, (ast.Subscript, ast.Attribute)) and isinstance(node.ctx, ast.Store) \
                and isinstance(node.value, ast.Name):
            names.add(node.value.id)
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and isinstance(node.func.value, ast.Name) and node.func.attr in _MUTATORS:
            names.add(node.func.value.id)
    return names


def _with_comment_after(param: cst.Param, comment: str) -> cst.Param:
    """``param`` followed by its comma and ``comment``: black then keeps one parameter a line,
    so the comment stays on the line ruff reports."""
    return param.with_changes(comma=cst.Comma(whitespace_after=cst.ParenthesizedWhitespace(
        first_line=cst.TrailingWhitespace(whitespace=cst.SimpleWhitespace("  "),
                                          comment=cst.Comment(comment)),
        indent=True, last_line=cst.SimpleWhitespace("    "))))


def loop_names(target: cst.BaseAssignTargetExpression) -> set[str]:
    """The names a ``for`` loop binds (not the ``k`` of ``for d[k] in ...``, which it reads)."""
    return target_names(ast.parse(f"({_code(target)})", mode="eval").body)


def bound_loop_variables(function, loop_variables: set[str]):
    """``function`` (a lambda or a ``def``) with the loop variables it reads bound as defaults,
    and their names."""
    if not loop_variables:
        return function, []
    if isinstance(function, cst.Lambda):
        tree = ast.parse(f"({_code(function)})", mode="eval").body
        body = [tree.body]
    else:
        tree = ast.parse(textwrap.dedent(_code(function.with_changes(decorators=[])))).body[0]
        body = tree.body
    own = {a.arg for a in ast.walk(tree.args) if isinstance(a, ast.arg)}
    nodes = [n for statement in body for n in ast.walk(statement)]
    local = {n.id for n in nodes if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    local |= {name for n in nodes if isinstance(n, (ast.Global, ast.Nonlocal)) for name in n.names}
    read = sorted({n.id for n in nodes if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
                  & loop_variables - own - local)
    if not read or function.params.star_kwarg is not None:
        return function, []
    defaults = [cst.Param(cst.Name(name), default=cst.Name(name),
                          equal=cst.AssignEqual(cst.SimpleWhitespace(""),
                                                cst.SimpleWhitespace("")))
                for name in read]
    params = function.params  # keyword-only: a caller's extra argument cannot land in them
    star = params.star_arg if isinstance(params.star_arg, cst.Param) else cst.ParamStar()
    params = params.with_changes(star_arg=star, kwonly_params=[*params.kwonly_params, *defaults])
    return function.with_changes(params=params), read


def without_repeated_keys(literal: cst.Dict) -> tuple[cst.Dict, list[str]]:
    """``literal`` with each key given twice once, where Python put it (the first place) with
    the value it kept (the last one), and the entries that went. Only when what goes cannot act
    or raise (a constant or a name) and the repeats are written alike (``1`` and ``1.0`` differ)."""
    places: dict[object, list[int]] = {}
    for at, element in enumerate(literal.elements):
        key = _constant(element.key) if isinstance(element, cst.DictElement) else None
        if key is not None:
            places.setdefault(key, []).append(at)
    elements = list(literal.elements)
    gone: list[str] = []
    for at in places.values():
        if len(at) < 2 or len({_code(elements[i].key) for i in at}) > 1 \
                or not all(inert(elements[i].value) for i in at[:-1]):
            continue
        first, last = elements[at[0]], elements[at[-1]]
        gone += [f"{_code(elements[i].key)}: {' '.join(_code(elements[i].value).split())}"
                 for i in at[:-1]]
        elements[at[0]] = first.with_changes(value=last.value)
        for i in at[1:]:
            elements[i] = None
    if not gone:
        return literal, []
    kept = [e for e in elements if e is not None]
    if literal.elements[-1] is not kept[-1]:  # the last entry went: keep the literal's own comma
        kept[-1] = kept[-1].with_changes(comma=literal.elements[-1].comma)
    return literal.with_changes(elements=kept), gone


def _constant(node: cst.BaseExpression) -> object:
    """A constant key's value and type (``1`` and ``1.0`` are one key, but the dict keeps the
    first one's type: only keys of the same type are repeats to us); None for other keys."""
    if not isinstance(node, (cst.SimpleString, cst.Integer, cst.Float, cst.ConcatenatedString)):
        return None
    try:
        value = ast.literal_eval(_code(node))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    return type(value).__name__, value


def _mutable_display(node: cst.BaseExpression) -> bool:
    """A list, dict or set (ruff B006's findings): a display, a comprehension, or an empty
    ``list()``/``dict()``/``set()``."""
    if isinstance(node, cst.Call):
        return isinstance(node.func, cst.Name) and node.func.value in _MUTABLE_CALLS \
            and not node.args
    return isinstance(node, (cst.List, cst.Dict, cst.Set, cst.ListComp, cst.DictComp,
                             cst.SetComp))


def _constant_display(node: cst.BaseExpression) -> bool:
    """Made of constants only: moving it into the body reads nothing else."""
    if isinstance(node, cst.Call):
        return True  # an empty list()/dict()/set()
    try:
        ast.literal_eval(_code(node))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False
    return True


def _after_docstring(body: cst.BaseSuite, guards: list[cst.BaseStatement]) -> cst.IndentedBlock:
    statements = list(body.body) if isinstance(body, cst.IndentedBlock) \
        else [cst.SimpleStatementLine([statement.with_changes(semicolon=cst.MaybeSentinel.DEFAULT)])
              for statement in body.body]
    first = statements[0] if statements else None
    docstring = isinstance(first, cst.SimpleStatementLine) and len(first.body) == 1 \
        and isinstance(first.body[0], cst.Expr) \
        and isinstance(first.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    at = 1 if docstring else 0
    statements[at:at] = guards
    if isinstance(body, cst.IndentedBlock):
        return body.with_changes(body=statements)
    return cst.IndentedBlock(body=statements)


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)
