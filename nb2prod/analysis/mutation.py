"""Which names a piece of code may change in place: the writes that are not bindings.

Shared by ``check --fix`` (a move must keep every other cell's view of a value) and the step
graph of ``convert`` (two steps touching a value one of them changes must not run in parallel).
Conservative by design: anything that *may* change a value counts.
"""

from __future__ import annotations

import ast

# calls that never change their arguments: passing a value to them is only a read
_PURE_CALLS = frozenset({
    "print", "len", "str", "repr", "int", "float", "bool", "list", "tuple", "dict", "set",
    "frozenset", "sorted", "sum", "min", "max", "abs", "round", "isinstance", "issubclass",
    "type", "range", "enumerate", "zip", "display", "id", "hash", "format", "any", "all",
    "reversed", "iter", "getattr", "hasattr", "callable", "ord", "chr", "divmod", "pow", "map",
    "filter",
})
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


# a call through a module changes the module's state when it draws from or seeds its random
# generator, or sets an option or the current figure: other calls (pd.read_csv) only read it
_STATEFUL_PARTS = frozenset({"random", "plt", "pyplot", "rcParams"})
_STATEFUL_PREFIXES = ("seed", "manual_seed", "set_", "use", "rc", "reset", "rand", "shuffle",
                      "figure", "subplot", "plot", "show", "close")


def _changes_module_state(function: ast.Attribute) -> bool:
    parts = []
    node: ast.AST = function
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return bool(_STATEFUL_PARTS & set(parts)) or function.attr.startswith(_STATEFUL_PREFIXES)


def mutated_names(tree: ast.Module | None, modules: frozenset[str] = frozenset()) -> set[str]:
    """Names whose value the top-level code of ``tree`` (not its function or class bodies) may
    change in place; with ``modules``, a module changes only through calls to its state."""
    found: set[str] = set()
    stack: list[ast.AST] = list(tree.body) if tree is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, _SCOPES):
            stack += list(getattr(node, "decorator_list", []))
            continue
        if isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(node.ctx, (ast.Store, ast.Del)):
            found |= _root(node)
        elif isinstance(node, ast.Call):
            if isinstance(node.func, ast.Attribute):
                receiver = _root(node.func.value)  # x.append(…), random.seed(…), df.a.fillna(…)
                if not receiver & modules or _changes_module_state(node.func):
                    found |= receiver
            if not (isinstance(node.func, ast.Name) and node.func.id in _PURE_CALLS):
                for argument in [*node.args, *(k.value for k in node.keywords)]:
                    found |= _root(argument)
        stack += list(ast.iter_child_nodes(node))
    return found


def _root(node: ast.AST) -> set[str]:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):
        node = node.value
    return {node.id} if isinstance(node, ast.Name) else set()


