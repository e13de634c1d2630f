"""Which imports and definitions must stay inside their step instead of moving to module level.

Hoisting is right for almost every import and ``def``. It is wrong when moving would change what
the code does or make it fail:

- the name is also assigned by step code (``say_hello = decorate(say_hello)``): inside a function
  that assignment makes the name local everywhere in it, so a module-level one is never seen;
- the definition evaluates notebook values when it is made (``def f(df=df)``, ``@register(app)``,
  ``class Model(Base)`` with a notebook ``Base``), which module level does not have;
- a class whose methods read notebook globals (methods cannot get them as parameters; kept in the
  step, they read the step's variables as closures).

Definitions that refer to one that stays must stay too.
"""

from __future__ import annotations

import ast

from nb2prod.analysis.astutil import all_nodes, parsed
from nb2prod.analysis.dataflow import BUILTIN_NAMES
from nb2prod.analysis.events import BIND, module_events
from nb2prod.analysis.scopes import free_names
from nb2prod.refactor.imports import binding_names


def keep_in_steps(pieces) -> None:
    """Move definitions and imports that must stay in their step out of the hoisted sets."""
    bound_by_steps = _names_bound_by_step_code(pieces)
    pieces.inline_imports = {line for line in pieces.imports if binding_names(line) & bound_by_steps}
    pieces.imports = [line for line in pieces.imports if line not in pieces.inline_imports]
    module = module_names(pieces) | set(BUILTIN_NAMES)
    staying = {name for name, source in pieces.definitions.items()
               if name in bound_by_steps or _needs_notebook_values(source, module, pieces.config)}
    while True:  # a hoisted definition that uses one that stays must stay too
        module -= staying
        more = {name for name, source in pieces.definitions.items() if name not in staying
                and _references(source) & staying}
        if not more:
            break
        staying |= more
    for name in sorted(staying):
        pieces.inline_definitions[name] = pieces.definitions.pop(name)
        _report_staying(pieces, name)


def _report_staying(pieces, name: str) -> None:
    """Every definition that stays in its step says so in the list of changes: the README says
    functions and classes move to module level, and this one did not."""
    from nb2prod.refactor.locate import Unplaced, located

    source = pieces.inline_definitions[name]
    cell = pieces.cells.get(pieces.definition_cells.get(name, -1))
    first = next((line for line in source.splitlines() if line.lstrip().startswith(
        ("def ", "async def ", "class "))), source.splitlines()[0] if source else name)
    pieces.changes += located([Unplaced(first.strip(), f"`{name}` stays inside its step function",
                                        "at module level it would not see notebook values it "
                                        "uses or that the step assigns to its name")],
                              [cell] if cell else [])


def deferred_reads(body: str, module_names: set[str]) -> tuple[str, ...]:
    """Globals that functions and classes defined in a step body read when they run."""
    names: dict[str, None] = {}
    for node in parsed(body).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            reads: dict[str, int] = {}
            free_names(node, reads, set(), set())
            names.update(dict.fromkeys(n for n in reads if n not in module_names))
    return tuple(names)


def _names_bound_by_step_code(pieces) -> set[str]:
    names: set[str] = set()
    for chunks in pieces.bodies.values():
        for chunk in chunks:
            if chunk.lstrip().startswith("#") and "\n" not in chunk.strip():
                continue  # a marker or a comment
            events = module_events(parsed(chunk))
            names |= {e.name for e in events if e.kind == BIND}
    return names


def module_names(pieces) -> set[str]:
    """Names the generated pipeline module binds at module level."""
    names = set(pieces.definitions) | set(pieces.stdlib_needed) | {"save_figure", "Config"}
    for line in pieces.imports:
        names |= binding_names(line)
    return names


def _needs_notebook_values(source: str, module: set[str], config) -> bool:
    node = parsed(source).body[0]
    if isinstance(node, ast.ClassDef):
        expressions = [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]
        reads: dict[str, int] = {}
        free_names(node, reads, set(), set())  # class body and methods alike
        if any(name not in module for name in reads):
            return True
    else:
        args = node.args
        expressions = [*node.decorator_list, *args.defaults, *(d for d in args.kw_defaults if d)]
    used = {n.id for expression in expressions for n in ast.walk(expression) if isinstance(n, ast.Name)}
    return bool(used - module)


def _references(source: str) -> set[str]:
    return {n.id for n in all_nodes(parsed(source)) if n.__class__ is ast.Name}
