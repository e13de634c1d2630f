"""Which names a piece of code may change in place: the writes that are not bindings.

Shared by ``check --fix`` (a move must keep every other cell's view of a value) and the step
graph of ``convert`` (two steps touching a value one of them changes must not run in parallel).
Conservative by design: anything that *may* change a value counts.
"""

from __future__ import annotations

import ast

from nb2prod.analysis.astutil import called_name, dotted_parts

# calls that never change their arguments: passing a value to them is only a read (not
# list, sorted, sum, any...: they consume an iterator passed to them)
PURE_CALLS = frozenset({
    "print", "len", "str", "repr", "int", "float", "bool", "abs", "round", "isinstance",
    "issubclass", "type", "range", "display", "id", "hash", "format", "getattr", "hasattr",
    "callable", "ord", "chr", "divmod", "pow",
})
# calls that run code or reach a namespace no analysis sees
_HIDDEN_CALLS = frozenset({"exec", "eval", "execfile", "globals", "locals", "vars", "run_cell",
                           "setattr", "delattr"})
_MAGIC_CALLS = frozenset({"run_line_magic", "run_cell_magic"})
# methods that never change their receiver (unless asked with inplace=True): what pandas,
# numpy and scikit-learn code mostly calls; any other method may change it
READ_ONLY_METHODS = frozenset({
    "head", "tail", "describe", "info", "mean", "median", "sum", "min", "max", "std", "var",
    "count", "nunique", "unique", "value_counts", "groupby", "agg", "aggregate", "apply", "map",
    "copy", "astype", "drop", "dropna", "fillna", "replace", "rename", "merge", "join", "concat",
    "sort_values", "sort_index", "reset_index", "set_index", "pivot", "pivot_table", "melt",
    "query", "filter", "select_dtypes", "isna", "isnull", "notna", "notnull", "corr", "cov",
    "round", "abs", "cumsum", "shift", "diff", "pct_change", "rolling", "resample", "loc",
    "iloc", "get", "keys", "values", "items", "reshape", "flatten", "ravel", "transpose", "dot",
    "predict", "predict_proba", "score", "transform", "decision_function", "get_params",
    "format", "split", "strip", "lower", "upper", "startswith", "endswith", "index",
    "to_numpy", "tolist", "to_list", "to_dict", "nlargest", "nsmallest", "idxmax", "idxmin",
    "argmax", "argmin", "any", "all", "isin", "between", "clip", "where", "mask", "sample",
    "duplicated", "drop_duplicates", "quantile", "memory_usage", "equals",
    "plot", "hist", "boxplot", "scatter", "bar", "barh", "pie", "kde", "line", "area",
})
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


# a call through a module changes the module's state when it draws from or seeds its random
# generator, or sets an option or the current figure: other calls (pd.read_csv) only read it
_STATEFUL_PARTS = frozenset({"random", "plt", "pyplot", "rcParams"})
_STATEFUL_PREFIXES = ("seed", "manual_seed", "set_", "use", "rc", "reset", "rand", "shuffle",
                      "figure", "subplot", "plot", "show", "close")


def _changes_module_state(function: ast.Attribute) -> bool:
    return bool(_STATEFUL_PARTS & set(dotted_parts(function))) \
        or function.attr.startswith(_STATEFUL_PREFIXES)


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
            found |= root_names(node)
        elif isinstance(node, ast.Call):
            if isinstance(node.func, ast.Attribute):
                receiver = root_names(node.func.value)  # x.append(…), random.seed(…), df.a.fillna(…)
                if receiver & modules:
                    if _changes_module_state(node.func):
                        found |= receiver
                elif asks_inplace(node) or node.func.attr not in READ_ONLY_METHODS:
                    found |= receiver
            pure = isinstance(node.func, ast.Name) and node.func.id in PURE_CALLS
            for argument in [*node.args, *(k.value for k in node.keywords)]:
                if not pure or isinstance(argument, ast.Starred):  # print(*it) consumes it
                    found |= root_names(argument)
        stack += list(ast.iter_child_nodes(node))
    return found


def asks_inplace(call: ast.Call) -> bool:
    """``inplace=True`` (or anything but a literal False): the call changes its receiver."""
    return any(k.arg == "inplace" and not (isinstance(k.value, ast.Constant)
                                           and k.value.value is False) for k in call.keywords)


def alias_groups(pairs) -> dict[str, set[str]]:
    """Each name of the (name, name) ``pairs`` that may hold the same object -> every other name
    it may share that object with (transitively: ``b = a``, ``c = b``)."""
    group: dict[str, set[str]] = {}
    for one, other in pairs:
        if one == other:
            continue
        merged = group.get(one, {one}) | group.get(other, {other})
        for name in merged:
            group[name] = merged
    return {name: members - {name} for name, members in group.items()}


def root_names(node: ast.AST) -> set[str]:
    """The name a chain of attributes, subscripts or a starred value starts from."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):
        node = node.value
    return {node.id} if isinstance(node, ast.Name) else set()




def hidden_definitions(tree: ast.Module | None) -> str:
    """What in the code (function bodies included) can define or change names that no
    statement shows: ``eval``/``exec`` (also through ``builtins``), ``globals()``, ``vars()``,
    IPython's ``run_line_magic('run', …)``, ``setattr``, a ``__dict__`` or ``sys.modules``; ''
    when nothing."""
    for node in ast.walk(tree) if tree is not None else ():
        if isinstance(node, ast.Call):
            name = called_name(node.func)
            if name in _HIDDEN_CALLS or (name in _MAGIC_CALLS and _binding_magic(node)):
                return f"{name}()"
        elif isinstance(node, ast.Attribute) and (
                node.attr == "__dict__"
                or (node.attr == "modules" and isinstance(node.value, ast.Name)
                    and node.value.id == "sys")):
            return ast.unparse(node)
    return ""


_ENV_FUNCTIONS = {"getenv": False, "putenv": True, "unsetenv": True}  # name -> changes it
_READ_METHODS = frozenset({"get", "copy", "items", "keys", "values", "__contains__"})


def _binding_magic(call: ast.Call) -> bool:
    """``get_ipython().run_line_magic('run', 'setup.py')``: a magic that may bind names (one
    whose name or arguments are not literal may be anything)."""
    from nb2prod.notebook.ipysyntax import magic_may_bind

    values = [a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None
              for a in call.args[:2]]
    if len(values) < 2 or None in values:
        return True
    # a cell magic's body is not Python run here (%%bash, %%writefile) or is parsed as the
    # cell (%%time, %%capture): only a line magic such as %run can bind names unseen
    return call.func.attr == "run_line_magic" and magic_may_bind(values[0], values[1])


def module_attributes(tree: ast.Module | None, modules: frozenset[str]
                      ) -> tuple[set[str], set[str]]:
    """Module attributes the code reads and changes, as ``module.attr`` names:
    ``os.environ['MODE'] = 'prod'`` changes ``os.environ``, ``os.environ.get(...)`` and
    ``os.getenv(...)`` read it."""
    reads: set[str] = set()
    writes: set[str] = set()
    for node in ast.walk(tree) if tree is not None else ():
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id in modules:
            if node.attr in _ENV_FUNCTIONS:
                (writes if _ENV_FUNCTIONS[node.attr] else reads).add(f"{node.value.id}.environ")
            else:
                stored = isinstance(node.ctx, (ast.Store, ast.Del))
                (writes if stored else reads).add(f"{node.value.id}.{node.attr}")
        changed = _changed_module_attribute(node, modules)
        if changed:
            writes.add(changed)
    return reads, writes


def _changed_module_attribute(node: ast.AST, modules: frozenset[str]) -> str:
    """``os.environ[k] = v``, ``del os.environ[k]``, ``os.environ.update(…)``: 'os.environ'."""
    if isinstance(node, ast.Subscript) and isinstance(node.ctx, (ast.Store, ast.Del)):
        target = node.value
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
            and node.func.attr not in _READ_METHODS:
        target = node.func.value
    else:
        return ""
    if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) \
            and target.value.id in modules:
        return f"{target.value.id}.{target.attr}"
    return ""
