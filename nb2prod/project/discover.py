"""Which notebooks make a project, the folder they share, and each one's module name."""

from __future__ import annotations

import builtins
import keyword
import os
import re
from pathlib import Path

from nb2prod.commands.convert import SHADOWED
from nb2prod.errors import UsageError

# module names a template's own files take (and Python's): a notebook never gets one
RESERVED = frozenset({"pipeline", "config", "support", "cli", "compare", "redact", "storage",
                      "common", "flow", "dag", "definitions", "engine_run", "kfp_pipeline",
                      "kfp_steps", "assets", "main", "test", "tests"})

_BUILTINS = frozenset(name.lower() for name in dir(builtins))


def project_notebooks(paths: list[Path], recursive: bool = False) -> tuple[Path, list[Path]]:
    """(the folder the project is made from, its notebooks sorted by path below it). A folder
    means its own notebooks (and its subfolders' with ``recursive``); files name themselves."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += _in_folder(path, recursive)
        elif path.exists():
            found.append(path)
        else:
            raise UsageError(f"{path}: no such file or folder")
    resolved = list(dict.fromkeys(p.resolve() for p in found))
    if not resolved:
        raise UsageError(f"{', '.join(map(str, paths))}: no notebooks (*.ipynb) there"
                         + ("" if recursive else "; --recursive also searches subfolders"))
    root = Path(os.path.commonpath([p.parent for p in resolved]))
    return root, sorted(resolved, key=lambda p: p.relative_to(root).as_posix())


def in_subfolders(paths: list[Path]) -> int:
    """How many notebooks the folder arguments hold in subfolders (left out without
    ``--recursive``)."""
    return sum(len(_in_folder(p, True)) - len(_in_folder(p, False)) for p in paths if p.is_dir())


def _in_folder(folder: Path, recursive: bool) -> list[Path]:
    pattern = folder.rglob("*.ipynb") if recursive else folder.glob("*.ipynb")
    return sorted(p for p in pattern if p.is_file() and ".ipynb_checkpoints" not in p.parts
                  and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def module_names(relatives: list[str]) -> dict[str, str]:
    """notebook (relative path) -> its module: the file name without its ordering prefix
    (``01_get_data.ipynb`` -> ``get_data``), a Python name, unique, never one a template uses."""
    names: dict[str, str] = {}
    for relative in relatives:
        stem = Path(relative).stem
        # 01_, 00a_, 1.2-, 03b. : an ordering prefix (not the 2 of 06_2nd_stage)
        text = re.sub(r"^(?:\d+[a-z]?[\s._-]+)+(?=[A-Za-z0-9])", "", stem, flags=re.IGNORECASE)
        base = re.sub(r"\W+", "_", text).strip("_").lower() or "notebook"
        if base[0].isdigit():
            base = f"nb_{base}"
        # a module beside others (the script template's) must not hide a library it imports,
        # nor the pipeline's `from pkg import list` a builtin
        if keyword.iskeyword(base) or base in RESERVED or base in SHADOWED or base in _BUILTINS:
            base = f"{base}_notebook"
        folder = re.sub(r"\W+", "_", Path(relative).parent.name).strip("_").lower()
        if base in names.values() and folder and not folder[0].isdigit():
            base = f"{folder}_{base}"  # data_prep/01_clean and modeling/01_clean
        name, n = base, 2
        while name in names.values():
            name, n = f"{base}_{n}", n + 1
        names[relative] = name
    return names
