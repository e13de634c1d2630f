"""The notebook's own modules: ``helpers.py`` or a ``utils/`` package beside the notebook, which it
imports. The project ships them as they are (the user's code, moved, never rewritten), with
every local module they import in turn; a module that must not leave the folder (a secret in it,
a link out of it, anything but plain files, too large) is left for the user to provide, with the
reason. Modules are read, never run."""

from __future__ import annotations

import ast
import io
import os
import sys
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from nb2prod.analysis.astutil import called_name
from nb2prod.analysis.scopes import names_bound_by
from nb2prod.errors import UsageError
from nb2prod.notebook.model import CODE, Notebook, make_cell
from nb2prod.pin.collect import local_module_names
from nb2prod.redact import (
    find_token,
    is_random_token,
    is_sensitive_name,
    looks_like_secret_value,
    redact,
)
from nb2prod.refactor.describe import MAX_DATA_FILE, MAX_DATA_TOTAL, location_refusal, probe
from nb2prod.refactor.imports import imported_modules
from nb2prod.refactor.plan import ModuleFile

MAX_FILES = 200  # a package this large beside a notebook is a project of its own, not a helper


@dataclass(frozen=True)
class LocalModules:
    files: tuple[ModuleFile, ...]  # what is shipped
    refused: tuple[tuple[str, str], ...]  # (module, why it is not shipped)
    imports: frozenset[str] = frozenset()  # top-level modules the shipped files import
    # the shipped files as one-cell notebooks: what pin reads their dependencies from
    sources: tuple[Notebook, ...] = ()


def local_modules(folder: Path, imported: Iterable[str], package: str = "") -> LocalModules:
    """The files of the local modules among ``imported`` (top-level names), and of those they
    import; ``folder`` is the notebook's, ``package`` the generated package's name. A file named
    like a standard-library module is not the notebook's (Jupyter had imported the real one)."""
    folder = folder.resolve()
    local = local_module_names(folder) - sys.stdlib_module_names
    wanted = sorted(set(imported) & local)
    texts: dict[str, str] = {}  # each shipped file (relative path) -> its source
    refused: list[tuple[str, str]] = []
    seen: set[str] = set()
    total = 0
    imports: set[str] = set()
    while wanted:
        name = wanted.pop(0)
        if name in seen:
            continue
        seen.add(name)
        if name == package:
            raise UsageError(f"{folder / name}: the notebook's own module has the name of the "
                             "package convert makes; give the project another name (--name)")
        found, why = _module_files(folder, name)
        size = sum(probe(folder / f, lambda p: p.stat().st_size) or 0 for f in found)
        if not why and total + size > MAX_DATA_TOTAL:
            why = "too large to ship"
        if why:
            refused.append((name, why))
            continue
        total += size
        texts.update(found)
        imports |= imported_modules(found.values())
        wanted += sorted(imports & local - seen)
    files = tuple(ModuleFile(path, path) for path in texts)
    sources = tuple(Notebook(path=str(folder / path), cells=(make_cell(0, CODE, text),))
                    for path, text in texts.items())
    return LocalModules(files, tuple(refused), frozenset(imports), sources)


def _module_files(folder: Path, name: str) -> tuple[dict[str, str], str]:
    """The ``.py`` files of module ``name`` (relative path -> text), or why it is not shipped."""
    single = folder / f"{name}.py"
    if os.path.lexists(single):
        why, text = _read_module_file(single, folder)
        return ({}, why) if why else ({f"{name}.py": text}, "")
    package = folder / name
    if not package.resolve().is_relative_to(folder):
        return {}, "a symlink that leads outside the notebook's folder"
    found: dict[str, str] = {}
    for root, dirs, names in os.walk(package):
        if any(os.path.islink(Path(root) / d) for d in dirs):
            return {}, f"{Path(root).relative_to(folder).as_posix()} holds a linked folder"
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__pycache__")))
        for file in sorted(n for n in names if n.endswith(".py")):
            path = Path(root) / file
            why, text = _read_module_file(path, folder)
            if why:
                return {}, f"{path.relative_to(folder).as_posix()}: {why}"
            found[path.relative_to(folder).as_posix()] = text
            if len(found) > MAX_FILES:
                return {}, f"more than {MAX_FILES} Python files"
    return found, ""


def _read_module_file(path: Path, folder: Path) -> tuple[str, str]:
    """(why one file of a module must not be shipped, '' when it may; its text), read once."""
    if not probe(path, Path.is_file):  # a pipe, a device, a dangling link: never read
        return "not a regular file", ""
    where = location_refusal(path, folder)  # outside the folder, a link out of it, credentials
    if where:
        return where, ""
    if probe(path, lambda p: p.stat().st_size > MAX_DATA_FILE):
        return "too large to ship", ""
    text = _source_text(path)
    if text is None:
        return "not readable as Python source", ""
    return ("it holds a secret, never shipped", "") if holds_secret(text) else ("", text)


def _source_text(path: Path) -> str | None:
    """A Python file's text in the encoding it declares (PEP 263), or None."""
    try:
        data = path.read_bytes()
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding)
    except (OSError, SyntaxError, LookupError, UnicodeDecodeError):
        return None


def holds_secret(text: str) -> bool:
    """Whether Python source holds a credential: a known token format or a named value anywhere
    in its text, or a string (or bytes) literal a sensitive name is given, however spelled
    (annotated, triple-quoted, in a list, as the default of ``os.environ.get``). Source that does
    not parse is judged on its text alone, as a secret."""
    if redact(text)[1]:
        return True
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return True  # cannot be read for secrets: not shipped (nor importable as it is)
    for node in ast.walk(tree):
        for name, value in _named_values(node):
            for constant in _literals(value):
                literal = getattr(constant, "value", None) if isinstance(constant, ast.Constant) \
                    else None
                if isinstance(literal, bytes):
                    literal = literal.decode("latin-1")
                # (looser than check's NB402: shipping a placeholder-looking value costs little)
                if isinstance(literal, str) and ((name and looks_like_secret_value(literal))
                                                 or find_token(literal)
                                                 or is_random_token(literal.strip())):
                    return True
    return False


def _literals(value: ast.AST) -> list[ast.AST]:
    """The nodes under ``value``, without the names of environment variables it looks up
    (``os.environ.get("DB_PASSWORD")`` holds no password)."""
    skipped: set[int] = set()
    nodes = list(ast.walk(value))
    for node in nodes:
        if isinstance(node, ast.Call) and node.args and called_name(node.func) in _ENV_LOOKUPS:
            skipped.add(id(node.args[0]))
        elif isinstance(node, ast.Subscript) and called_name(node.value) == "environ":
            skipped.add(id(node.slice))
    return [node for node in nodes if id(node) not in skipped]


_ENV_LOOKUPS = frozenset({"getenv", "get", "getenvb", "environ"})


def _named_values(node: ast.AST) -> list[tuple[str, ast.AST]]:
    """(sensitive name, the value given it) pairs one node holds."""
    pairs: list[tuple[str, ast.AST]] = []
    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and node.value is not None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        pairs += [(_target(t), node.value) for t in targets]
    elif isinstance(node, ast.keyword) and node.arg:
        pairs.append((node.arg, node.value))
    elif isinstance(node, ast.Dict):
        pairs += [(key.value, value) for key, value in zip(node.keys, node.values, strict=True)
                  if isinstance(key, ast.Constant) and isinstance(key.value, str)]
    elif isinstance(node, ast.Constant) and isinstance(node.value, str):
        pairs.append(("", node))  # any literal: known token formats and random tokens
    return [(name, value) for name, value in pairs if not name or is_sensitive_name(name)
            or (name[-1:] in "sS" and is_sensitive_name(name[:-1]))]  # PASSWORDS = [...]


def _target(target: ast.AST) -> str:
    if isinstance(target, ast.Name):
        return target.id
    return target.attr if isinstance(target, ast.Attribute) else ""


def local_exports(module: str, folder: str) -> list[str] | None:
    """The names ``from module import *`` binds when ``module`` is the notebook's own (a file
    beside it), read from its source: its ``__all__``, else its public top-level names; None
    when it is no local module."""
    base = Path(folder).resolve()
    parts = module.split(".")
    if not all(part.isidentifier() for part in parts) or parts[0] in sys.stdlib_module_names:
        return None
    for candidate in (base.joinpath(*parts[:-1], f"{parts[-1]}.py"),
                      base.joinpath(*parts, "__init__.py")):
        if not os.path.lexists(candidate):
            continue
        why, text = _read_module_file(candidate, base)
        if not why:
            return _public_names(text)
    return None


def _public_names(text: str) -> list[str]:
    """A module's ``__all__`` when it lists literal names, else its public top-level names."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    names: list[str] = []
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets) \
                and isinstance(node.value, (ast.List, ast.Tuple)):
            return [e.value for e in node.value.elts
                    if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        bound = names_bound_by(n for t in targets if t is not None for n in ast.walk(t)) \
            if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)) \
            else names_bound_by([node])
        names += sorted(bound)
    return [name for name in dict.fromkeys(names) if not name.startswith("_")]
