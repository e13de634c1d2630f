"""Notebook functions that read globals become functions with explicit parameters.

In a notebook, ``def score(x): return x * weight`` reads the global ``weight`` when called. In a
module, that global no longer exists. Each global a function (or a function it calls) reads
becomes a keyword-only parameter, with the same default when the global is a config constant,
and every call site passes it explicitly (``score(x, weight=weight)``), so call sites keep working
and configuration overrides reach the function.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping

import libcst as cst

from nb2prod.analysis.dataflow import BUILTIN_NAMES
from nb2prod.analysis.scopes import scope_bindings, summarise_function
from nb2prod.refactor.fastcst import FastTransformer
from nb2prod.refactor.rename import parameter_names

_TIGHT_EQUAL = cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                               whitespace_after=cst.SimpleWhitespace(""))


def globals_needed(definitions: Mapping[str, str], module_names: set[str]) -> dict[str, list[str]]:
    """function name -> globals it needs passed in (its own and its callees'), in a stable order."""
    direct: dict[str, list[str]] = {}
    calls: dict[str, set[str]] = {}
    for name, source in definitions.items():
        node = ast.parse(source).body[0]
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        summary = summarise_function(node, name)
        declared = {n for stmt in ast.walk(node) if isinstance(stmt, ast.Global) for n in stmt.names}
        # a name the function declares `global` stays global: it cannot also be a parameter
        direct[name] = [g for g in summary.reads if g not in module_names and g not in BUILTIN_NAMES
                        and g not in summary.writes and g not in declared]
        calls[name] = {c for c in summary.calls if c in definitions}
    needed = {name: list(names) for name, names in direct.items()}
    changed = True
    while changed:
        changed = False
        for name, callees in calls.items():
            for callee in sorted(callees):
                for g in needed.get(callee, []):
                    if g not in needed[name] and g != name:
                        needed[name].append(g)
                        changed = True
    return {name: names for name, names in needed.items() if names}


def global_declarations(source: str) -> tuple[str, list[str], list[str]]:
    """A function's ``global`` declarations, split: (``source`` without those it only reads
    (``global frames`` before ``frames.append(x)``: the name then comes in as a parameter like
    any notebook value it reads), the names dropped, the names it assigns (notebook state a
    module function cannot reach))."""
    try:
        node = ast.parse(source).body[0]
    except (SyntaxError, ValueError, RecursionError, IndexError):
        return source, [], []
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return source, [], []
    declared = {n for s in ast.walk(node) if isinstance(s, ast.Global) for n in s.names}
    if not declared:
        return source, [], []
    stored = scope_bindings(node)
    read_only = sorted(declared - stored)
    if read_only:
        source = cst.parse_module(source).visit(_GlobalsDropped(set(read_only))).code
    return source, read_only, sorted(declared & stored)


class _GlobalsDropped(FastTransformer):
    def __init__(self, names: set[str]) -> None:
        super().__init__()
        self.names = names

    def leave_Global(self, original: cst.Global, updated: cst.Global):
        kept = [n for n in updated.names if n.name.value not in self.names]
        if not kept:
            return cst.RemovalSentinel.REMOVE
        kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return updated.with_changes(names=kept)


def add_parameters(source: str, names: list[str], defaults: Mapping[str, str]) -> str:
    """Add keyword-only parameters to a ``def`` (with defaults where known)."""
    module = cst.parse_module(source)
    function = module.body[0]
    if not isinstance(function, cst.FunctionDef):
        return source
    params = function.params
    existing = {p.name.value for p in (*params.params, *params.kwonly_params, *params.posonly_params)}
    new = [cst.Param(cst.Name(n), default=cst.parse_expression(defaults[n]), equal=_TIGHT_EQUAL)
           if n in defaults else cst.Param(cst.Name(n)) for n in names if n not in existing]
    star = params.star_arg if params.star_arg is not cst.MaybeSentinel.DEFAULT else cst.ParamStar()
    updated = params.with_changes(kwonly_params=[*params.kwonly_params, *new], star_arg=star)
    return module.with_changes(body=[function.with_changes(params=updated)]).code


class CallSitePatcher(FastTransformer):
    """Pass the needed globals at every call of a converted function (and wrap callbacks)."""

    def __init__(self, needed: Mapping[str, list[str]]) -> None:
        super().__init__()
        self.needed = needed
        self.uses_partial = False
        self.shadowed: list[set[str]] = []  # per enclosing function: its parameters' names

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.shadowed.append(parameter_names(node.params) & set(self.needed))

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef):
        self.shadowed.pop()
        return updated

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self.shadowed.append(parameter_names(node.params) & set(self.needed))

    def leave_Lambda(self, original: cst.Lambda, updated: cst.Lambda):
        self.shadowed.pop()
        return updated

    def _converted(self, name: str) -> bool:
        """A converted function, not a parameter of that name (``def apply(f, v): f(v)``)."""
        return name in self.needed and not any(name in names for names in self.shadowed)

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        args = [self._wrap_callback(arg) for arg in updated.args]
        if isinstance(updated.func, cst.Name) and self._converted(updated.func.value):
            passed = {a.keyword.value for a in args if a.keyword is not None}
            args += [cst.Arg(value=cst.Name(g), keyword=cst.Name(g), equal=_TIGHT_EQUAL)
                     for g in self.needed[updated.func.value] if g not in passed]
        return updated.with_changes(args=args)

    def _wrap_callback(self, arg: cst.Arg) -> cst.Arg:
        """A converted function passed as a value (``map(f, xs)``, ``callback=f``, or in a list:
        ``observers=[save_frames, show]``) becomes ``functools.partial(f, g=g)``."""
        if arg.star == "*":
            return arg
        return arg.with_changes(value=self._wrapped(arg.value))

    def _wrapped(self, value: cst.BaseExpression) -> cst.BaseExpression:
        if isinstance(value, cst.Name) and self._converted(value.value):
            self.uses_partial = True
            keywords = ", ".join(f"{g}={g}" for g in self.needed[value.value])
            return cst.parse_expression(f"functools.partial({value.value}, {keywords})")
        if isinstance(value, (cst.List, cst.Tuple, cst.Set)):
            return value.with_changes(elements=[
                e.with_changes(value=self._wrapped(e.value)) if isinstance(e, cst.Element) else e
                for e in value.elements])
        return value


def patch_calls(source: str, needed: Mapping[str, list[str]],
                mentions: re.Pattern[str] | None = None) -> tuple[str, bool]:
    """``source`` with calls patched; True when functools.partial is now used. ``mentions``
    (from :func:`mentions_of`) finds the functions' names fast when there are many sources."""
    if not needed:
        return source, False
    if not (mentions or mentions_of(needed)).search(source):
        return source, False
    patcher = CallSitePatcher(needed)
    patched = cst.parse_module(source).visit(patcher)
    return patched.code, patcher.uses_partial


def mentions_of(names: Iterable[str]) -> re.Pattern[str]:
    """A pattern that finds any of ``names`` as a word."""
    return re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, names), key=len, reverse=True)) + r")\b")
