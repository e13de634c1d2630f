"""Bugs linters find in notebook code, fixed at the source the way ruff's own fixes do.

- B006: a mutable default argument (``def f(axes=[0, 1])``) is one object shared by every call;
  it becomes ``None`` and the body makes a fresh one.
- B023: a lambda created in a loop that reads the loop variable (``lambda x: x == date``) sees
  the variable's last value if called later; it binds the current value as a default
  (``lambda x, date=date: ...``), which is what the notebook meant when it called it at once.
- F601: a dict literal that gives a key twice keeps the last value; the earlier entry goes
  (when its value calls nothing, so nothing it did is lost).
"""

from __future__ import annotations

import ast

import libcst as cst

_MUTABLE_CALLS = frozenset({"list", "dict", "set"})


def immutable_defaults(function: cst.FunctionDef) -> tuple[cst.FunctionDef, list[str]]:
    """``function`` with its mutable defaults made ``None`` and set in the body, and what was
    changed (``axes=[0, 1]``), in order."""
    changed: list[str] = []
    guards: list[cst.BaseStatement] = []

    def fixed(param: cst.Param) -> cst.Param:
        if param.default is None or not _mutable(param.default):
            return param
        name, default = param.name.value, _code(param.default)
        changed.append(f"{name}={' '.join(default.split())}")
        guards.append(cst.parse_statement(f"if {name} is None:\n    {name} = {default}\n"))
        return param.with_changes(default=cst.Name("None"))

    params = function.params
    params = params.with_changes(params=[fixed(p) for p in params.params],
                                 kwonly_params=[fixed(p) for p in params.kwonly_params],
                                 posonly_params=[fixed(p) for p in params.posonly_params])
    if not changed:
        return function, []
    return function.with_changes(params=params, body=_after_docstring(function.body, guards)), \
        changed


def loop_names(target: cst.BaseAssignTargetExpression) -> set[str]:
    """The names a ``for`` loop binds."""
    return {name.id for name in ast.walk(ast.parse(f"({_code(target)})", mode="eval"))
            if isinstance(name, ast.Name)}


def bound_loop_variables(function: cst.Lambda,
                         loop_variables: set[str]) -> tuple[cst.Lambda, list[str]]:
    """``function`` with the loop variables it reads bound as defaults, and their names."""
    if not loop_variables:
        return function, []
    tree = ast.parse(f"({_code(function)})", mode="eval").body
    own = {a.arg for a in ast.walk(tree.args) if isinstance(a, ast.arg)}
    read = sorted({n.id for n in ast.walk(tree.body) if isinstance(n, ast.Name)
                   and isinstance(n.ctx, ast.Load)} & loop_variables - own)
    if not read or function.params.star_kwarg is not None:
        return function, []
    defaults = [cst.Param(cst.Name(name), default=cst.Name(name),
                          equal=cst.AssignEqual(cst.SimpleWhitespace(""),
                                                cst.SimpleWhitespace("")))
                for name in read]
    params = function.params
    if isinstance(params.star_arg, cst.Param) or params.kwonly_params:
        params = params.with_changes(kwonly_params=[*params.kwonly_params, *defaults])
    else:
        params = params.with_changes(params=[*params.params, *defaults])
    return function.with_changes(params=params), read


def without_repeated_keys(literal: cst.Dict) -> tuple[cst.Dict, list[str]]:
    """``literal`` without the entries whose constant key a later entry gives again, and those
    entries' code."""
    last: dict[object, int] = {}
    for at, element in enumerate(literal.elements):
        key = _constant(element.key) if isinstance(element, cst.DictElement) else None
        if key is not None:
            last[key] = at
    if len(last) == sum(isinstance(e, cst.DictElement) and _constant(e.key) is not None
                        for e in literal.elements):
        return literal, []
    kept, gone = [], []
    for at, element in enumerate(literal.elements):
        key = _constant(element.key) if isinstance(element, cst.DictElement) else None
        if key is not None and last[key] != at and not _calls(element.value):
            gone.append(f"{_code(element.key)}: {' '.join(_code(element.value).split())}")
            continue
        kept.append(element)
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


def _calls(node: cst.CSTNode) -> bool:
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Call):
            return True
        stack.extend(current.children)
    return False


def _mutable(node: cst.BaseExpression) -> bool:
    if isinstance(node, (cst.List, cst.Dict, cst.Set, cst.ListComp, cst.DictComp, cst.SetComp)):
        return True
    return isinstance(node, cst.Call) and isinstance(node.func, cst.Name) \
        and node.func.value in _MUTABLE_CALLS


def _after_docstring(body: cst.BaseSuite, guards: list[cst.BaseStatement]) -> cst.IndentedBlock:
    statements = list(body.body) if isinstance(body, cst.IndentedBlock) \
        else [cst.SimpleStatementLine(list(body.body))]
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
