"""Step outputs that cannot cross a process boundary: what an engine that saves values between
steps (dagster, airflow, kubeflow) cannot save, found from the code that makes them. Pure
analysis over the assembled steps."""

from __future__ import annotations

import ast

from nb2prod.analysis.astutil import parsed
from nb2prod.refactor.plan import Step, Unsavable

# the kind of value an expression makes that pickle (the last resort) cannot save, and the fix
_KINDS = {
    ast.GeneratorExp: ("a generator", "make it a list: [... for ...]"),
    ast.Lambda: ("a lambda", "define it with def in a cell of its own (a module-level function)"),
}


def unsavable_values(steps: tuple[Step, ...]) -> tuple[Unsavable, ...]:
    """Each step output whose last assignment in its step makes a value no file can hold."""
    found = []
    for step in steps:
        try:
            tree = parsed(step.body)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        made = _last_made(tree)
        for name in step.outputs:
            kind = made.get(name)
            if kind:
                found.append(Unsavable(step.name, name, *kind))
    return tuple(found)


def _last_made(tree: ast.Module) -> dict[str, tuple[str, str]]:
    """name -> (kind, fix) of the last top-level statement binding it, when it is unsavable."""
    made: dict[str, tuple[str, str] | None] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            kind = _kind(node.value)
            for target in node.targets:
                if isinstance(target, ast.Name):
                    made[target.id] = kind
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            made[node.name] = ("a function defined inside the step",
                               "define it in a cell of its own, so it becomes module-level")
        elif isinstance(node, ast.With):
            for item in node.items:  # with open(...) as f: f is closed after the block
                if isinstance(item.optional_vars, ast.Name):
                    made[item.optional_vars.id] = None
    return {name: kind for name, kind in made.items() if kind}


def _kind(value: ast.AST) -> tuple[str, str] | None:
    for node_type, kind in _KINDS.items():
        if isinstance(value, node_type):
            return kind
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "open":
        return ("an open file", "pass its path on, and open it in the step that reads it")
    return None
