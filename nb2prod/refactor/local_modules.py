"""The notebook's own modules: ``helpers.py`` or a ``utils/`` package beside the notebook, which it
imports. The project ships them as they are (the user's code, moved, never rewritten), with
every local module they import in turn; a module that must not leave the folder (a symlink out
of it, a secret in it, too large) is left for the user to provide, with the reason."""

from __future__ import annotations

import ast
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from nb2prod.notebook.model import CODE, Notebook, make_cell
from nb2prod.pin.collect import local_module_names
from nb2prod.refactor.describe import MAX_DATA_FILE, MAX_DATA_TOTAL, probe, refusal
from nb2prod.refactor.plan import ModuleFile

MAX_FILES = 200  # a package this large beside a notebook is a project of its own, not a helper


@dataclass(frozen=True)
class LocalModules:
    files: tuple[ModuleFile, ...]  # what is shipped
    refused: tuple[tuple[str, str], ...]  # (module, why it is not shipped)
    imports: frozenset[str] = frozenset()  # top-level modules the shipped files import
    # the shipped files as one-cell notebooks: what pin reads their dependencies from
    sources: tuple[Notebook, ...] = ()


def local_modules(folder: Path, imported: Iterable[str]) -> LocalModules:
    """The files of the local modules among ``imported`` (top-level names), and of those they
    import, found by reading them (never running them); ``folder`` is the notebook's."""
    folder = folder.resolve()
    local = local_module_names(folder)
    wanted = sorted(set(imported) & local)
    files: list[ModuleFile] = []
    refused: list[tuple[str, str]] = []
    seen: set[str] = set()
    total = 0
    imports: set[str] = set()
    while wanted:
        name = wanted.pop(0)
        if name in seen:
            continue
        seen.add(name)
        found, why = _module_files(folder, name)
        size = sum(probe(folder / f, lambda p: p.stat().st_size) or 0 for f in found)
        if not why and (any(probe(folder / f, lambda p: p.stat().st_size > MAX_DATA_FILE)
                            for f in found) or total + size > MAX_DATA_TOTAL):
            why = "too large to ship"
        if why:
            refused.append((name, why))
            continue
        total += size
        files += [ModuleFile(path, path) for path in found]
        imports |= _imports_of(folder, found)
        wanted += sorted(imports & local - seen)
    sources = tuple(_as_notebook(folder / f.source) for f in files)
    return LocalModules(tuple(files), tuple(refused), frozenset(imports),
                        tuple(s for s in sources if s is not None))


def _as_notebook(path: Path) -> Notebook | None:
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return Notebook(path=str(path), cells=(make_cell(0, CODE, text),))


def _module_files(folder: Path, name: str) -> tuple[list[str], str]:
    """The ``.py`` files of module ``name`` (relative paths), or why it is not shipped."""
    single = folder / f"{name}.py"
    if probe(single, Path.is_file):
        return [f"{name}.py"], refusal(single, folder)
    package = folder / name
    if not package.resolve().is_relative_to(folder):
        return [], "a symlink that leads outside the notebook's folder"
    found: list[str] = []
    for root, dirs, names in os.walk(package):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__pycache__")))
        for file in sorted(n for n in names if n.endswith(".py")):
            path = Path(root) / file
            why = refusal(path, folder)
            if why:
                return [], f"{path.relative_to(folder).as_posix()}: {why}"
            found.append(path.relative_to(folder).as_posix())
            if len(found) > MAX_FILES:
                return [], f"more than {MAX_FILES} Python files"
    return found, ""


def _imports_of(folder: Path, files: list[str]) -> set[str]:
    """Top-level modules the files import by absolute name (a package's own relative imports
    come with it)."""
    found: set[str] = set()
    for relative in files:
        try:
            tree = ast.parse((folder / relative).read_bytes())
        except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module.split(".")[0])
    return found
