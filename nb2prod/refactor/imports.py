"""Hoisted imports: deduplicated, grouped (stdlib, third party, local), sorted, unused dropped."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable


def binding_names(statement: str) -> set[str]:
    node = ast.parse(statement).body[0]
    if isinstance(node, ast.Import):
        return {(a.asname or a.name.split(".")[0]) for a in node.names}
    if isinstance(node, ast.ImportFrom):
        return {(a.asname or a.name) for a in node.names}
    return set()


def split_import(statement: str) -> list[str]:
    """One statement per imported name, so duplicates and unused names can be dropped one by one."""
    node = ast.parse(statement).body[0]
    if isinstance(node, ast.Import):
        return [_alias("import ", a) for a in node.names]
    if isinstance(node, ast.ImportFrom):
        module = "." * node.level + (node.module or "")
        return [f"from {module} " + _alias("import ", a) for a in node.names]
    return [statement]


def organise(statements: Iterable[str], referenced: set[str]) -> tuple[str, ...]:
    """Sorted, deduplicated imports that bind a referenced name (star imports are kept), with an
    empty string between the groups (future, standard library, third party, local)."""
    single = dict.fromkeys(s for statement in statements for s in split_import(statement))
    last_binder = {}
    for statement in single:  # two imports of one name: the later one wins, as in the notebook
        for name in binding_names(statement):
            last_binder[name] = statement
    kept = sorted((s for s in single if "*" in s or any(
        last_binder.get(n) == s and n in referenced for n in binding_names(s))), key=_sort_key)
    result: list[str] = []
    for statement in kept:
        if result and _sort_key(result[-1])[0] != _sort_key(statement)[0]:
            result.append("")
        result.append(statement)
    return tuple(result)


def _alias(prefix: str, alias: ast.alias) -> str:
    return f"{prefix}{alias.name}" + (f" as {alias.asname}" if alias.asname else "")


def _sort_key(statement: str) -> tuple[int, str, int, str]:
    module = statement.split()[1]
    top = module.lstrip(".").split(".")[0]
    if module.startswith("."):
        group = 3
    elif top == "__future__":
        group = 0
    elif top in sys.stdlib_module_names:
        group = 1
    else:
        group = 2
    return (group, module.lower(), 0 if statement.startswith("import ") else 1, statement)


_EXPORTS_PROBE = (
    "import importlib, json, sys\n"
    "module = importlib.import_module(sys.argv[1])\n"
    "names = getattr(module, '__all__', None) or [n for n in dir(module) if not n.startswith('_')]\n"
    "print(json.dumps(sorted(set(map(str, names)))))\n"
)


def star_exports(module: str, timeout: int = 60) -> list[str] | None:
    """The names ``from module import *`` binds, asked of the installed module in a subprocess
    (library code, never the notebook's); None when it cannot be imported here."""
    import json
    import subprocess
    import sys

    try:
        result = subprocess.run([sys.executable, "-I", "-c", _EXPORTS_PROBE, module],
                                capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if result.returncode != 0:
        return None
    try:
        return list(json.loads(result.stdout.strip().splitlines()[-1]))
    except (ValueError, IndexError):
        return None
