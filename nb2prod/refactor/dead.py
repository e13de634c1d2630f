"""Dead assignments: values a step or function stores and nothing reads (pyflakes F841).

Inside a function an unread local is an error to linters, so it goes, whole: ``x = 1`` is
removed with its comments kept on the next statement, ``x = f()`` keeps its call (``f()``), and
``except E as e`` / ``with open(p) as f`` lose the unused name. Every removal is reported.
"""

from __future__ import annotations

import ast
import dataclasses
import re
import textwrap
from dataclasses import dataclass

import libcst as cst

from nb2prod.analysis.astutil import all_nodes, children, parsed
from nb2prod.analysis.scopes import definition_time_nodes, scope_bindings
from nb2prod.refactor.comments import CommentKeeper, removed, with_noqa
from nb2prod.refactor.fastcst import FastTransformer
from nb2prod.refactor.locate import Unplaced, one_line
from nb2prod.refactor.purity import computes_only

_ROUNDS = 5  # dropping `y = x[0]` can leave `x = f()` unread: repeat, a few times at most


@dataclass(frozen=True)
class Cleaned:
    code: str
    changes: tuple[Unplaced, ...]


def drop_dead(chunks: list[str], keep: set[str]) -> Cleaned:
    """A step body (its statements' code, in order) without assignments to names nothing reads,
    in it or in ``keep``. Names are judged on the whole body; only the statements that assign
    them are rewritten, so a long step costs no more than its dead code."""
    chunks = list(chunks)
    changes: list[Unplaced] = []
    for at, shadowed in _shadowed_definitions(chunks).items():
        transformer = _ShadowedDefinitions(shadowed)
        try:
            chunks[at] = cst.parse_module(chunks[at]).visit(transformer).code
        except RecursionError:
            continue
        changes += transformer.changes
    for round_ in range(_ROUNDS):
        names = unread(_joined(chunks), keep)
        if round_:  # loops that keep their names got their noqa in the first round
            names = dataclasses.replace(names, quiet={})
        if not names:
            break
        found = len(changes)
        taken = _NamesIn(lambda body=chunks: _joined(body))
        for at, chunk in enumerate(chunks):
            if _mentions(names, chunk):
                transformer = _DeadAssignments(names, taken)
                try:
                    code = cst.parse_module(chunk).visit(transformer).code
                except RecursionError:  # (libcst runs out of stack on a deep expression)
                    continue  # the chunk stays as it is, its dead names with it
                chunks[at] = code if code.strip() else ""  # a statement gone whole: no blank
                changes += transformer.changes
        if len(changes) == found:
            break
    return Cleaned("".join(chunks), tuple(changes))


def _shadowed_definitions(chunks: list[str]) -> dict[int, dict[str, set[int]]]:
    """Functions the step defines and binds again before anything reads them (``def
    decay(epoch)`` in one cell, ``decay = exponential_decay(...)`` in the next: pyflakes F811),
    as chunk -> name -> which of that chunk's top-level definitions of the name (0 the first).
    Only where nothing earlier mentions the name either (a function defined earlier may call
    it)."""
    if not any("def " in chunk for chunk in chunks):
        return {}
    try:
        placed = [(at, node) for at, chunk in enumerate(chunks) for node in parsed(chunk).body]
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    candidates = [index for index, (_, node) in enumerate(placed)
                  if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                  and _plain_definition(node)]
    if not candidates or any(_reads_scope(node) for _, node in placed):
        return {}  # (locals(), eval(...): any name may be read)
    wanted = {placed[index][1].name for index in candidates}
    mentioned_at: dict[str, list[int]] = {}  # name -> the statements that mention it, in order
    for index, (_, node) in enumerate(placed):
        for name in _mentioned(node, wanted):
            mentioned_at.setdefault(name, []).append(index)
    found: dict[int, dict[str, set[int]]] = {}
    seen: dict[tuple[int, str], int] = {}
    for index, (at, node) in enumerate(placed):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        occurrence = seen[at, node.name] = seen.get((at, node.name), -1) + 1
        mentions = mentioned_at.get(node.name, [])
        if index in candidates and mentions[0] == index and _bound_again_unread(
                node.name, [placed[i][1] for i in mentions if i > index]):
            found.setdefault(at, {}).setdefault(node.name, set()).add(occurrence)
    return found


def _mentioned(node: ast.AST, names: set[str]) -> set[str]:
    """Which of ``names`` the statement reads, binds, declares or writes in a string."""
    found = set()
    for n in all_nodes(node):
        kind = n.__class__
        if kind is ast.Name:
            found.add(n.id)
        elif kind in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
            found.add(n.name)
        elif kind in (ast.Global, ast.Nonlocal):
            found.update(n.names)
        elif kind is ast.alias:
            found.add((n.asname or n.name).split(".")[0])
        elif kind is ast.Constant and isinstance(n.value, str):
            found.update(re.findall(r"[A-Za-z_]\w*", n.value))
    return found & names


def _plain_definition(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Defining it runs nothing: no decorator, no default or annotation that calls."""
    return not node.decorator_list and not any(
        isinstance(n, (ast.Call, ast.NamedExpr, ast.Await, ast.Yield, ast.YieldFrom))
        for part in definition_time_nodes(node) for n in all_nodes(part))


def _bound_again_unread(name: str, later: list[ast.stmt]) -> bool:
    """Whether a later top-level statement binds ``name`` again, unconditionally, with nothing
    before it (nor its own value) mentioning the name; ``later``: the statements after the
    definition that mention the name at all."""
    for node in later:
        rebinding, header = _rebinds(node, name)
        if rebinding:
            return not any(_mentions_name(part, name) for part in header)
        if _local_to_definition(node, name):  # a function with a local of that name
            if any(_mentions_name(part, name) for part in definition_time_nodes(node)):
                return False
        elif _mentions_name(node, name):
            return False
    return False


def _local_to_definition(node: ast.stmt, name: str) -> bool:
    """A ``def`` whose body binds ``name`` itself (``def piecewise_constant(...)`` with its own
    ``def piecewise_constant_fn``): its body's mentions are its own."""
    return isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name != name \
        and name in scope_bindings(node) and not any(
            isinstance(n, (ast.Global, ast.Nonlocal)) and name in n.names for n in ast.walk(node))


def _rebinds(node: ast.stmt, name: str) -> tuple[bool, list[ast.AST]]:
    """Whether ``node`` binds ``name`` whatever happens, and the parts of it that run first."""
    if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name
                                            for t in node.targets):
        return True, [node.value, *(t for t in node.targets
                                    if not (isinstance(t, ast.Name) and t.id == name))]
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
        return True, definition_time_nodes(node)
    if isinstance(node, (ast.Import, ast.ImportFrom)) and any(
            (a.asname or a.name.split(".")[0]) == name for a in node.names):
        return True, []
    return False, []


def _mentions_name(node: ast.AST, name: str) -> bool:
    """The name read, bound or declared, or written in a string (``df.eval("@scale(a)")``)."""
    word = re.compile(rf"\b{re.escape(name)}\b")
    return any((n.__class__ is ast.Name and n.id == name)
               or (n.__class__ in (ast.Global, ast.Nonlocal) and name in n.names)
               or (n.__class__ is ast.Constant and isinstance(n.value, str)
                   and word.search(n.value) is not None)
               for n in all_nodes(node))


_SCOPE_READERS = frozenset({"locals", "globals", "vars", "eval", "exec"})


def _reads_scope(node: ast.AST) -> bool:
    """A call that may read any name: ``locals()``, ``eval(...)``, ``builtins.eval(...)``."""
    return any(n.__class__ is ast.Call and (
        (n.func.__class__ is ast.Name and n.func.id in _SCOPE_READERS)
        or (n.func.__class__ is ast.Attribute and n.func.attr in _SCOPE_READERS))
        for n in all_nodes(node))


class _ShadowedDefinitions(CommentKeeper):
    """Removes the top-level definitions :func:`_shadowed_definitions` found, comments kept."""

    def __init__(self, shadowed: dict[str, set[int]]) -> None:
        super().__init__()
        self.shadowed = shadowed
        self.seen: dict[str, int] = {}
        self.changes: list[Unplaced] = []
        self.notes: dict[int, str] = {}  # a removed definition's id -> what its comments say

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def leave_FunctionDef(self, original, updated):
        if self.blocks:
            return updated
        name = updated.name.value
        occurrence = self.seen[name] = self.seen.get(name, -1) + 1
        if occurrence not in self.shadowed.get(name, ()):
            return updated
        header = f"def {name}(...)"
        self.changes.append(Unplaced(f"def {name}(", f"removed `{header}` and its body",
                                     f"'{name}' is bound again before anything calls it "
                                     "(pyflakes F811)"))
        self.notes[id(original)] = f"removed `{header}`: '{name}' is bound again before " \
                                   "anything calls it"
        return removed(updated, note=self.notes[id(original)])

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        """The comments above a chunk's first statement are the module's header to libcst: when
        that statement went, they say so, as they would above any other."""
        note = self.notes.get(id(original.body[0])) if original.body else None
        updated = super().leave_Module(original, updated)
        if note and any(line.comment is not None for line in updated.header):
            updated = updated.with_changes(header=[
                *updated.header, cst.EmptyLine(comment=cst.Comment(f"# (nb2prod: {note})"))])
        return updated


def _joined(chunks: list[str]) -> ast.Module:
    """The body's syntax tree from its chunks' own (each parsed once and shared): a long step
    is not parsed whole again in every round, only the chunks a round rewrote. Read-only."""
    try:
        return ast.Module([node for chunk in chunks for node in parsed(chunk).body], [])
    except SyntaxError:  # (a chunk that does not stand alone)
        return parsed("".join(chunks))


def _mentions(names: Unread, chunk: str) -> bool:
    """Whether ``chunk`` binds one of ``names`` (only those chunks are rewritten, so a long step
    with a common unread name costs no more than its dead code): a cheap text test, then the
    chunk's syntax tree (a name read as `df.index` or written in a comment binds nothing)."""
    words = set(re.findall(r"[A-Za-z_]\w*", chunk))
    loop_names = names.loops | set(names.quiet)
    if not (words & names.dead or ("for" in words and words & loop_names)):
        return False
    try:
        tree = parsed(chunk)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return True
    for node in all_nodes(tree):
        kind = node.__class__
        if kind is ast.Name:
            if node.id in names.dead and node.ctx.__class__ is not ast.Load:
                return True
        elif kind in (ast.For, ast.AsyncFor):
            if target_names(node.target) & loop_names:
                return True
        elif kind is ast.ExceptHandler and node.name in names.dead:
            return True
    return False


def drop_dead_in_function(source: str) -> Cleaned:
    """The same clean-up inside a notebook function, or each method of a notebook class."""
    if not _has_unread(source):  # most functions: no need to rebuild them with libcst
        return Cleaned(source, ())
    module = cst.parse_module(source)
    definition = module.body[0]
    changes: list[Unplaced] = []
    if isinstance(definition, cst.FunctionDef):
        cleaned = _clean_function(module, definition, changes)
    elif isinstance(definition, cst.ClassDef):
        members = [_clean_function(module, member, changes)
                   if isinstance(member, cst.FunctionDef) else member
                   for member in definition.body.body]
        cleaned = definition.with_changes(body=definition.body.with_changes(body=members))
    else:
        return Cleaned(source, ())
    return Cleaned(module.with_changes(body=[cleaned, *module.body[1:]]).code, tuple(changes))


def _has_unread(source: str) -> bool:
    """Whether the function, or a method of the class, has names :func:`unread` finds."""
    try:
        definition = parsed(source).body[0]
    except (SyntaxError, ValueError, RecursionError, MemoryError, IndexError):
        return True
    functions = (ast.FunctionDef, ast.AsyncFunctionDef)
    members = [definition] if isinstance(definition, functions) else [
        m for m in definition.body if isinstance(m, functions)] if isinstance(
        definition, ast.ClassDef) else []
    return any(unread(member) for member in members)


def _clean_function(module: cst.Module, function: cst.FunctionDef,
                    changes: list[Unplaced]) -> cst.FunctionDef:
    for _ in range(_ROUNDS):
        node = ast.parse(textwrap.dedent(module.code_for_node(function))).body[0]
        names = unread(node)
        if not names:
            break
        transformer = _DeadAssignments(names, _NamesIn(lambda tree=node: tree))
        function = function.with_changes(body=function.body.visit(transformer))
        changes += transformer.changes
        if not transformer.changes:
            break
    return function


@dataclass(frozen=True)
class Unread:
    """What a scope stores and never reads: assignments (``dead``), loop variables that may take
    a ``_`` (``loops``), and loop variables some loop does not read that keep their name, with
    why (``quiet``)."""

    dead: set[str]
    loops: set[str]
    quiet: dict[str, str]

    def __bool__(self) -> bool:
        return bool(self.dead or self.loops or self.quiet)


def unread(node, keep: set[str] = frozenset()) -> Unread:
    """The scope's unread names, apart from ``keep`` and names declared global or nonlocal.

    Loop variables (``for i, row in ...``) take a ``_`` in the loops whose bodies do not read
    them (ruff B007) when the scope reads them nowhere, or only inside other loops that bind them
    again; the others keep their name (ruff B007 looks no further than the loop's body)."""
    names = _scope_names(node)
    dead = names.assigned - names.read - names.declared - set(keep)
    if not names.loop_targets:  # (most steps: the loop analyses need not walk the tree)
        return Unread(dead, set(), {})
    taken = names.read | names.assigned | names.loop_targets | names.declared
    unread_in_a_loop, read_only_in_loops = _loop_reads(node)
    read_elsewhere = names.read - read_only_in_loops
    loops = {name for name in names.loop_targets - read_elsewhere - set(keep)
             if not name.startswith("_") and unused_name(name) not in taken
             and name not in names.assigned}
    quiet = {name: f"`{unused_name(name)}` is taken" if unused_name(name) in taken
             else f"`{name}` is read outside the loop, not in it"
             for name in unread_in_a_loop - loops}
    return Unread(dead, loops, quiet)


def unused_name(name: str) -> str:
    """The name an unread loop variable takes: ``_row``; ``step_`` -> ``_step`` (linters only
    take ``_``-names that do not end in ``_`` as unused on purpose)."""
    return "_" + (name.rstrip("_") or name)


class _Loop:
    """A ``for`` loop being walked: the names its target binds, those its body reads."""

    def __init__(self, target: ast.AST) -> None:
        self.bound = target_names(target)
        self.read: set[str] = set()


def _loop_reads(node) -> tuple[set[str], set[str]]:
    """In one walk: loop variables some loop that binds them does not read in its body, and
    names every read of which is inside the body of a loop that binds the name itself."""
    unread: set[str] = set()
    only_in_loops: dict[str, bool] = {}
    stack: list[tuple[ast.AST | _Loop, tuple[_Loop, ...]]] = [(node, ())]
    while stack:
        current, loops = stack.pop()
        if isinstance(current, _Loop):  # its body is done
            unread |= {name for name in current.bound - current.read if not name.startswith("_")}
            continue
        kind = current.__class__
        if kind is ast.Name:
            if current.ctx.__class__ is ast.Load:
                enclosing = [loop for loop in loops if current.id in loop.bound]
                for loop in enclosing:
                    loop.read.add(current.id)
                only_in_loops[current.id] = only_in_loops.get(current.id, True) and bool(enclosing)
            continue
        if kind in (ast.For, ast.AsyncFor):
            loop = _Loop(current.target)
            stack.append((loop, loops))
            stack.extend((statement, (*loops, loop)) for statement in reversed(current.body))
            stack.extend((child, loops) for child in (*reversed(current.orelse), current.iter,
                                                      current.target))
            continue
        stack.extend((child, loops) for child in reversed(children(current)))
    return unread, {name for name, only in only_in_loops.items() if only}


_QUERY_NAME = re.compile(r"@([A-Za-z_]\w*)")


def _reads_every_name(call: ast.Call) -> bool:
    """``locals()``, ``vars()``, ``dir()``, ``eval(...)``, ``exec(...)``: any local may be read."""
    name = call.func.id if isinstance(call.func, ast.Name) else ""
    return name in {"locals", "eval", "exec"} or (name in {"vars", "dir"} and not call.args)


@dataclass
class _ScopeNames:
    read: set[str]
    declared: set[str]
    assigned: set[str]
    loop_targets: set[str]


def _scope_names(node) -> _ScopeNames:
    """What a scope reads, declares, assigns and loops over, in one walk of its tree."""
    names = _ScopeNames(set(), set(), set(), set())
    opaque = False
    for child, shadowed in _walk_with_shadowing(node):
        if isinstance(child, ast.Name):
            if isinstance(child.ctx, (ast.Load, ast.Del)) and child.id not in shadowed:
                names.read.add(child.id)
        elif isinstance(child, ast.Constant) and isinstance(child.value, str) and "@" in child.value:
            names.read.update(_QUERY_NAME.findall(child.value))  # df.query("x > @limit")
        elif isinstance(child, ast.Call) and _reads_every_name(child):
            opaque = True
        elif isinstance(child, ast.AugAssign) and isinstance(child.target, ast.Name):
            names.read.add(child.target.id)
        elif isinstance(child, (ast.Global, ast.Nonlocal)):
            names.declared.update(child.names)
        elif isinstance(child, ast.Assign) and len(child.targets) == 1:
            target = child.targets[0]
            if isinstance(target, ast.Name):
                names.assigned.add(target.id)
            elif _pairwise(target, child.value):  # `x, y = a, b`: two assignments in one
                names.assigned.update(element.id for element in target.elts)
        elif isinstance(child, ast.ExceptHandler) and child.name:
            names.assigned.add(child.name)
        elif isinstance(child, (ast.With, ast.AsyncWith)):
            names.assigned.update(item.optional_vars.id for item in child.items
                                  if isinstance(item.optional_vars, ast.Name))
        elif isinstance(child, (ast.For, ast.AsyncFor)):
            names.loop_targets.update(target_names(child.target))
    if opaque:  # locals(), vars(), eval(): any name may be read
        names.read |= names.assigned | names.loop_targets
    return names


def _walk_with_shadowing(node):
    """Every node below ``node`` with the names that a lambda's or nested function's parameters
    or a comprehension's targets bind there: a read of those is not a read of the scope's own."""
    stack = [(node, frozenset())]
    while stack:
        current, shadowed = stack.pop()
        yield current, shadowed
        if current is not node and isinstance(current, (ast.Lambda, ast.FunctionDef,
                                                        ast.AsyncFunctionDef)):
            # defaults, annotations and decorators are evaluated where the function is made
            arguments = current.args
            outside = [*arguments.defaults, *(d for d in arguments.kw_defaults if d is not None),
                       *getattr(current, "decorator_list", []), *_annotations(current)]
            stack.extend((child, shadowed) for child in outside)
            inner = shadowed | {a.arg for a in ast.walk(arguments) if isinstance(a, ast.arg)}
            body = current.body if isinstance(current.body, list) else [current.body]
            stack.extend((child, inner) for child in body)
            continue
        elif isinstance(current, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            outer = current.generators[0].iter  # evaluated in the enclosing scope
            stack.append((outer, shadowed))
            shadowed = shadowed | {t.id for g in current.generators for t in ast.walk(g.target)
                                   if isinstance(t, ast.Name)}
            stack.extend((child, shadowed) for child in _comprehension_parts(current)
                         if child is not outer)
            continue
        stack.extend((child, shadowed) for child in children(current))


def _annotations(function) -> list[ast.expr]:
    arguments = function.args
    every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs,
             *(a for a in (arguments.vararg, arguments.kwarg) if a is not None)]
    found = [a.annotation for a in every if a.annotation is not None]
    return [*found, function.returns] if getattr(function, "returns", None) else found


def target_names(target: ast.expr) -> set[str]:
    """The names a loop or assignment target binds: ``for i, (a, *b) in ...``; not the names in
    ``for d[k] in ...`` or ``for self.x in ...``, which it reads."""
    if isinstance(target, ast.Name):
        return {target.id}
    if isinstance(target, (ast.Tuple, ast.List)):
        return set().union(*(target_names(e) for e in target.elts))
    if isinstance(target, ast.Starred):
        return target_names(target.value)
    return set()


def _comprehension_parts(node):
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.comprehension):
            yield from ast.iter_child_nodes(child)
        else:
            yield child


class _NamesIn:
    """Every name a tree uses, worked out when first asked (a rename must not take one)."""

    def __init__(self, tree) -> None:
        self.tree = tree
        self.names: set[str] | None = None

    def __contains__(self, name: str) -> bool:
        if self.names is None:
            self.names = {n.id for n in all_nodes(self.tree()) if n.__class__ is ast.Name}
        return name in self.names


class _DeadAssignments(CommentKeeper):
    def __init__(self, names: Unread, taken: _NamesIn) -> None:
        super().__init__()
        self.taken = taken
        self.dead = names.dead
        self.loops = names.loops
        self.quiet = names.quiet
        self.changes: list[Unplaced] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False  # a nested function's locals are its own business

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def leave_ExceptHandler(self, original, updated):
        return self._drop_as_name(updated, "name", "except")

    def leave_WithItem(self, original, updated):
        return self._drop_as_name(updated, "asname", "with")

    def _drop_as_name(self, node, field: str, keyword: str):
        """``except E as e`` / ``with open(p) as f`` with the name unread lose ``as name``."""
        target = getattr(node, field)
        if target is None or not isinstance(target.name, cst.Name) or target.name.value not in self.dead:
            return node
        name = target.name.value
        self._record(f"{keyword} ... as {name}", f"`{keyword} ... as {name}` lost its name", name)
        return node.with_changes(**{field: None})

    def leave_For(self, original, updated):
        """``for i, row in rows:`` with i unread: ``for _i, row in rows:`` (the name says so)."""
        updated = super().leave_For(original, updated)
        if not (self.loops or self.quiet) or not isinstance(updated, cst.For):
            return updated
        read_here = {n.value for n in _names(original.body)}  # (or-else blocks are rare)
        renamer = _LoopTargetRenamer(self.loops - read_here)
        target = updated.target.visit(renamer)
        header = "for " + one_line(cst.Module([]).code_for_node(original.target))
        for name in renamer.renamed:  # (the line is found by `for i in`: `for i` is `for item`)
            self._record(f"{header} in ", f"loop variable `{name}` became "
                         f"`{unused_name(name)}`", name)
        updated = updated.with_changes(target=target)
        kept = sorted({n.value for n in _names(target)} & set(self.quiet) - read_here)
        return self._noqa_b007(updated, header, kept) if kept else updated

    def _noqa_b007(self, loop: cst.For, header: str, names: list[str]) -> cst.For:
        """A loop variable its loop does not read but later code does keeps its name, and the
        loop line says why ruff may pass it."""
        line = with_noqa(loop.body.header, "B007") if isinstance(loop.body, cst.IndentedBlock) \
            else None
        if line is None:
            return loop
        self.changes.append(Unplaced(f"{header} in ", f"the loop `{header} in …:` got "
                                     "`# noqa: B007`",
                                     "; ".join(self.quiet[name] for name in names)))
        return loop.with_changes(body=loop.body.with_changes(header=line))

    def leave_SimpleStatementLine(self, original, updated):
        if len(updated.body) > 1:
            return self._from_shared_line(updated)
        if not isinstance(updated.body[0], cst.Assign):
            return updated
        assign = updated.body[0]
        if len(assign.targets) != 1:
            return updated
        if isinstance(assign.targets[0].target, (cst.Tuple, cst.List)):
            return self._unpacked(updated, assign)
        if not isinstance(assign.targets[0].target, cst.Name):
            return updated
        name = assign.targets[0].target.value
        if name not in self.dead:
            return updated
        source = one_line(cst.Module([]).code_for_node(assign))
        # a value that only computes (`len(df)`, `s1.union(s2)`) goes whole, like a display; in
        # a block its call stays (a loop emptied of it would go, and its variable with it)
        whole = not self.blocks and computes_only(assign.value)
        kept = None if whole else effect(assign.value)
        if kept is not None or (self.in_try and not _literal(assign.value)):
            kept = assign.value if self.in_try else kept
            value = one_line(cst.Module([]).code_for_node(kept))
            self._record(source, f"`{source}` became `{value}`", name)
            return updated.with_changes(body=[cst.Expr(kept)])
        self._record(source, f"removed `{source}`", name)
        return removed(updated, note=f"removed `{source}`: nothing reads '{name}' afterwards")

    def _from_shared_line(self, line: cst.SimpleStatementLine):
        """``large = 22; med = 16; small = 10`` with ``small`` unread: that statement goes from
        the line (only one whose value cannot raise or act)."""
        kept = [small for small in line.body if not (
            isinstance(small, cst.Assign) and len(small.targets) == 1 and not self.in_try
            and isinstance(small.targets[0].target, cst.Name)
            and small.targets[0].target.value in self.dead and inert(small.value))]
        if len(kept) == len(line.body):
            return line
        source = one_line(cst.Module([]).code_for_node(line))
        for small in line.body:
            if small not in kept:
                name = small.targets[0].target.value
                code = one_line(cst.Module([]).code_for_node(
                    small.with_changes(semicolon=cst.MaybeSentinel.DEFAULT)))
                self.changes.append(Unplaced(source, f"removed `{code}`",
                                             f"nothing reads '{name}' afterwards"))
        if not kept:
            return removed(line, note=f"removed `{source}`: nothing reads its names afterwards")
        kept[-1] = kept[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
        return line.with_changes(body=kept)

    def _unpacked(self, updated: cst.SimpleStatementLine, assign: cst.Assign):
        """``x, y = a, b`` with ``y`` unread: ``x = a`` (when what goes cannot have effects)."""
        target, value = assign.targets[0].target, assign.value
        if not isinstance(value, cst.Tuple) or len(target.elements) != len(value.elements) \
                or not all(isinstance(e, cst.Element) and isinstance(e.value, cst.Name)
                           for e in target.elements) \
                or not all(isinstance(e, cst.Element) for e in value.elements):
            return updated
        pairs = [(t.value.value, v.value) for t, v in zip(target.elements, value.elements,
                                                          strict=True)]
        dead = [name for name, _ in pairs if name in self.dead]
        source = one_line(cst.Module([]).code_for_node(assign))
        if dead and len(dead) == len(pairs) and not self.in_try \
                and not all(inert(v) for _, v in pairs):
            # `x, y = df[cols], df[col]`, neither read: the values are still worked out (they
            # may raise or act), and nothing is bound
            code = one_line(cst.Module([]).code_for_node(value))
            self.changes.append(Unplaced(source, f"`{source}` became `{code}`", "nothing reads "
                                         f"{', '.join(repr(n) for n in dead)} afterwards"))
            return updated.with_changes(body=[cst.Expr(value)])
        if not dead:
            return updated
        if any(not inert(v) or self.in_try for n, v in pairs if n in self.dead):
            return self._renamed_unread(updated, assign, dead, source)
        # only values that cannot raise or act go: names and constants
        live = [(name, v) for name, v in pairs if name not in self.dead]
        why = f"nothing reads {', '.join(repr(n) for n in dead)} afterwards"
        if not live:
            self.changes.append(Unplaced(source, f"removed `{source}`", why))
            return removed(updated, note=f"removed `{source}`: {why}")
        code = (f"{', '.join(n for n, _ in live)} = "
                f"{', '.join(cst.Module([]).code_for_node(v) for _, v in live)}")
        self.changes.append(Unplaced(source, f"`{source}` became `{one_line(code)}`", why))
        return updated.with_changes(body=[cst.parse_statement(code + "\n").body[0]])

    def _renamed_unread(self, updated: cst.SimpleStatementLine, assign: cst.Assign,
                        dead: list[str], source: str) -> cst.SimpleStatementLine:
        """``X, y = df[cols], df["class"]`` with ``y`` unread: its value may raise, so it stays
        worked out, into ``_`` (the name pyflakes and ruff know is unread: F841)."""
        if "_" in self.taken:  # (the notebook's own `_`, or IPython's last result)
            return updated
        renamer = _LoopTargetRenamer({name for name in dead if name != "_"}, lambda _: "_")
        target = assign.targets[0].target.visit(renamer)
        for name in renamer.renamed:
            self._record(source, f"`{name}` became `_`", name)
        return updated.with_changes(body=[assign.with_changes(
            targets=[assign.targets[0].with_changes(target=target)])])

    def _record(self, line: str, what: str, name: str) -> None:
        self.changes.append(Unplaced(line, what, f"nothing reads '{name}' afterwards"))

    def dropped(self, original, header: str, why: str = "") -> None:
        self.changes.append(Unplaced(header, f"removed `{header}` and its body",
                                     why or "its body only assigned values nothing reads"))


class _LoopTargetRenamer(FastTransformer):
    def __init__(self, names: set[str], new_name=None) -> None:
        super().__init__()
        self.names = names
        self.new_name = new_name or unused_name
        self.renamed: list[str] = []

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.Name:
        if updated.value in self.names:
            self.renamed.append(updated.value)
            return updated.with_changes(value=self.new_name(updated.value))
        return updated

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        return False  # `for self.x in ...` binds an attribute, not a name

    def visit_Subscript(self, node: cst.Subscript) -> bool:
        return False


def _names(node: cst.CSTNode):
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Name):
            yield current
        stack.extend(current.children)


def _pairwise(target: ast.expr, value: ast.expr) -> bool:
    """``x, y = a, b``: names unpacked from a tuple of the same length, no starred element."""
    return isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, ast.Tuple) \
        and len(target.elts) == len(value.elts) \
        and all(isinstance(e, ast.Name) for e in target.elts) \
        and not any(isinstance(e, ast.Starred) for e in value.elts)


def inert(node: cst.BaseExpression) -> bool:
    """Evaluating it cannot raise or act: a name, a constant, or a display of such."""
    if isinstance(node, cst.Name) or _literal(node):
        return True
    if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        return all(isinstance(e, cst.Element) and inert(e.value) for e in node.elements)
    return False


def _literal(node: cst.BaseExpression) -> bool:
    """A constant: evaluating it cannot raise."""
    return isinstance(node, (cst.BaseNumber, cst.BaseString, cst.Ellipsis)) or (
        isinstance(node, cst.Name) and node.value in {"None", "True", "False"})


def effect(value: cst.BaseExpression) -> cst.BaseExpression | None:
    """What of an unread value must still run: the value when it calls, awaits or assigns
    something, but without the attributes read last (``f().eps`` -> ``f()``: a lone attribute
    read is ruff B018); None when nothing."""
    while isinstance(value, cst.Attribute):
        value = value.value
    if _unread_download(value):
        return None
    return value if _has_effect(value) else None


def _unread_download(value: cst.BaseExpression) -> bool:
    """``requests.get(url)`` whose response nothing reads (CS109's style sheet, once its
    ``HTML(styles)`` went as display-only): fetching it changes nothing the pipeline uses."""
    return isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) \
        and value.func.attr.value in {"get", "head"} and isinstance(value.func.value, cst.Name) \
        and value.func.value.value in {"requests", "httpx"} \
        and not any(_has_effect(arg.value) for arg in value.args)


def _has_effect(node: cst.CSTNode) -> bool:
    """A call, await, yield or assignment expression anywhere in ``node`` that runs when it is
    evaluated: a lambda's body runs only when it is called (its defaults run now)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, (cst.Call, cst.Await, cst.Yield, cst.NamedExpr)):
            return True
        if isinstance(current, cst.Lambda):
            stack.extend(p.default for p in (*current.params.params,
                                             *current.params.kwonly_params,
                                             *current.params.posonly_params)
                         if p.default is not None)
            continue
        stack.extend(current.children)
    return False
