"""The step graph: which steps must run before which, for engines that run independent steps in
parallel (the orchestrator templates). Pure analysis over the assembled steps.

The edges come from the data flow, not from notebook order, and they are conservative: a step
runs after
- the step that produced each value it takes (the last one before it);
- every earlier step that touched a value it may change in place (``df["x"] = …``,
  ``lst.append``, passing it to a call, through an alias: ``b = a``, ``for row in rows``), and a
  step reading a value after an in-place change runs after the change;
- every earlier step that reads or writes files (paths built in code, or two config fields
  naming one file, could be anything);
- every earlier step that uses the same shared state: a module's random generator, seeded or not,
  matplotlib's current figure, a notebook function's globals.
Two steps linked by none of these run in either order with the same results. What the code
cannot show makes the order stay: a step that does not parse, or changes process-wide state
(options, the environment, the working folder), keeps its place relative to every step.
"""

from __future__ import annotations

import ast
from dataclasses import replace
from itertools import combinations

from nb2prod.analysis.astutil import all_nodes, called_name, dotted_parts, parsed
from nb2prod.analysis.dataflow import is_builtin
from nb2prod.analysis.mutation import (
    PURE_CALLS,
    READ_ONLY_METHODS,
    alias_groups,
    asks_inplace,
    root_names,
)
from nb2prod.refactor.plan import Step

# calls that read or write files, by their last name part (pd.read_csv, df.to_parquet, open...)
_FILE_PREFIXES = ("read_", "to_", "save", "load", "dump")
_FILE_CALLS = frozenset({"open", "savefig", "imread", "imwrite", "imsave", "write_text",
                         "write_bytes", "read_text", "read_bytes", "mkdir", "makedirs", "unlink",
                         "rmtree", "copy", "copyfile", "copytree", "move", "remove", "rename",
                         "replace", "listdir", "scandir", "walk", "glob", "rglob", "iterdir",
                         "exists", "isfile", "isdir", "getsize", "stat", "touch", "connect",
                         "save_figure", "loadtxt", "savetxt", "genfromtxt", "ExcelWriter",
                         "read_sql", "read_sql_query", "read_sql_table", "Path", "urlretrieve",
                         "system", "run", "call", "check_call", "check_output", "Popen"})
# libraries whose functions return new values rather than change their arguments
_COPYING_LIBRARIES = frozenset({"numpy", "pandas", "scipy", "sklearn", "statsmodels", "seaborn",
                                "matplotlib", "math", "statistics", "json", "re", "datetime",
                                "pathlib", "textwrap", "string", "itertools", "functools",
                                "operator", "xgboost", "lightgbm", "catboost", "plotly"})
_IN_PLACE_FUNCTIONS = frozenset({"shuffle", "heappush", "heappop", "heapify", "heapreplace",
                                 "heappushpop", "insort", "insort_left", "insort_right", "copyto",
                                 "put", "place", "putmask", "fill_diagonal", "update"})
_MODEL_METHODS = ("fit", "partial_fit", "predict", "score", "transform", "evaluate")
# calls that change process-wide state: a step making one keeps its order around every step
_PROCESS_PREFIXES = ("set_", "set", "use", "chdir", "putenv", "unsetenv", "filterwarnings",
                     "simplefilter", "reset", "rc", "register", "configure", "seed", "enable",
                     "disable", "add_dll", "umask")
_PROCESS_OBJECTS = frozenset({"environ", "path", "options", "rcParams", "modules", "argv"})
_READING = frozenset({"get", "copy", "items", "keys", "values", "join", "exists", "isfile",
                      "isdir", "basename", "dirname", "abspath", "splitext", "split"})
_PROCESS_CALLS = frozenset({"chdir", "putenv", "setattr", "delattr", "exec", "eval",
                            "basicConfig", "setrecursionlimit", "set_option", "set_printoptions"})
_PLOTTING_MODULES = frozenset({"plt", "pyplot", "sns", "seaborn", "matplotlib", "mpl"})
_PLOTTING_METHODS = frozenset({"plot", "hist", "boxplot", "scatter", "bar", "barh", "pie",
                               "kde", "line", "area", "imshow", "heatmap", "savefig",
                               "save_figure"})
_RANDOM_PART = frozenset({"random"})
_RANDOM_PREFIXES = ("seed", "manual_seed", "rand", "shuffle", "choice", "permutation")
_FILE_EXCEPTIONS = frozenset({"to_numpy", "to_list", "to_dict", "to_frame", "to_string",
                              "to_datetime", "to_numeric", "to_timedelta", "to_records",
                              "to_period", "to_timestamp", "to_series", "to_array", "to_dense"})


def step_graph(steps: tuple[Step, ...], modules: dict[str, str],
               functions: frozenset[str] = frozenset()) -> tuple[Step, ...]:
    """``steps`` with ``after`` (the names of the steps each must follow, transitively reduced,
    in notebook order) and ``changes`` (the inputs each may change in place) set. ``modules``:
    each name the pipeline imports at module level -> the top-level package it comes from;
    ``functions``: the functions and classes the notebook defines."""
    trees = [_parsed(step.body) for step in steps]
    aliases = alias_groups(pair for tree in trees if tree is not None for pair in _shared_pairs(tree))
    facts = [_facts(step, tree, modules, functions, aliases)
             for step, tree in zip(steps, trees, strict=True)]
    reduced = _transitive_reduction(len(steps), _edges(steps, facts))
    return tuple(replace(
        step, changes=tuple(n for n in step.inputs if n in fact.changes),  # config: not passed
        after=tuple(steps[before].name for before in sorted(
            before for before, after in reduced if after == index)))
        for index, (step, fact) in enumerate(zip(steps, facts, strict=True)))


class _Facts:
    """What one step touches, as far as its code shows (names widened to their aliases)."""

    def __init__(self, names: set[str], changes: set[str], state: set[str],
                 files: bool) -> None:
        self.names = names  # values it takes or makes
        self.changes = changes  # values it may change in place
        self.state = state  # shared state: "process" (a barrier), "figure", "random", "globals"
        self.files = files  # reads or writes files (all such steps keep their order)


def _parsed(body: str) -> ast.Module | None:
    try:
        return parsed(body)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _facts(step: Step, tree: ast.Module | None, modules: dict[str, str],
           functions: frozenset[str], aliases: dict[str, set[str]]) -> _Facts:
    # a mutable config field (REGISTRY = []) is one object the steps share too
    names = _widened({*step.inputs, *step.outputs, *step.config_fields}, aliases)
    if tree is None:
        return _Facts(names, names, {"process"}, True)  # unknown: it follows everything
    changed = _changed(tree, modules, functions) - set(modules)
    state = _shared_state(tree, frozenset(modules), functions)
    if step.nondeterministic:
        state.add("random")
    return _Facts(names, _widened(changed, aliases) & names, state, _touches_files(tree))


def _changed(tree: ast.AST, modules: dict[str, str], functions: frozenset[str]) -> set[str]:
    """Values the code may change in place: stores into them, methods not known to be read-only
    (or asked ``inplace=True``), and values passed to a call that may change its arguments:
    anything but a read-only builtin or a function of a data library that works on copies
    (numpy, pandas, scikit-learn...: ``pd.cut(df.age)``, ``train_test_split(X, y)``) unless it
    is one of their in-place functions or is given ``out=``."""
    changed: set[str] = set()
    for node in all_nodes(tree):
        if isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(node.ctx, (ast.Store, ast.Del)):
            changed |= root_names(node)
        elif isinstance(node, ast.AugAssign):
            changed |= root_names(node.target)
        elif isinstance(node, ast.Call):
            changed |= _call_changes(node, modules, functions)
    return changed


def _call_changes(call: ast.Call, modules: dict[str, str], functions: frozenset[str]) -> set[str]:
    function = call.func
    name = called_name(function)
    receiver = root_names(function.value) if isinstance(function, ast.Attribute) else set()
    found: set[str] = set()
    if receiver and not receiver & set(modules):  # a method of a value
        if asks_inplace(call) or name not in READ_ONLY_METHODS:
            found |= receiver
        library = name in READ_ONLY_METHODS or name.startswith(_MODEL_METHODS)
    else:
        owner = modules.get(next(iter(receiver), "") if receiver else name, "")
        library = owner in _COPYING_LIBRARIES or (not owner and is_builtin(name)
                                                   and name in PURE_CALLS)
    if name in functions or name in _IN_PLACE_FUNCTIONS or not library \
            or any(k.arg == "out" for k in call.keywords):
        for argument in [*call.args, *(k.value for k in call.keywords)]:
            found |= root_names(argument)
    return found


def _widened(names: set[str], aliases: dict[str, set[str]]) -> set[str]:
    return names | {other for name in names for other in aliases.get(name, ())}


def _shared_pairs(tree: ast.AST):
    """Names that may hold the same object: ``b = a``, ``for row in rows`` (a row of rows
    changed is rows changed), ``with x as y``."""
    for node in all_nodes(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                for name in root_names(target) if isinstance(target, ast.Name) else ():
                    yield from ((name, source) for source in root_names(node.value))
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            for name in _bound(node.target):
                yield from ((name, source) for source in root_names(node.iter))
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            for name in _bound(node.optional_vars):
                yield from ((name, source) for source in root_names(node.context_expr))


def _bound(target: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}


def _shared_state(tree: ast.AST, modules: frozenset[str], functions: frozenset[str]) -> set[str]:
    """Process-wide state a step changes (options, the environment, the working folder, a
    module's attributes: a barrier every step keeps its order around), matplotlib's figure,
    random generators, and the notebook's own functions and classes (which may share globals)."""
    state: set[str] = set()
    for node in all_nodes(tree):
        if isinstance(node, ast.Name) and node.id in functions:
            state.add("globals")
        if isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(
                node.ctx, (ast.Store, ast.Del)) and root_names(node) & modules:
            state.add("process")  # os.environ[...] = ..., np.x = ..., pd.options... = ...
        if not isinstance(node, ast.Call):
            continue
        function = node.func
        name = called_name(function)
        receiver = root_names(function.value) if isinstance(function, ast.Attribute) else set()
        if receiver & _PLOTTING_MODULES or name in _PLOTTING_METHODS:
            state.add("figure")  # drawing on matplotlib's current figure
        if receiver & modules and (_RANDOM_PART & set(dotted_parts(function))
                                   or name.startswith(_RANDOM_PREFIXES)):
            state.add("random")
        if (receiver & modules and name.startswith(_PROCESS_PREFIXES)) or name in _PROCESS_CALLS:
            state.add("process")
        parts = dotted_parts(function)[1:]  # os.environ.update(...), sys.path.append(...)
        if receiver & modules and _PROCESS_OBJECTS & set(parts) and name not in _READING:
            state.add("process")
    return state


def _touches_files(tree: ast.AST) -> bool:
    for node in all_nodes(tree):
        if isinstance(node, ast.Call):
            function = node.func
            name = called_name(function)
            if name not in _FILE_EXCEPTIONS and (
                    name in _FILE_CALLS or name.startswith(_FILE_PREFIXES)):
                return True
    return False


def _edges(steps: tuple[Step, ...], facts: list[_Facts]) -> set[tuple[int, int]]:
    """Edges whose transitive closure is "must follow" (_must_follow, over every pair), found in
    one pass: each input from its last producer; a value's changer after every step that
    touched it since its last changer, and its readers after that changer; each kind of shared
    state and the files in a chain; a process-wide step after every step since the last one and
    before every later step. Linear in the steps, where pairs were quadratic."""
    edges: set[tuple[int, int]] = set()
    last_made: dict[str, int] = {}  # value -> the last step so far that returns it
    changer: dict[str, int] = {}  # value -> the last step that may have changed it in place
    touched: dict[str, list[int]] = {}  # value -> steps that took or made it since then
    last_state: dict[str, int] = {}  # shared state ("figure", "files"...) -> its last step
    barrier: int | None = None
    since_barrier: list[int] = []
    for later, (step, fact) in enumerate(zip(steps, facts, strict=True)):
        before = {last_made[name] for name in step.inputs if name in last_made}
        for name in fact.names:
            before |= {changer[name]} if name in changer else set()
            if name in fact.changes:
                before.update(touched.get(name, ()))
        kinds = fact.state | ({"files"} if fact.files else set())
        before |= {last_state[kind] for kind in kinds if kind in last_state}
        before |= set(since_barrier) if "process" in fact.state else set()
        before |= {barrier} if barrier is not None else set()
        edges |= {(earlier, later) for earlier in before if earlier != later}
        for name in fact.names:
            if name in fact.changes:
                changer[name], touched[name] = later, []
            else:
                touched.setdefault(name, []).append(later)
        last_made.update(dict.fromkeys(step.outputs, later))
        last_state.update(dict.fromkeys(kinds, later))
        if "process" in fact.state:
            barrier, since_barrier = later, []
        else:
            since_barrier.append(later)
    return edges


def _must_follow(first: _Facts, second: _Facts) -> bool:
    """Whether a later step must wait for an earlier one, data flow aside (step_graph finds
    each input's last producer itself)."""
    if first.names & second.names & (first.changes | second.changes):
        return True
    if "process" in first.state or "process" in second.state or first.state & second.state:
        return True
    return first.files and second.files


def _transitive_reduction(count: int, edges: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """The edges no longer path implies (the graph is ordered by index, so it has no cycle):
    an edge a -> b goes when b is reachable from another successor of a. Linear in the edges
    (bitmask sets), so a notebook of thousands of cells is not quadratic in its edges."""
    successors: list[list[int]] = [[] for _ in range(count)]
    for before, after in edges:
        successors[before].append(after)
    reach: list[int] = [0] * count  # bitmask of the steps reachable from each step
    through: list[int] = [0] * count  # ... reachable through one of its successors
    for node in reversed(range(count)):
        for after in successors[node]:
            through[node] |= reach[after]
        reach[node] = through[node]
        for after in successors[node]:
            reach[node] |= 1 << after
    return {(a, b) for a, b in edges if not through[a] >> b & 1}


def independent_pairs(steps: tuple[Step, ...]) -> list[tuple[str, str]]:
    """Pairs of steps neither of which must follow the other (what an engine may run at once)."""
    ancestors: dict[str, set[str]] = {}
    for step in steps:
        ancestors[step.name] = set(step.after).union(*(ancestors[a] for a in step.after))
    return [(a.name, b.name) for a, b in combinations(steps, 2) if a.name not in ancestors[b.name]]
