"""The step graph: which steps must run before which, for engines that run independent steps in
parallel (the orchestrator templates). Pure analysis over the assembled steps.

The edges come from the data flow, not from notebook order, and they are conservative: a step
runs after
- the step that produced each value it takes (the last one before it);
- every earlier step that touched a value it may change in place (``df["x"] = …``,
  ``lst.append``, passing it to a call), and a step reading a value after an in-place change
  runs after the change;
- every earlier step touching the same file (through the same config field), and every earlier
  step that reads or writes files when either one's file is not a config field (a path built in
  code could be anything);
- every earlier step that uses the same shared state: a module's random generator, seeded or not,
  matplotlib's current figure, a notebook function's globals.
Two steps linked by none of these run in either order with the same results.
"""

from __future__ import annotations

import ast
from dataclasses import replace
from itertools import combinations

from nb2prod.analysis.astutil import dotted_parts
from nb2prod.analysis.mutation import READ_ONLY_METHODS, asks_inplace, root_names
from nb2prod.refactor.plan import Step

# calls that read or write files, by their last name part (pd.read_csv, df.to_parquet, open...)
_FILE_PREFIXES = ("read_", "to_", "save", "load", "dump")
_FILE_CALLS = frozenset({"open", "savefig", "imread", "imwrite", "imsave", "write_text",
                         "write_bytes", "read_text", "read_bytes", "mkdir", "unlink", "rmtree",
                         "copy", "copyfile", "move", "remove", "rename", "listdir", "glob",
                         "save_figure", "loadtxt", "savetxt", "genfromtxt", "ExcelWriter"})
_MUTATORS = frozenset({"shuffle", "setattr", "delattr", "exec", "eval"})
_PLOTTING_MODULES = frozenset({"plt", "pyplot", "sns", "seaborn", "matplotlib", "mpl"})
_PLOTTING_METHODS = frozenset({"plot", "hist", "boxplot", "scatter", "bar", "barh", "pie",
                               "kde", "line", "area", "imshow", "heatmap", "savefig",
                               "save_figure"})
_RANDOM_PART = frozenset({"random"})
_RANDOM_PREFIXES = ("seed", "manual_seed", "rand", "shuffle", "choice", "permutation")
_FILE_EXCEPTIONS = frozenset({"to_numpy", "to_list", "to_dict", "to_frame", "to_string",
                              "to_datetime", "to_numeric", "to_timedelta", "to_records",
                              "to_period", "to_timestamp", "to_series", "to_array", "to_dense"})


def step_graph(steps: tuple[Step, ...], modules: frozenset[str],
               functions: frozenset[str] = frozenset()) -> tuple[Step, ...]:
    """``steps`` with ``after`` set: the names of the steps each must follow (transitively
    reduced, in notebook order). ``modules``: the names the pipeline imports at module level;
    ``functions``: the functions and classes the notebook defines."""
    facts = [_facts(step, modules, functions) for step in steps]
    edges: set[tuple[int, int]] = set()
    for later, (step, fact) in enumerate(zip(steps, facts, strict=True)):
        for earlier in range(later):
            if _must_follow(steps[earlier], facts[earlier], step, fact, steps[earlier:later]):
                edges.add((earlier, later))
    reduced = _transitive_reduction(len(steps), edges)
    return tuple(replace(step, after=tuple(steps[before].name for before in sorted(
        before for before, after in reduced if after == index)))
        for index, step in enumerate(steps))


class _Facts:
    """What one step touches, as far as its code shows."""

    def __init__(self, changes: set[str], state: set[str], fields: set[str],
                 touches_files: bool, unknown_files: bool) -> None:
        self.changes = changes  # values (inputs) it may change in place
        self.state = state  # shared state it uses: module names, "figure", "random"
        self.fields = fields  # config fields that name files it reads or writes
        self.touches_files = touches_files
        self.unknown_files = unknown_files  # a file whose name no config field gives


def _facts(step: Step, modules: frozenset[str], functions: frozenset[str]) -> _Facts:
    try:
        tree = ast.parse(step.body)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return _Facts(set(step.inputs), {"*"}, set(), True, True)  # unknown: follows everything
    changes, state = _changes(tree, modules, functions)
    if step.nondeterministic:
        state.add("random")
    fields, touches, unknown = _file_use(tree, set(step.config_fields))
    return _Facts(changes & set(step.inputs), state, fields, touches, unknown)


def _changes(tree: ast.AST, modules: frozenset[str], functions: frozenset[str]
             ) -> tuple[set[str], set[str]]:
    """(values the code may change in place, shared state it uses). A method call changes its
    receiver unless it is a known read-only method without ``inplace=True``; a call passes its
    arguments to be changed only when it is the notebook's own function or a known mutator."""
    changed: set[str] = set()
    state: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(node.ctx, (ast.Store, ast.Del)):
            changed |= root_names(node)
        elif isinstance(node, ast.AugAssign):
            changed |= root_names(node.target)
        elif isinstance(node, ast.Call):
            _call_changes(node, modules, functions, changed, state)
        elif isinstance(node, ast.Name) and node.id in functions:
            state.add("globals")  # the notebook's functions may share module-level state
    return changed, state


def _call_changes(node: ast.Call, modules: frozenset[str], functions: frozenset[str],
                  changed: set[str], state: set[str]) -> None:
    function = node.func
    name = function.attr if isinstance(function, ast.Attribute) else (
        function.id if isinstance(function, ast.Name) else "")
    receiver = root_names(function.value) if isinstance(function, ast.Attribute) else set()
    if receiver & _PLOTTING_MODULES or name in _PLOTTING_METHODS:
        state.add("figure")  # drawing on matplotlib's current figure
    if receiver & modules:
        if _RANDOM_PART & set(dotted_parts(function)) or name.startswith(_RANDOM_PREFIXES):
            state.add("random")
        return
    if receiver and (asks_inplace(node) or name not in READ_ONLY_METHODS):
        changed |= receiver
    if name in functions or name in _MUTATORS:
        for argument in [*node.args, *(k.value for k in node.keywords)]:
            changed |= root_names(argument)


def _file_use(tree: ast.AST, config_fields: set[str]) -> tuple[set[str], bool, bool]:
    fields: set[str] = set()
    touches = unknown = False
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not _is_file_call(node.func):
            continue
        touches = True
        named = {n.id for argument in [*node.args, *(k.value for k in node.keywords),
                                       _receiver(node.func)]
                 if argument is not None for n in ast.walk(argument)
                 if isinstance(n, ast.Name) and n.id in config_fields}
        fields |= named
        unknown = unknown or not named
    return fields, touches, unknown


def _is_file_call(function: ast.AST) -> bool:
    name = function.attr if isinstance(function, ast.Attribute) else (
        function.id if isinstance(function, ast.Name) else "")
    if name in _FILE_EXCEPTIONS:
        return False
    return name in _FILE_CALLS or name.startswith(_FILE_PREFIXES)


def _receiver(function: ast.AST) -> ast.AST | None:
    return function.value if isinstance(function, ast.Attribute) else None


def _must_follow(before: Step, first: _Facts, step: Step, second: _Facts,
                 between: tuple[Step, ...]) -> bool:
    produced_here = {name for name in step.inputs if _last_producer(name, between) is before}
    if produced_here:
        return True
    shared_values = (set(before.inputs) | set(before.outputs)) & set(step.inputs)
    if shared_values & (first.changes | second.changes):
        return True
    if "*" in first.state or "*" in second.state or first.state & second.state:
        return True
    if first.touches_files and second.touches_files:
        return first.fields & second.fields or first.unknown_files or second.unknown_files
    return False


def _last_producer(name: str, steps: tuple[Step, ...]) -> Step | None:
    return next((s for s in reversed(steps) if name in s.outputs), None)


def _transitive_reduction(count: int, edges: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """The edges no longer path implies (the graph is ordered by index, so it has no cycle)."""
    reach: list[int] = [0] * count  # bitmask of the steps reachable from each step
    for node in reversed(range(count)):
        for before, after in edges:
            if before == node:
                reach[node] |= reach[after] | (1 << after)
    return {(a, b) for a, b in edges
            if not any(reach[a] >> c & 1 and reach[c] >> b & 1 for c in range(a + 1, b))}


def independent_pairs(steps: tuple[Step, ...]) -> list[tuple[str, str]]:
    """Pairs of steps neither of which must follow the other (what an engine may run at once)."""
    ancestors: dict[str, set[str]] = {}
    for step in steps:
        ancestors[step.name] = set(step.after).union(*(ancestors[a] for a in step.after))
    return [(a.name, b.name) for a, b in combinations(steps, 2) if a.name not in ancestors[b.name]]
