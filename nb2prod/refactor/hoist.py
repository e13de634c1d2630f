"""Pass 2 — hoist: what moves to module level, and what it needs to work there.

Star imports become explicit; imports and definitions that must stay in their step stay (see
:mod:`nb2prod.refactor.inline`); functions that read notebook globals get them as keyword
parameters, passed at every call; dead assignments inside functions go (reported).
"""

from __future__ import annotations

import ast
import importlib.util
import re
import sys

from nb2prod.analysis.astutil import all_nodes, parsed
from nb2prod.analysis.dataflow import BUILTIN_NAMES
from nb2prod.analysis.scopes import free_names
from nb2prod.notebook.pylab import PYLAB_MODULES, pylab_imports
from nb2prod.pin.mapping import known_import, looks_local
from nb2prod.refactor.dead import drop_dead_in_function
from nb2prod.refactor.functions import (
    add_parameters,
    global_declarations,
    globals_needed,
    mentions_of,
    patch_calls,
)
from nb2prod.refactor.imports import ExportsUnknown, binding_names, star_exports
from nb2prod.refactor.inline import keep_in_steps
from nb2prod.refactor.inline import module_names as all_module_names
from nb2prod.refactor.local_modules import local_exports
from nb2prod.refactor.locate import Unplaced, definition_line, located, star_import_line
from nb2prod.refactor.pieces import (
    RESERVED,
    Collected,
    Pieces,
    import_marker,
    marked_import,
    removed_import_note,
)
from nb2prod.refactor.plan import Change, ConvertWarning

_PATH_CHANGE = re.compile(r"\bsys\.path\s*(?:\.\s*(?:append|insert|extend)\b|\+=|=|\[)"
                          r"|\bsite\.addsitedir\b|\bos\.chdir\b")


def hoist(collected: Collected) -> Collected:
    pieces = collected.thaw()
    _explicit_star_imports(pieces)
    _import_missing_modules(pieces)
    keep_in_steps(pieces)
    _keep_imports_after_path_changes(pieces)
    _explicit_globals(pieces)
    return pieces.freeze()


def _keep_imports_after_path_changes(pieces: Pieces) -> None:
    """An import that follows ``sys.path.append(...)`` (or ``os.chdir``) may find its module only
    because of it: it stays in its step, after the change, instead of moving above it."""
    changed = False
    for cell, chunks in pieces.bodies.items():  # in cell order
        for at, chunk in enumerate(chunks):
            line = marked_import(chunk)
            if line:
                top = line.split()[1].lstrip(".").split(".")[0]
                if changed and line in pieces.imports and _may_be_local(top):
                    pieces.inline_imports.add(line)
                    if line.endswith("import *"):
                        chunks[at] = _star_import_left_in_a_step(pieces, cell, line)
            elif not chunk.startswith("#") and _PATH_CHANGE.search(chunk):
                changed = True
    pieces.imports = [line for line in pieces.imports if line not in pieces.inline_imports]


def _star_import_left_in_a_step(pieces: Pieces, cell: int, line: str) -> str:
    """A star import that must stay after its sys.path change cannot: Python allows `import *`
    only at module level. It stays as a TODO naming what to do."""
    why = ("cannot stay in a step function (Python allows `import *` only at module level); "
           "import the names the step uses from it explicitly")
    pieces.warnings.append(ConvertWarning(cell, 1, f"`{line}` {why}"))
    pieces.changes += located([Unplaced(line, f"`{line}` became a TODO comment", f"`{line}` {why}")],
                              [pieces.cells[cell]])
    return f"# TODO(nb2prod): {line}: {why}\n"


def _may_be_local(top: str) -> bool:
    """Not the standard library, not a known PyPI import, not installed here: perhaps a module
    only the changed sys.path finds (looked up without importing anything)."""
    if top in sys.stdlib_module_names or known_import(top):
        return False
    if looks_local(top):
        return True
    try:
        return importlib.util.find_spec(top) is None
    except (ImportError, ValueError):
        return True


def _explicit_star_imports(pieces: Pieces) -> None:
    """``from x import *`` becomes explicit imports of the names the code uses and no import binds
    otherwise: asked of the installed module (or, for pylab, of nb2prod's table). When the last
    module that could provide a name is not installed here and is the only such star import, the
    names are taken to come from it; with several unknown modules the star imports stay, with a
    warning, as does one whose module could not be asked (its import timed out or crashed). A
    later star import wins a name, as in Python."""
    stars = [line for line in pieces.imports if line.endswith("import *")]
    if not stars:
        return
    wanted = _undefined_names(pieces)
    exports, failed = {}, {}
    for line in stars:
        try:
            exports[line] = _exports(line.split()[1], pieces.folder)
        except ExportsUnknown as error:
            exports[line], failed[line] = None, str(error)
    unknown = [line for line in stars if exports[line] is None]
    for line in reversed(stars):
        if line in failed or (exports[line] is None and len(unknown) > 1):
            why = (f"nb2prod could not ask {line.split()[1]} for its names: {failed[line]}"
                   if line in failed else f"{line.split()[1]} is not importable here, so the "
                   "names it provides are unknown")
            pieces.warnings.append(ConvertWarning(-1, 0, f"`{line}` stays a star import: {why}"))
            continue
        names = sorted(wanted if exports[line] is None else wanted & set(exports[line]))
        _make_explicit(pieces, line, [_explicit(line.split()[1], name) for name in names])
        wanted -= set(names)
    if wanted and "from scipy import *" in stars and "from scipy import *" not in failed:
        _numpy_names_scipy_gave(pieces, wanted)


def _numpy_names_scipy_gave(pieces: Pieces, wanted: set[str]) -> None:
    """``from scipy import *`` once bound NumPy's functions too (SciPy's top level re-exported
    them; current releases do not): names nothing else provides that NumPy has come from
    NumPy, listed."""
    try:
        numpy = set(star_exports("numpy") or ())
    except ExportsUnknown:
        return
    names = sorted(wanted & numpy)
    if not names:
        return
    pieces.imports.append(f"from numpy import {', '.join(names)}")
    cell, number = next(((index, at) for index, cell in pieces.cells.items()
                         if (at := star_import_line(cell.source, "scipy"))), (-1, 0))
    pieces.changes.append(Change(cell, number, f"added `from numpy import {', '.join(names)}`",
                                 "older SciPy releases re-exported these NumPy functions, so "
                                 "`from scipy import *` bound them; the current SciPy does not"))


# Standard-library modules a notebook commonly uses; a name like `test` or `code` is more often
# a variable some deleted cell defined, so only these, and only when used as `name.attribute`.
COMMON_STDLIB = frozenset({
    "argparse", "ast", "base64", "bisect", "calendar", "collections", "copy", "csv", "datetime",
    "decimal", "fractions", "functools", "gc", "glob", "gzip", "hashlib", "heapq", "inspect",
    "io", "itertools", "json", "logging", "math", "operator", "os", "pathlib", "pickle",
    "platform", "pprint", "random", "re", "shutil", "socket", "sqlite3", "statistics", "string",
    "struct", "subprocess", "sys", "tempfile", "textwrap", "threading", "time", "timeit",
    "traceback", "typing", "unicodedata", "urllib", "uuid", "warnings", "zipfile",
})


def _import_missing_modules(pieces: Pieces) -> None:
    """A standard-library module the code uses (``time.time()``) that no cell imports any more
    (its import was in a deleted or edited cell): it is imported, and the change listed. Under
    --force only: such a notebook is refused otherwise (NB202)."""
    if any(line.endswith("import *") for line in pieces.imports):
        return  # the star import may be what provides it
    # (the modules nb2prod's own code needs, `subprocess` for a `!ls`, are imported already)
    missing = sorted(name for name in _undefined_names(pieces) & COMMON_STDLIB
                     if name not in pieces.stdlib_needed and _used_as_module(pieces, name))
    for name in missing:
        pieces.imports.append(f"import {name}")
        cell, line = _first_use(pieces, name)
        pieces.changes += located([Unplaced(line, f"added `import {name}`", (
            f"no cell imports the standard-library module {name} the code uses; its import was "
            "in a cell since deleted or edited"))], [pieces.cells[cell]])
        _drop_flag(pieces, name)


def _used_as_module(pieces: Pieces, name: str) -> bool:
    """The code uses ``name`` as the module: as ``name.attribute`` only, and only attributes the
    module has (``time.head()`` is a DataFrame some deleted cell made, not the module)."""
    pattern = re.compile(rf"(?<![\w.]){name}\s*\.\s*([A-Za-z_]\w*)")
    sources = [*pieces.definitions.values(), *(c for cs in pieces.bodies.values() for c in cs)]
    attributes = {m[1] for source in sources for m in pattern.finditer(source)}
    if not attributes:
        return False
    module = importlib.import_module(name)  # one of COMMON_STDLIB: importing it runs nothing
    return all(hasattr(module, attribute) for attribute in attributes)


def _first_use(pieces: Pieces, name: str) -> tuple[int, str]:
    """The cell and the line of code where the module is first used."""
    pattern = re.compile(rf"(?<![\w.]){name}\s*\.")
    for cell, chunks in pieces.bodies.items():
        for chunk in chunks:
            for line in chunk.splitlines():
                if pattern.search(line) and not line.lstrip().startswith("#"):
                    return cell, line.strip()
    cell = next(iter(pieces.cells))
    return cell, ""


def _drop_flag(pieces: Pieces, name: str) -> None:
    """The NB202 TODO and note --force left for a name the import now defines."""
    flag = f"NB202 '{name}' "
    for cell, chunks in pieces.bodies.items():
        pieces.bodies[cell] = [c for c in chunks
                               if not (c.startswith("# TODO(nb2prod): ") and flag in c)]
    pieces.warnings = [w for w in pieces.warnings if not w.message.startswith(flag)]


def _undefined_names(pieces: Pieces) -> set[str]:
    # (nb2prod's own names, `save_figure`, are the project's: no star import provides them)
    bound = set(pieces.definitions) | set(pieces.config) | set(BUILTIN_NAMES) | RESERVED
    referenced: set[str] = set()
    for line in pieces.imports:
        bound |= binding_names(line) - {"*"}
    for source in [*pieces.definitions.values(), *(c for cs in pieces.bodies.values() for c in cs)]:
        for node in all_nodes(parsed(source)):
            if isinstance(node, ast.Name):
                (bound if isinstance(node.ctx, ast.Store) else referenced).add(node.id)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                bound.add(node.name)
            elif isinstance(node, ast.arg):  # a parameter, of a lambda too
                bound.add(node.arg)
            elif isinstance(node, ast.alias):  # an import inside a function binds it there
                bound.add((node.asname or node.name).split(".")[0])
    return referenced - bound


def _exports(module: str, folder: str = "") -> list[str] | None:
    if module in PYLAB_MODULES:
        return list(pylab_imports())
    names = local_exports(module, folder) if folder else None
    return names if names is not None else star_exports(module)


def _explicit(module: str, name: str) -> str:
    return pylab_imports()[name] if module in PYLAB_MODULES else f"from {module} import {name}"


def _make_explicit(pieces: Pieces, line: str, explicit: list[str]) -> None:
    pieces.imports.remove(line)
    pieces.imports += explicit
    comments = pieces.import_comments.pop(line, [])
    if explicit and comments:
        pieces.import_comments.setdefault(explicit[0], []).extend(comments)
    for cell, chunks in pieces.bodies.items():  # the cell's marker, so it can still stay put
        if import_marker(line) in chunks:
            at = chunks.index(import_marker(line))
            note = removed_import_note(line, comments, "no name of it is used")
            chunks[at:at + 1] = [import_marker(e) for e in explicit] or ([note] if note else [])
            comments = []
            became = ("; ".join(f"`{e}`" for e in explicit) if len(explicit) <= 3
                      else f"{len(explicit)} explicit imports") or "nothing (no name of it is used)"
            _report_explicit(pieces, cell, line, became)


def _report_explicit(pieces: Pieces, cell: int, line: str, became: str) -> None:
    """One change per star import, at its line; a `%pylab` line's change says what it finally
    became (its two star imports, pylab's and numpy's, are one change)."""
    for at, change in enumerate(pieces.changes):
        if change.cell == cell and change.what.startswith("`%pylab") and (
                line in change.what or _PYLAB_BECAME in change.what):
            pieces.changes[at] = Change(cell, change.line,
                                        change.what.split(" became ")[0] + _PYLAB_BECAME,
                                        "%pylab is IPython-only; what it bound, imported explicitly")
            return
    source = pieces.cells[cell].source if cell in pieces.cells else ""
    number = star_import_line(source, line.split()[1]) or 1
    pieces.changes.append(Change(cell, number, f"`{line}` became {became}",
                                 "star imports hide where names come from (pyflakes F403)"))


_PYLAB_BECAME = " became the explicit imports of the names the code uses"


def _explicit_globals(pieces: Pieces) -> None:
    _read_only_globals_dropped(pieces)
    names = all_module_names(pieces)
    needed = globals_needed(pieces.definitions, names)
    mentions = mentions_of(needed) if needed else None
    # (a setting that is a list, dict or set gives no default: one mutable object would be
    # shared by every call, B006; every call passes it anyway)
    defaults = {n: f.value for n, f in pieces.config.items() if not f.mutable}
    for name, globals_ in needed.items():
        pieces.definitions[name] = add_parameters(pieces.definitions[name], globals_, defaults)
        cell = pieces.cells.get(pieces.definition_cells.get(name, -1))
        pieces.changes += located([Unplaced(
            f"def {name}", f"{name}() takes {', '.join(globals_)} as keyword "
            f"parameter{'s' if len(globals_) > 1 else ''}; every call passes "
            f"{'them' if len(globals_) > 1 else 'it'}",
            "a function in a module cannot read the notebook's globals")],
            [cell] if cell else [])
    _warn_classes_reading_globals(pieces, names)
    for table in (pieces.definitions, pieces.inline_definitions):
        for name, source in list(table.items()):
            # (calls patched first: a local the new `tokenizer=tokenizer` reads is not dead)
            source, partial = patch_calls(source, needed, mentions)
            cleaned = drop_dead_in_function(source)
            cell = pieces.cells.get(pieces.definition_cells.get(name, -1))
            pieces.changes += located(cleaned.changes, [cell] if cell else [])
            table[name] = cleaned.code
            if partial:
                pieces.stdlib_needed.add("functools")
    for cell, chunks in pieces.bodies.items():
        patched = []
        for chunk in chunks:
            code, partial = patch_calls(chunk, needed, mentions)
            patched.append(code)
            if partial:
                pieces.stdlib_needed.add("functools")
        pieces.bodies[cell] = patched


def _read_only_globals_dropped(pieces: Pieces) -> None:
    """``global frames`` in a function that only reads ``frames`` goes (the name then comes in
    as a parameter); a function that assigns a notebook global is warned about: at module level
    it assigns a global the steps never see."""
    for name, source in list(pieces.definitions.items()):
        source, dropped, assigned = global_declarations(source)
        cell = pieces.cells.get(pieces.definition_cells.get(name, -1))
        if dropped:
            pieces.definitions[name] = source
            pieces.changes += located([Unplaced(
                "global ", f"removed `global {', '.join(dropped)}` from {name}()",
                f"{name}() only reads {_listed(dropped)}; it gets "
                f"{'them' if len(dropped) > 1 else 'it'} as a keyword parameter instead")],
                [cell] if cell else [])
        if assigned:
            pieces.warnings.append(ConvertWarning(
                cell.index if cell else -1, definition_line(cell.source, name) if cell else 0,
                f"{name}() assigns the notebook global"
                f"{'s' if len(assigned) > 1 else ''} {_listed(assigned)} (`global`); in the "
                "project that is a module global the steps do not read: check the values with "
                "`nb2prod verify`, or make the function return them"))


def _listed(names: list[str]) -> str:
    return ", ".join(f"'{n}'" for n in names)


def _warn_classes_reading_globals(pieces: Pieces, module_names: set[str]) -> None:
    """Methods that read notebook globals cannot get them as parameters: say so, in code too."""
    for name, source in pieces.definitions.items():
        node = ast.parse(source).body[0]
        if not isinstance(node, ast.ClassDef):
            continue
        reads: dict[str, int] = {}
        free_names(node, reads, set(), set())
        missing = sorted(g for g in reads if g not in module_names and g not in BUILTIN_NAMES
                         and g not in pieces.config)
        if missing:
            note = (f"class {name} reads notebook global(s) {', '.join(missing)} in its body or "
                    "methods; pass them in explicitly")
            pieces.definitions[name] = f"# TODO(nb2prod): {note}\n{source}"
            pieces.warnings.append(ConvertWarning(pieces.definition_cells.get(name, 0), 1, note))
