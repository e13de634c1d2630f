"""Helpers several notebooks define alike: written once, in ``common.py``, and imported.

A function or class is shared when every notebook that defines it defines it the same way once
formatting and comments are set aside (equal syntax trees), and each name it reads from outside
resolves to the same thing in each: the same import, a builtin, or another shared helper. One
defined differently under the same name stays in each notebook's module, and is reported.
Pure analysis over the notebooks' conversion plans.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Mapping
from dataclasses import dataclass

from nb2prod.refactor.imports import binding_names, split_import

_BUILTINS = frozenset(dir(builtins)) | {"__name__", "__file__"}


@dataclass(frozen=True)
class Definition:
    name: str
    source: str
    shape: str  # the syntax tree without formatting or comments
    free: frozenset[str]  # names it reads from its module


@dataclass(frozen=True)
class SharedHelpers:
    sources: tuple[str, ...]  # the shared definitions, in first-definition order
    imports: tuple[str, ...]  # one import per name they read from modules
    names: frozenset[str]
    differing: tuple[tuple[str, tuple[str, ...]], ...]  # (name, the notebooks that differ)


def shared_helpers(definitions: Mapping[str, tuple[str, ...]],
                   imports: Mapping[str, tuple[str, ...]]) -> SharedHelpers:
    """``definitions``/``imports``: notebook -> its plan's definitions/import lines."""
    parsed = {notebook: {d.name: d for d in map(_definition, sources) if d}
              for notebook, sources in definitions.items()}
    bound = {notebook: _import_bindings(lines) for notebook, lines in imports.items()}
    candidates, differing = _alike(parsed)
    while True:  # drop helpers that read something not shared; that may drop others
        kept = {name: keepers for name, keepers in candidates.items()
                if all(_resolves(parsed[n][name].free, n, bound, candidates) for n in keepers)}
        if kept.keys() == candidates.keys():
            break
        candidates = kept
    order = [name for notebook in definitions for name in parsed[notebook] if name in candidates]
    first = {name: parsed[candidates[name][0]][name] for name in candidates}
    needed = sorted({bound[candidates[name][0]][free] for name in candidates
                     for free in first[name].free if free in bound[candidates[name][0]]})
    return SharedHelpers(tuple(first[name].source for name in dict.fromkeys(order)),
                         tuple(needed), frozenset(candidates), tuple(differing))


def _alike(parsed: dict[str, dict[str, Definition]]):
    """name -> the notebooks defining it alike (two or more), and names defined differently."""
    by_name: dict[str, list[str]] = {}
    for notebook, found in parsed.items():
        for name in found:
            by_name.setdefault(name, []).append(notebook)
    alike: dict[str, tuple[str, ...]] = {}
    differing: list[tuple[str, tuple[str, ...]]] = []
    for name, notebooks in by_name.items():
        if len(notebooks) < 2:
            continue
        if len({parsed[n][name].shape for n in notebooks}) == 1:
            alike[name] = tuple(notebooks)
        else:
            differing.append((name, tuple(notebooks)))
    return alike, differing


def _resolves(free: frozenset[str], notebook: str, bound: dict[str, dict[str, str]],
              shared: Mapping[str, tuple[str, ...]]) -> bool:
    for name in free:
        if name in shared or name in _BUILTINS:
            continue
        statement = bound[notebook].get(name)
        if statement is None or any(bound[other].get(name) != statement
                                    for keepers in shared.values() if notebook in keepers
                                    for other in keepers):
            return False
    return True


def _import_bindings(lines: tuple[str, ...]) -> dict[str, str]:
    """name -> the one-name import statement that binds it."""
    found: dict[str, str] = {}
    for line in lines:
        if not line.lstrip().startswith(("import ", "from ")):
            continue
        for statement in split_import(line.strip()):
            for name in binding_names(statement):
                found.setdefault(name, statement)
    return found


def _definition(source: str) -> Definition | None:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], (ast.FunctionDef, ast.AsyncFunctionDef,
                                                            ast.ClassDef)):
        return None
    node = tree.body[0]
    return Definition(node.name, source, ast.dump(node), frozenset(_free_names(node)))


def _free_names(node: ast.AST) -> set[str]:
    """Names read in the definition that nothing in it binds (a coarse, safe superset: a name
    bound anywhere inside counts as bound everywhere inside, except the definition's own name)."""
    read: set[str] = set()
    bound: set[str] = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Name):
            (read if isinstance(child.ctx, ast.Load) else bound).add(child.id)
        elif isinstance(child, ast.arg):
            bound.add(child.arg)
        elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
                and child is not node:
            bound.add(child.name)
        elif isinstance(child, (ast.Import, ast.ImportFrom)):
            bound.update(a.asname or a.name.split(".")[0] for a in child.names)
        elif isinstance(child, ast.ExceptHandler) and child.name:
            bound.add(child.name)
        elif isinstance(child, (ast.Global, ast.Nonlocal)):
            read.update(child.names)  # module state: never shareable unless imported
    decorators = {n.id for d in getattr(node, "decorator_list", []) for n in ast.walk(d)
                  if isinstance(n, ast.Name)}
    declared = {n for c in ast.walk(node) if isinstance(c, (ast.Global, ast.Nonlocal)) for n in c.names}
    return (read - bound) | decorators | declared
