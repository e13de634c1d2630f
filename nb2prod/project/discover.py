"""Which notebooks make a project, the folder they share, and each one's module name."""

from __future__ import annotations

import builtins
import keyword
import os
import re
import sys
from pathlib import Path

from nb2prod.commands.convert import SHADOWED
from nb2prod.errors import UsageError

# module names a template's own files take (and Python's): a notebook never gets one
RESERVED = frozenset({"pipeline", "config", "support", "cli", "compare", "redact", "storage",
                      "common", "flow", "dag", "definitions", "engine_run", "kfp_pipeline",
                      "kfp_steps", "assets", "main", "test", "tests",
                      # names pipeline.run() itself uses
                      "run", "values", "trace", "checkpoint", "notebooks", "steps"})

_BUILTINS = frozenset(name.lower() for name in dir(builtins))


def project_notebooks(paths: list[Path], recursive: bool = False) -> tuple[Path, list[Path]]:
    """(the folder the project is made from, its notebooks sorted by path below it). A folder
    means its own notebooks (and its subfolders' with ``recursive``); files name themselves.
    The project's folder is one the user named, or the folder of one of the notebooks named:
    never a common parent of unrelated folders (``/``), whose files would be the project's."""
    found: list[Path] = []
    named: list[Path] = []
    for path in paths:
        _check_name(path)
        if path.is_dir() and path.suffix != ".ipynb":
            folder = path.resolve()
            named.append(folder)
            for notebook in _in_folder(path, recursive):
                _check_name(notebook)
                if not _resolves_inside(notebook, folder):  # its folder's files are not ours
                    sys.stderr.write(f"note: {notebook}: a link to a notebook outside {path}; "
                                     "left out\n")
                    continue
                found.append(folder / notebook.relative_to(path))
        elif path.is_dir():
            raise UsageError(f"{path}: a folder, not a notebook file")
        elif path.exists():
            found.append(path.parent.resolve() / path.name)  # a link stays where it is named
            named.append(path.parent.resolve())
        else:
            raise UsageError(f"{path}: no such file or folder")
    notebooks = list(dict.fromkeys(found))
    if not notebooks:
        raise UsageError(f"{', '.join(map(str, paths))}: no notebooks (*.ipynb) there"
                         + ("" if recursive else "; --recursive also searches subfolders"))
    root = Path(os.path.commonpath([*named, *(p.parent for p in notebooks)]))
    if root not in named:
        folders = ", ".join(sorted({str(p.parent) for p in notebooks}))
        raise UsageError(f"the notebooks are in different folders ({folders}); put them in one "
                         "folder, or pass the folder that holds them all with --recursive")
    return root, sorted(notebooks, key=lambda p: p.relative_to(root).as_posix())


def _check_name(path: Path) -> None:
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError(f"{os.fsdecode(bytes(path))!r}: a file name that is not UTF-8 text; "
                         "rename it") from None


def in_subfolders(paths: list[Path]) -> int:
    """How many notebooks the folder arguments hold in subfolders (left out without
    ``--recursive``)."""
    return sum(len(_in_folder(p, True)) - len(_in_folder(p, False)) for p in paths if p.is_dir())


def _in_folder(folder: Path, recursive: bool) -> list[Path]:
    """The folder's notebooks: not hidden, not checkpoints."""
    pattern = folder.rglob("*.ipynb") if recursive else folder.glob("*.ipynb")
    return sorted(p for p in pattern if p.is_file() and ".ipynb_checkpoints" not in p.parts
                  and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def _resolves_inside(path: Path, folder: Path) -> bool:
    try:
        return path.resolve().is_relative_to(folder)
    except (OSError, RuntimeError):
        return False


def module_names(relatives: list[str], taken: frozenset[str] = frozenset()) -> dict[str, str]:
    """notebook (relative path) -> its module: the file name without its ordering prefix
    (``01_get_data.ipynb`` -> ``get_data``), an ASCII Python name, unique, never one a template
    uses (``RESERVED``, and the names in ``taken``: the template's own files)."""
    names: dict[str, str] = {}
    reserved = RESERVED | taken
    from nb2prod.redact import find_token

    for relative in relatives:
        stem = Path(relative).stem
        unordered = re.sub(r"^(?:\d+[a-z]?[\s._-]+)+", "", stem, flags=re.IGNORECASE)
        # a token in a file name must not become a module name in the project
        base = "notebook" if find_token(stem) or find_token(unordered) else \
            _identifier(stem, strip_order=True) or "notebook"
        if base[0].isdigit():
            base = f"nb_{base}"
        folder = _identifier(Path(relative).parent.name)
        if base in names.values() and folder and not folder[0].isdigit():
            base = f"{folder}_{base}"  # data_prep/01_clean and modeling/01_clean
        # a module beside others (the script template's) must not hide a library it imports,
        # nor the pipeline's `from pkg import list` a builtin
        if keyword.iskeyword(base) or base in reserved or base in SHADOWED or base in _BUILTINS:
            base = f"{base}_notebook"
        name, n = base, 2
        while name in names.values() or name in reserved:
            name, n = f"{base}_{n}", n + 1
        names[relative] = name
    return names


def _identifier(text: str, strip_order: bool = False) -> str:
    """Lower-case ASCII words of ``text`` joined by ``_`` (Python reads ``ﬁle`` as ``file``:
    so do we, before dropping what has no ASCII form)."""
    import unicodedata

    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text))
    text = text.encode("ascii", "ignore").decode()
    if strip_order:  # 01_, 00a_, 1.2-, 03b. : an ordering prefix (not the 2 of 06_2nd_stage)
        text = re.sub(r"^(?:\d+[a-z]?[\s._-]+)+(?=[A-Za-z0-9])", "", text, flags=re.IGNORECASE)
    return re.sub(r"\W+", "_", text).strip("_").lower()
