"""Build small notebooks for tests: each test states the cells it needs, nothing more."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from nb2prod.notebook import Notebook, loads_ipynb

DATA = Path(__file__).parent / "data"


def code(source: str, count: int | None = None, outputs: list[dict] | None = None,
         tags: list[str] | None = None) -> dict[str, Any]:
    cell: dict[str, Any] = {"cell_type": "code", "execution_count": count, "metadata": {},
                            "outputs": outputs or [], "source": source}
    if tags:
        cell["metadata"]["tags"] = tags
    return cell


def markdown(source: str) -> dict[str, Any]:
    return {"cell_type": "markdown", "metadata": {}, "source": source}


def stream(text: str, name: str = "stdout") -> dict[str, Any]:
    return {"output_type": "stream", "name": name, "text": text}


def notebook_dict(cells: list[dict[str, Any] | str], **metadata: Any) -> dict[str, Any]:
    """A v4 notebook; bare strings become unexecuted code cells."""
    built = [code(c) if isinstance(c, str) else c for c in cells]
    meta = {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}}
    meta.update(metadata)
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": meta, "cells": built}


def ran(*sources: str) -> list[dict[str, Any]]:
    """Code cells executed once each, top to bottom: a clean run."""
    return [code(s, i) for i, s in enumerate(sources, 1)]


def load(cells: list[dict[str, Any] | str], path: str = "test.ipynb", **metadata: Any) -> Notebook:
    return loads_ipynb(json.dumps(notebook_dict(cells, **metadata), indent=1), path)


def ran_on(version: str) -> dict[str, Any]:
    """Notebook metadata saying which Python last ran it."""
    return {"language_info": {"name": "python", "version": version}}


def write(folder: Path, name: str, cells: list[dict[str, Any] | str], **metadata: Any) -> Path:
    """Write a notebook the way Jupyter does: indent 1, each source as a list of lines."""
    raw = notebook_dict(copy.deepcopy(cells), **metadata)
    for cell in raw["cells"]:
        cell["source"] = cell["source"].splitlines(keepends=True)
    path = folder / name
    path.write_text(json.dumps(raw, indent=1), encoding="utf-8")
    return path


def findings(cells: list[dict[str, Any] | str] | dict[str, Any], codes: str = "NB",
             ) -> list[tuple[str, int, int]]:
    """(code, cell, line) of each finding whose code starts with one of the comma-separated
    prefixes; ``cells`` is a list of cells or a whole notebook dict (a real one, maybe edited)."""
    from nb2prod.api import check_notebook
    from nb2prod.config import Settings
    from nb2prod.rules import ALL_RULES

    raw = cells if isinstance(cells, dict) else notebook_dict(cells)
    prefixes = tuple(codes.split(","))
    settings = Settings(frozenset(c for c in ALL_RULES if c.startswith(prefixes)))
    notebook = loads_ipynb(json.dumps(raw), "test.ipynb")
    return [(f.code, f.cell, f.line) for f in check_notebook(notebook, settings)]


def real(name: str) -> dict[str, Any]:
    """A real notebook from tests/data/real as a dict, to edit the way a person would."""
    return json.loads((DATA / "real" / name).read_text(encoding="utf-8"))


def install_in_fresh_venv(base: Path, project: Path) -> Path:
    """Install a generated project with pip into a fresh virtual environment that borrows this
    environment's packages (so no network is needed); the environment's bin folder."""
    import subprocess
    import sys
    import sysconfig
    import venv

    env_dir = base / "venv"
    venv.create(env_dir, with_pip=True)
    bindir = env_dir / ("Scripts" if sys.platform == "win32" else "bin")
    probe = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = subprocess.run([str(bindir / "python"), "-c", probe], capture_output=True, text=True,
                          check=True).stdout.strip()
    Path(site, "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = subprocess.run([str(bindir / "python"), "-m", "pip", "install", "--quiet", "--no-deps",
                              "--no-build-isolation", "--no-index", str(project)],
                             capture_output=True, text=True)
    assert install.returncode == 0, install.stdout + install.stderr
    return bindir
