"""Run a notebook (with cells that capture each step's values) and the generated project.

Both run in temporary copies of the notebook's folder, in subprocesses with timeouts: the user's
notebook, data and project are never modified. This is the only part of nb2prod that executes
notebook code, and only because the user asked `verify` to.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nb2prod.errors import Nb2prodError, UsageError

DUMP_ENV = "NB2PROD_DUMP_DIR"
_SKIPPED = frozenset({".ipynb_checkpoints", "__pycache__", ".git"})

RUNNER = r'''
import json, sys
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError
notebook = nbformat.read(sys.argv[1], as_version=4)
client = NotebookClient(notebook, timeout=int(sys.argv[3]), kernel_name=sys.argv[5],
                        resources={"metadata": {"path": sys.argv[2]}})
result = {"ok": True}
try:
    client.execute()
except CellTimeoutError as exc:
    result = {"ok": False, "error": "timeout", "detail": str(exc).splitlines()[0][:300]}
except CellExecutionError as exc:
    result = {"ok": False, "error": getattr(exc, "ename", "error"),
              "detail": str(getattr(exc, "evalue", ""))[:300]}
for index, cell in enumerate(notebook.cells):
    if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
        result["cell"] = index
        break
nbformat.write(notebook, sys.argv[4])
print(json.dumps(result))
'''

DUMP_CELL = '''# nb2prod verify: capture this step's values
import pickle as _nb2prod_pickle
_nb2prod_values = {{}}
for _nb2prod_name in {names!r}:
    if _nb2prod_name in globals():
        try:
            _nb2prod_pickle.dumps(globals()[_nb2prod_name])
            _nb2prod_values[_nb2prod_name] = globals()[_nb2prod_name]
        except Exception:
            _nb2prod_kind = type(globals()[_nb2prod_name]).__name__
            _nb2prod_values[_nb2prod_name] = "<nb2prod: not picklable: " + _nb2prod_kind + ">"
with open({path!r}, "wb") as _nb2prod_file:
    _nb2prod_pickle.dump(_nb2prod_values, _nb2prod_file)
'''


class NotebookRunError(Nb2prodError):
    """The notebook itself does not run: not nb2prod's crash, and nothing to compare."""

    exit_code = 1


@dataclass
class Run:
    values: dict[str, dict[str, Any]] = field(default_factory=dict)  # step -> name -> value
    stdout: str = ""
    files: dict[str, str] = field(default_factory=dict)  # files the run wrote -> sha256
    engine: str = ""  # the orchestrator the project ran on ('' for python -m <package>)
    # why the run stopped before its end ('' when it ran through): the values it captured
    # before are still compared
    failure: str = ""
    # what printed output of the notebook's the project cannot print ('' when none: compared)
    unmatched_stdout: str = ""


def run_notebook(notebook: Path, steps: list[dict], python: str, cell_timeout: int,
                 timeout: int) -> Run:
    """Execute a copy of the notebook with a capture cell after each step's last cell, in a
    throwaway environment (see :mod:`nb2prod.verify.sandbox`)."""
    return run_notebooks(notebook.parent, [(notebook.name, steps)], python, cell_timeout, timeout)


def run_notebooks(folder: Path, notebooks: list[tuple[str, list[dict]]], python: str,
                  cell_timeout: int, timeout: int) -> Run:
    """Execute copies of the notebooks (paths relative to ``folder``, each with its steps), one
    after the other, each in its own kernel, all in one copy of ``folder``: what one writes, the
    next reads, as when a person runs a project's notebooks in order."""
    from nb2prod.verify.sandbox import create_sandbox

    with tempfile.TemporaryDirectory(prefix="nb2prod-verify-") as tmp:
        sandbox = create_sandbox(python, Path(tmp))
        work, dumps = _workspace(folder, Path(tmp))
        before = _snapshot(work)
        printed, failure, unmatched = [], "", ""
        for relative, steps in notebooks:  # (a later notebook reads what a failed one did not write)
            (stdout, why), failure = _execute(sandbox, folder / relative, work / relative, steps,
                                              dumps, (python, cell_timeout, timeout), Path(tmp))
            printed.append(stdout)
            unmatched = unmatched or why
            if failure:
                break
        return Run(_load_dumps(dumps), "".join(printed), _written(work, before), failure=failure,
                   unmatched_stdout=unmatched)


def _execute(sandbox, notebook: Path, copy: Path, steps: list[dict], dumps: Path,
             limits: tuple[str, int, int], tmp: Path) -> tuple[tuple[str, str], str]:
    """Run one instrumented notebook beside its copy; its stdout (and what of it the project
    cannot print), and why it stopped early ('' when it ran through). ``limits``: the user's
    Python (for messages), seconds per cell, seconds for the notebook."""
    from nb2prod.verify.sandbox import KERNEL_NAME

    python, cell_timeout, timeout = limits
    raw = json.loads(notebook.read_text(encoding="utf-8-sig"))
    instrumented_raw, origin = _instrument(raw, steps, dumps)
    instrumented = copy.parent / f".nb2prod-{copy.name}"
    instrumented.write_text(json.dumps(instrumented_raw), encoding="utf-8")
    executed = tmp / "executed.ipynb"
    code, stdout, stderr = sandbox.run(
        [sandbox.python, "-c", RUNNER, str(instrumented), str(copy.parent), str(cell_timeout),
         str(executed), KERNEL_NAME], cwd=copy.parent, timeout=timeout, log=tmp / "runner")
    if code is None:
        raise NotebookRunError(f"{notebook}: the notebook did not finish within {timeout} s")
    status = _runner_status(code, stdout, stderr, python)
    printed = _stdout(json.loads(executed.read_text(encoding="utf-8")))
    return printed, "" if status["ok"] else _failure_message(notebook, status, origin)


def run_project(notebook_folder: Path, project: Path, package: str, python: str, timeout: int) -> Run:
    """Run ``python -m <package>`` with step dumps switched on, in a copy of the notebook's folder
    and a throwaway environment."""
    from nb2prod.verify.sandbox import create_sandbox

    source = project / "src" if (project / "src" / package).is_dir() else project
    if not (source / package / "__main__.py").is_file():
        raise UsageError(f"{project}: no package {package!r} with a __main__.py (verify needs a "
                         "project made with the default template or one that extends it)")
    engine = _engine_of(source / package)
    module = f"{package}.engine_run" if engine else package
    with tempfile.TemporaryDirectory(prefix="nb2prod-verify-") as tmp:
        sandbox = create_sandbox(python, Path(tmp))
        work, dumps = _workspace(notebook_folder, Path(tmp))
        before = _snapshot(work)
        code, stdout, stderr = sandbox.run(
            [sandbox.python, "-m", module], cwd=work, timeout=timeout, log=Path(tmp) / "project",
            extra_env={DUMP_ENV: str(dumps), "PYTHONPATH": str(source)})
        if code is None:
            raise NotebookRunError(f"{project}: the project did not finish within {timeout} s")
        failure = ""
        if code != 0:
            last = _error_line(stderr)
            if engine and "ModuleNotFoundError" in last:
                raise NotebookRunError(f"{project}: the generated project fails on {engine} "
                                       f"(verify needs a Python with {engine} installed: "
                                       f"--python): {last}")
            failure = f"{project}: the generated project fails: {last}"
        return Run(_load_dumps(dumps), stdout, _written(work, before), engine, failure)


def _error_line(stderr: str) -> str:
    """The line naming the exception that ended the run (engines log after it), else the last."""
    lines = stderr.strip().splitlines() or ["no error output"]
    errors = [line for line in lines if re.match(r"^[\w.]*(Error|Exception|Interrupt)\b.*", line)]
    return (errors or lines)[-1]


def _engine_of(package: Path) -> str:
    """The orchestrator a project runs on: its ``engine_run`` module names it (``ENGINE``)."""
    entry = package / "engine_run.py"
    if not entry.is_file():
        return ""
    match = re.search(r"^ENGINE = [\"']([\w-]+)[\"']", entry.read_text(encoding="utf-8"), re.M)
    return match.group(1) if match else "an orchestrator"


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.relative_to(folder).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in folder.rglob("*") if p.is_file()}


def _written(folder: Path, before: dict[str, tuple[int, int]]) -> dict[str, str]:
    """Files a run created or changed in its working folder, with their content hash."""
    import hashlib

    written = {}
    for relative, stamp in sorted(_snapshot(folder).items()):
        name = relative.rsplit("/", 1)[-1]
        if before.get(relative) == stamp or name.startswith(".nb2prod-") or "__pycache__" in relative:
            continue
        written[relative] = hashlib.sha256((folder / relative).read_bytes()).hexdigest()
    return written


def _workspace(folder: Path, tmp: Path) -> tuple[Path, Path]:
    work = tmp / "work"
    copy_folder(folder, work)
    dumps = tmp / "dumps"
    dumps.mkdir()
    return work, dumps


def copy_folder(folder: Path, work: Path) -> None:
    """Copy the notebook's folder with the content of symlinks that stay inside it (files and
    folders); dangling, looping and outside-leading symlinks are left out."""
    root = folder.resolve()
    for current, dirs, files in os.walk(folder, followlinks=True):
        here = Path(current)
        if _cycles(here, folder):
            dirs[:] = []
            continue
        dirs[:] = [d for d in dirs if d not in _SKIPPED and _inside(here / d, root)]
        target = work / here.relative_to(folder)
        target.mkdir(parents=True, exist_ok=True)
        for name in files:
            if _inside(here / name, root):
                with contextlib.suppress(OSError):  # unreadable: the run reports what it misses
                    shutil.copyfile(here / name, target / name)


def _cycles(here: Path, folder: Path) -> bool:
    """``here`` is a link back to one of the folders it sits in: following it never ends."""
    real = here.resolve()
    return any(ancestor.resolve() == real for ancestor in here.parents
               if ancestor == folder or folder in ancestor.parents)


def _inside(path: Path, root: Path) -> bool:
    if not path.is_symlink():
        return True
    try:
        return path.resolve(strict=True).is_relative_to(root)
    except (OSError, RuntimeError):  # dangling or looping
        return False


def _instrument(raw: dict, steps: list[dict], dumps: Path) -> tuple[dict, list[int | None]]:
    """The notebook with a capture cell after each step; and each cell's original index."""
    cells = list(raw.get("cells", []))
    origin: list[int | None] = list(range(len(cells)))
    for step in sorted(steps, key=lambda s: max(s["cells"]), reverse=True):
        source = DUMP_CELL.format(names=list(step["outputs"]), path=str(dumps / f"{step['name']}.pkl"))
        position = max(step["cells"]) + 1
        cells.insert(position, {"cell_type": "code", "execution_count": None,
                                "metadata": {"nb2prod": "verify"}, "outputs": [], "source": source})
        origin.insert(position, None)
    return {**raw, "cells": cells}, origin


def _runner_status(code: int, stdout: str, stderr: str, python: str) -> dict:
    lines = stdout.strip().splitlines()
    if code != 0 or not lines:
        error = (stderr.strip().splitlines() or ["no output"])[-1]
        if "No module named" in error and ("nbclient" in error or "nbformat" in error):
            raise UsageError(f"{python} cannot run notebooks ({error}); install nb2prod[verify]")
        if "No such kernel" in error or "NoSuchKernel" in error:
            raise UsageError(f"{python} has no python3 Jupyter kernel; install ipykernel")
        raise NotebookRunError(f"could not run the notebook: {error}")
    return json.loads(lines[-1])


def _failure_message(notebook: Path, status: dict, origin: list[int | None]) -> str:
    index = status.get("cell")
    original = origin[index] if index is not None and index < len(origin) else None
    where = f"cell {original}" if original is not None else "a cell"
    return (f"{notebook}: the notebook itself fails at {where}: {status.get('error')}: "
            f"{status.get('detail', '')}".strip())


def _load_dumps(folder: Path) -> dict[str, dict[str, Any]]:
    values = {}
    for path in sorted(folder.glob("*.pkl")):
        with open(path, "rb") as stream:
            unpickler = _LenientUnpickler(stream)
            try:  # our own capture files, just written by the two runs
                values[path.stem] = unpickler.load()
            except Exception as exc:  # an unloadable dump is a row in the report, not a crash
                if unpickler.missing:
                    raise _missing_here(unpickler.missing) from None
                values[path.stem] = {"<unloadable>": f"{type(exc).__name__}: {exc}"}
    return values


def _missing_here(modules: set[str]) -> UsageError:
    """The runs used another Python (--python) whose libraries this one lacks: the values they
    captured cannot be read here, and every row would say "missing"."""
    names = ", ".join(sorted(modules))
    return UsageError(f"the captured values need {names}, which nb2prod's own Python "
                      f"({sys.executable}) cannot import: install {names} there, or install "
                      "nb2prod in the environment given with --python and run it from there")


class _Placeholder:
    """A value of a class defined in the notebook (or the project), compared by its state."""

    def __setstate__(self, state: Any) -> None:
        self.__dict__["_state"] = state

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and _state(self) == _state(other)

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({_state(self)!r})"


def _state(value: _Placeholder) -> Any:
    return value.__dict__.get("_state", {k: v for k, v in value.__dict__.items()})


_PLACEHOLDERS: dict[str, type] = {}


class _LenientUnpickler(pickle.Unpickler):
    """Classes the notebook defined live in its kernel's __main__ and the project's in its package:
    both load as one placeholder class per class name, so their instances compare by state."""

    def __init__(self, stream) -> None:
        super().__init__(stream)
        self.missing: set[str] = set()  # libraries this Python lacks that a value needs

    def find_class(self, module: str, name: str) -> Any:
        if module == "__main__" or module.split(".")[-1] in {"pipeline", "support"}:
            return _PLACEHOLDERS.setdefault(name, type(name, (_Placeholder,), {}))
        try:
            return super().find_class(module, name)
        except ModuleNotFoundError as exc:
            self.missing.add((exc.name or module).split(".")[0])
            return _PLACEHOLDERS.setdefault(name, type(name, (_Placeholder,), {}))
        except (AttributeError, ImportError):
            return _PLACEHOLDERS.setdefault(name, type(name, (_Placeholder,), {}))


def _stdout(executed: dict) -> tuple[str, str]:
    """What the notebook's Python printed: not IPython's own syntax (`%time`'s timings, pip's
    progress), which the project does not run; and where it printed through syntax whose output
    cannot be told apart ('' when it did not)."""
    from nb2prod.notebook.printed import printed_outside_ipython, recorded_stdout

    parts, unmatched = [], ""
    for cell in executed.get("cells", []):
        if cell.get("metadata", {}).get("nb2prod") == "verify":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        text, what = printed_outside_ipython(source, recorded_stdout(cell.get("outputs", [])))
        parts.append(text)
        unmatched = unmatched or (f"a cell printed through {what}" if what else "")
    return "".join(parts), unmatched
