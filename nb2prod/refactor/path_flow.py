"""Which names make up the paths a notebook's file calls read and write, and which writes
still reach a place on the author's machine.

``pd.read_csv(DATA)`` gives the name itself; ``df.to_csv(BASE + "out.csv")``,
``os.path.join(OUT, "b.csv")`` and ``(Path(ROOT) / "r.txt").write_text(...)`` build the path from
it; ``out = os.path.join(OUT, "b.csv")`` then ``df.to_csv(out)`` reaches it through a variable.
A constant that holds an absolute path and reaches a write this way names a place on the
notebook author's machine that the generated tests must keep off: convert makes it a config
field the tests move into their own folder. A write that still starts at such a place (a
default argument ``def save(df, path="/home/me/out.csv")``, ``Path.home() / "x"``) is listed, and
the tests ask before they run it.

Pure: found from the syntax trees alone.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from nb2prod.analysis.astutil import all_nodes, called_name, literal_value, walk
from nb2prod.notebook.model import Notebook
from nb2prod.redact import redact
from nb2prod.refactor.relpath import (
    DELETE_CALLS,
    FILE_KEYWORDS,
    READ_CALLS,
    WRITE_CALLS,
    opens_for_writing,
)
from nb2prod.rules.hygiene import FILE_CALLS

# methods of a path object that change what it names
# (not rename and replace, which a DataFrame has too)
_PATH_WRITES = frozenset({"write_text", "write_bytes", "touch", "mkdir", "unlink", "rmdir",
                          "symlink_to", "hardlink_to"})
COPY_CALLS = frozenset({"copy", "copy2", "copyfile", "copytree", "move"})
FILE_DATABASES = frozenset({"sqlite3", "duckdb"})
_BUILDS_PATHS = frozenset({"join", "Path", "PurePath", "expanduser"})
_WRITERS = frozenset({"ExcelWriter"})
_OPENERS = frozenset({"open", "ZipFile", "File", "Dataset", "TarFile"})


@dataclass(frozen=True)
class PathUses:
    passed: frozenset[str]  # given to a file call as the path itself
    read: frozenset[str]  # in a path a call reads, directly, inside it or through a variable
    written: frozenset[str]  # in a path a call writes, deletes or may change, likewise


def path_uses(notebook: Notebook) -> PathUses:
    passed: set[str] = set()
    read: set[str] = set()
    written: set[str] = set()
    assigned: dict[str, set[str]] = {}  # name -> the names its values are built from
    in_reads: set[int] = set()  # the Name nodes in the path a read call is given
    loads: list[ast.Name] = []  # the names given to calls
    texts: set[str] = set()  # the names assigned a string
    for cell in notebook.code_cells:
        for node in all_nodes(cell.tree) if cell.tree is not None else ():
            if isinstance(node, ast.Call):
                _file_call(node, passed, read, written)
                if _reads_only(node):
                    in_reads.update(id(n) for a in _path_arguments(called_name(node.func), node)
                                    for n in walk(a) if isinstance(n, ast.Name))
                if called_name(node.func) not in _BUILDS_PATHS:  # (what is done with what
                    # os.path.join builds decides)
                    loads += [n for a in [*node.args, *(k.value for k in node.keywords)]
                              for n in walk(a) if isinstance(n, ast.Name)]
            elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)) \
                    and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        assigned.setdefault(target.id, set()).update(_names_in(node.value))
                        if isinstance(node.value, ast.Constant) and isinstance(node.value.value,
                                                                               str):
                            texts.add(target.id)
    # a string constant given to any other call (a shell command, os.rename, a function of the
    # notebook's) may be written through: when it holds an absolute path, the tests move it
    # (a copy) rather than find out
    others = {n.id for n in loads if id(n) not in in_reads and n.id in texts}
    return PathUses(frozenset(passed), _through(read, assigned),
                    _through(written, assigned) | others)


def _reads_only(call: ast.Call) -> bool:
    """A call that only reads the file its path names."""
    name = called_name(call.func)
    return (bool(READ_CALLS.match(name)) or name in _INSPECTS) and not _writes(name, call) \
        and name not in COPY_CALLS


def _file_call(call: ast.Call, passed: set[str], read: set[str], written: set[str]) -> None:
    name = called_name(call.func)
    if isinstance(call.func, ast.Attribute) and name in _PATH_WRITES:
        written.update(_names_in(call.func.value))  # (Path(ROOT) / "r.txt").write_text(...)
        return
    database = _database(name, call)
    if not (database or FILE_CALLS.match(name) or name in DELETE_CALLS or name == "expanduser"):
        return
    given = [*call.args[:2], *(k.value for k in call.keywords
                               if k.arg in FILE_KEYWORDS or k.arg in {"src", "dst"})]
    passed.update(a.id for a in given if isinstance(a, ast.Name))
    if name in _BUILDS_PATHS:
        return  # what is done with the path it builds says whether it is read or written
    if name in COPY_CALLS:  # shutil.copy(src, dst); move takes its source away
        sources = _names_in(*call.args[:1], *(k.value for k in call.keywords if k.arg == "src"))
        (written if name == "move" else read).update(sources)
        written.update(_names_in(*call.args[1:2],
                                 *(k.value for k in call.keywords if k.arg == "dst")))
        return
    names = _names_in(*_path_arguments(name, call))
    writes = _writes(name, call)
    if database or writes:
        written.update(names)
    if database or not writes:
        read.update(names)  # (`exists`, `listdir`, `glob` look at what is there)


def _writes(name: str, call: ast.Call) -> bool:
    """A call that writes the file it is given; only an opener's second argument is a mode
    (``open(p, "w")``; ``join(p, "x.csv")``'s is not)."""
    return bool(WRITE_CALLS.match(name)) or name in _WRITERS or (
        name in _OPENERS and opens_for_writing(call))


def _database(name: str, call: ast.Call) -> bool:
    """``sqlite3.connect(path)``, ``duckdb.connect(path)``: a database in a file."""
    return name == "connect" and isinstance(call.func, ast.Attribute) \
        and isinstance(call.func.value, ast.Name) and call.func.value.id in FILE_DATABASES


def _names_in(*expressions: ast.AST) -> set[str]:
    return {node.id for expression in expressions for node in walk(expression)
            if isinstance(node, ast.Name)}


def _through(names: set[str], assigned: dict[str, set[str]]) -> frozenset[str]:
    """``names`` and every name their values were built from, transitively."""
    found, todo = set(names), list(names)
    while todo:
        for source in assigned.get(todo.pop(), ()):
            if source not in found:
                found.add(source)
                todo.append(source)
    return frozenset(found)


def host_writes(notebook: Notebook, config) -> tuple[str, ...]:
    """Each write whose path starts at an absolute place no config field moves, as
    ``to_csv() writes '/home/me/x.csv' (cell 5, line 2)``. ``config``: the plan's fields."""
    moved = {f.name for f in config if f.host_write}
    moved_values = {str(literal_value(f.value)).rstrip("/\\") for f in config if f.host_write}
    sources = _host_sources(notebook, moved)
    uses = path_uses(notebook)
    only_read = uses.read - uses.written
    field_values = {str(literal_value(f.value)).rstrip("/\\") for f in config}
    found = []
    for cell in notebook.code_cells:
        for node in all_nodes(cell.tree) if cell.tree is not None else ():
            if not isinstance(node, ast.Call):
                continue
            for program, place in _shell_writes(node):
                found.append(f"{program} writes {place!r} (cell {cell.index}, line "
                             f"{cell.original_line(node.lineno)})")
            for expression in _written_paths(node):
                for place in sorted(_places(expression, sources, moved) - {_WORKING_FOLDER}):
                    if place.rstrip("/\\") not in moved_values:
                        found.append(f"{called_name(node.func)}() writes {place!r} (cell "
                                     f"{cell.index}, line {cell.original_line(node.lineno)})")
        found += _unfollowed_places(cell, field_values, only_read)
        found += [f"{what} (cell {cell.index}, line {cell.original_line(node.lineno)})"
                  for node, what in _temp_folder_changes(cell.tree)]
        found += [f"os.chdir() moves the working folder where nb2prod cannot follow it (cell "
                  f"{cell.index}, line {cell.original_line(node.lineno)})"
                  for node in (all_nodes(cell.tree) if cell.tree is not None else ())
                  if isinstance(node, ast.Call) and called_name(node.func) == "chdir"
                  and not (node.args and isinstance(node.args[0], ast.Constant))]
    return tuple(dict.fromkeys(found))


_TEMP_VARIABLES = frozenset({"TMPDIR", "TEMP", "TMP"})
_ENV_MAGIC = re.compile(r"^\s*(?:TMPDIR|TEMP|TMP)\s*=")  # %env TMPDIR=/x


def _temp_folder_changes(tree: ast.AST | None) -> list[tuple[ast.AST, str]]:
    """Code that may change where temporary files go, judged broadly (an alias of os.environ,
    a key in a variable, ``update``, ``del``, ``clear``...): any mention of TMPDIR/TEMP/TMP but
    a plain read of it, any ``.tempdir =``, any ``environ.clear()``. The pipeline's temporary
    files then go where the notebook points, which the tests cannot move."""
    if tree is None:
        return []
    nodes = all_nodes(tree)
    reads = {id(call.args[0]) for call in nodes if isinstance(call, ast.Call)
             and called_name(call.func) in {"get", "getenv"} and call.args}
    reads |= {id(n.slice) for n in nodes if isinstance(n, ast.Subscript)
              and isinstance(n.ctx, ast.Load)}
    # TEMP and TMP are common words (a weather column): only where the environment is changed
    environ = {id(a) for n in nodes if isinstance(n, ast.Call) and (
        "environ" in _dotted(n.func) or called_name(n.func) in {"putenv", "unsetenv"})
        for a in n.args}
    environ |= {id(n.slice) for n in nodes if isinstance(n, ast.Subscript)
                and "environ" in _dotted(n.value)}
    found = []
    for node in nodes:
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in reads \
                and (node.value == "TMPDIR" or _ENV_MAGIC.match(node.value)
                     or (node.value in _TEMP_VARIABLES and id(node) in environ)):
            found.append((node, f"{node.value.split('=')[0].strip()} is set: temporary files go "
                                "elsewhere"))
        elif isinstance(node, ast.keyword) and node.arg == "TMPDIR":
            found.append((node.value, f"{node.arg} is set: temporary files go elsewhere"))
        elif isinstance(node, ast.Attribute) and node.attr == "tempdir" \
                and isinstance(node.ctx, (ast.Store, ast.Del)):
            found.append((node, "tempfile.tempdir is set: temporary files go elsewhere"))
        elif isinstance(node, ast.Call) and called_name(node.func) == "clear" \
                and _dotted(node.func).endswith("environ.clear"):
            found.append((node, "the environment is cleared: temporary files go elsewhere"))
    return found


def _unfollowed_places(cell, fields: set[str], only_read: frozenset[str]) -> list[str]:
    """Absolute paths the code names where nb2prod cannot follow them (a list it loops over, a
    class attribute, ``os.rename``, an argument to the notebook's own function...): no config
    field holds them, so the tests cannot move them. Safe: a read call's own path, and a name
    assigned one whose every use is read (``DATA_HOME = '/course/data'``, joined, then read)."""
    if cell.tree is None:
        return []
    safe = {id(n) for node in all_nodes(cell.tree) if isinstance(node, ast.Call)
            and (_reads_only(node) or _dotted(node.func) in {"sys.path.append", "sys.path.insert"})
            for a in node.args for n in walk(a)}
    # (`bucket + "/train/"`: a suffix, not a place)
    safe |= {id(node.right) for node in all_nodes(cell.tree) if isinstance(node, ast.BinOp)}
    safe |= {id(node.value) for node in all_nodes(cell.tree) if isinstance(node, ast.Assign)
             and all(isinstance(t, ast.Name) and t.id in only_read for t in node.targets)}
    found = []
    for node in all_nodes(cell.tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in safe \
                and _HOST_PATH.match(node.value) and node.value.rstrip("/\\") not in fields:
            found.append(f"{redact(node.value)[0]!r} is used where nb2prod cannot move it (cell "
                         f"{cell.index}, line {cell.original_line(node.lineno)})")
    return found


def _dotted(func: ast.AST) -> str:
    parts = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    return ".".join([func.id, *reversed(parts)]) if isinstance(func, ast.Name) else ""


# an absolute path on one machine: /x/y, ~/x, C:\x (not "/" alone, not a URL's path)
_HOST_PATH = re.compile(r"^(?:/[\w.@+-]+(?:/[\w .@+-]*)*|~/[\w .@/+-]*|[A-Za-z]:[\\/][^\n]*)$")
_INSPECTS = frozenset({"exists", "isfile", "isdir", "listdir", "glob", "iglob", "scandir",
                       "getsize", "stat", "walk"})


def _shell_writes(call: ast.Call) -> list[tuple[str, str]]:
    """(program, absolute place) of a shell command that writes there: ``!echo x > /abs/f``,
    ``!cp a /abs/b``, ``%%bash`` scripts, ``os.system(...)``. nb2prod cannot move those into
    the tests' folder."""
    name = called_name(call.func)
    if name not in {"run_cell_magic", "system"}:
        return []
    texts = [a.value for a in call.args if isinstance(a, ast.Constant)
             and isinstance(a.value, str)]
    if name == "run_cell_magic" and len(texts) >= 3 and texts[0] in _SHELL_MAGICS:
        commands = texts[2].splitlines()
    elif name == "system" and texts:  # IPython's `!cmd`, os.system("cmd")
        commands = texts[:1]
    else:
        return []
    found = []
    for command in commands:
        places = [p for p in _SHELL_PLACE.findall(command) if not p.startswith("/dev/")]
        program = (command.split() or ["shell"])[0]
        if places and (_SHELL_WRITE.search(" " + command)
                       or program.rsplit("/", 1)[-1] not in _READING_PROGRAMS):
            found.append((f"!{redact(program)[0]}", redact(places[-1])[0]))
    return found


_SHELL_MAGICS = frozenset({"bash", "sh", "script", "system"})
# programs that only look (any other one given an absolute path may change what is there)
_READING_PROGRAMS = frozenset({"ls", "cat", "head", "tail", "wc", "file", "stat", "du", "df",
                               "grep", "pwd", "which", "echo", "tree", "md5sum", "sha256sum",
                               "nvidia-smi", "less", "more", "diff", "cd"})
_SHELL_WRITE = re.compile(r"(?:>|[\s;&|(](?:tee|cp|mv|rm|mkdir|touch|rsync|ln|unzip|tar|wget|curl|"
                          r"chmod|dd|install)\s)")
_SHELL_PLACE = re.compile(r"(?<![\w./-])(/[\w.@+-]+(?:/[\w.@+-]*)*|~/[\w./@+-]*)")


def _written_paths(call: ast.Call) -> list[ast.AST]:
    """The path expressions a call writes to (changes, deletes)."""
    name = called_name(call.func)
    if isinstance(call.func, ast.Attribute) and name in _PATH_WRITES:
        return [call.func.value]
    if name in COPY_CALLS:
        moved = [*call.args[:1], *(k.value for k in call.keywords if k.arg == "src")] \
            if name == "move" else []
        return [*moved, *call.args[1:2], *(k.value for k in call.keywords if k.arg == "dst")]
    if not (_database(name, call) or _writes(name, call)):
        return []
    return _path_arguments(name, call)


def _path_arguments(name: str, call: ast.Call) -> list[ast.AST]:
    """The argument that names the file: a file keyword's, else the second of
    ``joblib.dump(model, path)`` and ``pd.to_pickle(df, path)``, else the first."""
    named = [k.value for k in call.keywords if k.arg in FILE_KEYWORDS]
    if named:
        return named[:1]
    second = name in {"dump", "to_pickle"} and len(call.args) > 1 and not (
        isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str))
    return call.args[1:2] if second else call.args[:1]


def _host_sources(notebook: Notebook, moved: set[str]) -> dict[str, set[str]]:
    """Name -> the absolute places the paths assigned to it start at (through other names too;
    a parameter gets its default's)."""
    edges: list[tuple[str, ast.AST]] = []
    for cell in notebook.code_cells:
        for node in all_nodes(cell.tree) if cell.tree is not None else ():
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                edges += [(t.id, node.value) for t in targets if isinstance(t, ast.Name)]
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                arguments = node.args
                positional = [*arguments.posonlyargs, *arguments.args]
                edges += list(zip((a.arg for a in positional[len(positional)
                                                              - len(arguments.defaults):]),
                                  arguments.defaults, strict=True))
                edges += [(a.arg, d) for a, d in zip(arguments.kwonlyargs,
                                                      arguments.kw_defaults, strict=True)
                          if d is not None]
    sources: dict[str, set[str]] = {}
    changed = True
    while changed:  # (each round adds a place, so this ends)
        changed = False
        for name, value in edges:
            if name in moved:
                continue
            places = _places(value, sources, moved)
            if not places <= sources.setdefault(name, set()):
                sources[name] |= places
                changed = True
    return sources


def _places(expression: ast.AST, sources: dict[str, set[str]], moved: set[str]) -> set[str]:
    """The absolute places a path expression starts at: a literal it begins with, the user's
    home (``Path.home()``), or those of a name it begins with."""
    found: set[str] = set()
    for root in _roots(expression):
        if isinstance(root, _Above):  # a name's places, cut: the working folder's climb out
            found |= set(_above(list(_places(root.node, sources, moved))))
        elif isinstance(root, str):
            found.add(root)
        elif isinstance(root, ast.Constant) and isinstance(root.value, str) \
                and _ABSOLUTE.match(root.value):
            found.add(root.value)
        elif isinstance(root, ast.Name) and root.id not in moved:
            found |= sources.get(root.id, set())
    return found


def _roots(node: ast.AST) -> list[ast.AST | str]:
    """What a path expression begins with: ``BASE + "x"``, ``os.path.join(BASE, "x")``,
    ``f"{BASE}/x"``, ``Path(BASE) / "x"``, ``(...).with_suffix(...)`` all begin with BASE."""
    if isinstance(node, ast.BinOp):
        return _roots(node.left)
    if isinstance(node, ast.IfExp):
        return [*_roots(node.body), *_roots(node.orelse)]
    if isinstance(node, ast.JoinedStr) and node.values:
        first = node.values[0]
        return _roots(first.value if isinstance(first, ast.FormattedValue) else first)
    if isinstance(node, ast.Attribute) and node.attr in {"parent", "parents"}:
        return _above(_roots(node.value))
    if isinstance(node, ast.Subscript):
        key = node.slice
        if _dotted(node.value) == "os.environ" and isinstance(key, ast.Constant) \
                and key.value in {"HOME", "USERPROFILE"}:
            return ["~"]  # os.environ["HOME"]
        if isinstance(node.value, ast.Call) and called_name(node.value.func) in _CUTS:
            return _above(_roots(node.value))  # os.getcwd().split("case_studies")[0]
        return _roots(node.value)
    if not isinstance(node, ast.Call):
        return [node]
    name = called_name(node.func)
    if _is_cwd_call(node):
        return [_WORKING_FOLDER]
    if name == "dirname" and node.args:
        return _above(_roots(node.args[0]))
    if name == "home" or (name in {"getenv", "get"} and node.args and isinstance(
            node.args[0], ast.Constant) and node.args[0].value in {"HOME", "USERPROFILE"}):
        return ["~"]
    if name in {"getenv", "get"} and len(node.args) > 1:  # os.getenv("OUT", "/abs/out")
        return _roots(node.args[1])
    if name == "expanduser" and not (node.args and isinstance(node.args[0], ast.Constant)):
        return ["~"] if not node.args else [*_roots(node.args[0]), "~"]
    if name in _PATH_FUNCTIONS and node.args:
        return _roots(node.args[0])
    if isinstance(node.func, ast.Attribute):  # "{}/x".format(...), path.with_suffix(".csv")
        return _roots(node.func.value)
    return []


# where a path built from the working folder starts: the run's own folder, which the tests
# move like any relative path, unless the code climbs out of it
_WORKING_FOLDER = "."
_ABOVE_WORKING_FOLDER = "a folder above the working folder"
_CUTS = frozenset({"split", "rsplit", "partition", "rpartition"})


@dataclass(frozen=True)
class _Above:
    node: ast.AST  # a path expression whose places are cut (its parent, a split of its text)


def _above(roots: list) -> list:
    """The roots of a path cut from another (its parent, a split of its text): the working
    folder's become a place above it, and a name's are cut when they are known."""
    return [_ABOVE_WORKING_FOLDER if root == _WORKING_FOLDER
            else _Above(root) if isinstance(root, ast.AST) else root for root in roots]


def _is_cwd_call(node: ast.Call) -> bool:
    """``os.getcwd()``, ``Path.cwd()``, ``os.path.abspath(".")``, ``Path(".").resolve()``."""
    name = called_name(node.func)
    if name in {"getcwd", "cwd"}:
        return True
    if name in {"abspath", "realpath"}:
        return _here(node.args[0] if node.args else None)
    if name in {"resolve", "absolute"} and isinstance(node.func, ast.Attribute) \
            and isinstance(node.func.value, ast.Call) \
            and called_name(node.func.value.func) in {"Path", "PurePath"}:
        inner = node.func.value
        return not inner.args or _here(inner.args[0])
    return False


def _here(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and node.value in {".", "./", ""}


_PATH_FUNCTIONS = frozenset({"join", "Path", "PurePath", "PosixPath", "WindowsPath", "abspath",
                             "normpath", "realpath", "expanduser", "str", "fspath", "joinpath"})
_ABSOLUTE = re.compile(r"^(?:[/\\~]|[A-Za-z]:[\\/])")
