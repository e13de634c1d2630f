"""Lock direct requirements into a full, pinned tree with pip-tools' ``pip-compile``.

pip-compile runs in a subprocess on copies in a temporary folder; the caller decides what to
write where (see :mod:`nb2prod.write`).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from nb2prod.errors import EXIT_FINDINGS, Nb2prodError

_REASON_MARKERS = ("Could not find a version", "No matching distribution", "ResolutionImpossible",
                   "conflict", "Cannot install", "Failed to establish", "Network is unreachable",
                   "ERROR:", "error:")


class ResolutionError(Nb2prodError):
    """pip-compile could not produce a lock (conflict, missing package, no network)."""

    exit_code = EXIT_FINDINGS


@dataclass(frozen=True)
class LockOptions:
    hashes: bool = False
    no_index: bool = False
    find_links: tuple[str, ...] = field(default_factory=tuple)
    index_url: str | None = None
    timeout: int = 600
    python: str = sys.executable  # pip-compile resolves for the Python it runs under
    uploaded_prior_to: str | None = None  # ISO date-time: only releases uploaded before it


_OWN_PYTHON = f"{sys.version_info[0]}.{sys.version_info[1]}"
_PRINT_PYTHON = "import sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}')"


def lock_interpreter(notebook_python: str | None,
                     candidate: Path | None = None) -> tuple[str | None, str]:
    """The interpreter to lock with, and a note: one whose Python is the notebook's
    (``candidate``, the one nb2prod runs on, or a ``pythonX.Y`` on PATH) and that has pip-tools;
    None with why not when there is none (versions for another Python are another era's)."""
    own = _OWN_PYTHON
    if not notebook_python:
        return sys.executable, (f"the notebook does not record its Python; the lock is for "
                                f"Python {own}")
    found = [str(candidate)] if candidate is not None else []
    found += [sys.executable] if own == notebook_python else []
    found += [path for path in [shutil.which(f"python{notebook_python}")] if path]
    for python in found:
        if _python_of(python) == notebook_python and _has_pip_tools(python):
            return python, ""
    return None, (f"no lock: the notebook last ran on Python {notebook_python}, and no Python "
                  f"{notebook_python} with pip-tools was found (pass --python with one, or lock "
                  f"requirements.in yourself); a lock made on Python {own} would pin versions of "
                  "another era")


def _python_of(python: str) -> str:
    if python == sys.executable:
        return _OWN_PYTHON
    try:
        result = subprocess.run([python, "-I", "-c", _PRINT_PYTHON], capture_output=True,
                                text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return result.stdout.strip() if result.returncode == 0 else ""


def _has_pip_tools(python: str) -> bool:
    if python == sys.executable:
        return importlib.util.find_spec("piptools") is not None
    try:
        result = subprocess.run([python, "-I", "-c", "import piptools"], capture_output=True,
                                timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


def compile_lock(requirements_in: str, options: LockOptions) -> str:
    """The text of requirements.txt for ``requirements_in``, or :class:`ResolutionError`."""
    with tempfile.TemporaryDirectory(prefix="nb2prod-pin-") as folder:
        source = Path(folder) / "requirements.in"
        target = Path(folder) / "requirements.txt"
        source.write_text(requirements_in, encoding="utf-8")
        python = options.python
        if options.uploaded_prior_to and not _pip_knows_upload_dates(python):
            python = _dated_lock_environment(Path(folder) / "lock-env", options)
        command = [python, "-m", "piptools", "compile", "--quiet", "--strip-extras",
                   "--no-emit-index-url", "--no-emit-find-links", "--output-file", str(target),
                   str(source), "--cache-dir", str(Path(folder) / "cache"), *_index_args(options)]
        if options.hashes:
            command.append("--generate-hashes")
        if options.uploaded_prior_to:
            command += ["--pip-args", f"--uploaded-prior-to {options.uploaded_prior_to}"]
        result = _run(command, folder, options.timeout, "pip-compile")
        if result.returncode != 0 or not target.is_file():
            raise ResolutionError(f"pip-compile could not lock the requirements: {_reason(result)}")
        return _relabel(target.read_text(encoding="utf-8"), folder)


def _index_args(options: LockOptions) -> list[str]:
    args = ["--no-index"] if options.no_index else []
    if options.index_url:
        args += ["--index-url", options.index_url]
    for link in options.find_links:
        args += ["--find-links", str(Path(link).resolve())]
    return args


def _run(command: list[str], folder: str, timeout: int, what: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(command, capture_output=True, text=True, cwd=folder,
                              timeout=timeout, check=False, env=_environment())
    except subprocess.TimeoutExpired:
        raise ResolutionError(f"{what} took longer than {timeout} s") from None


_UPLOAD_DATES_PIP = "pip>=26"  # the first pip with --uploaded-prior-to


def _pip_knows_upload_dates(python: str) -> bool:
    try:
        result = subprocess.run([python, "-m", "pip", "install", "--help"], capture_output=True,
                                text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return "--uploaded-prior-to" in result.stdout


def _dated_lock_environment(folder: Path, options: LockOptions) -> str:
    """A throwaway virtual environment of the lock's Python with a pip that can filter by upload
    date and pip-tools: the lock interpreter's own environment is the user's and stays as it is."""
    created = _run([options.python, "-m", "venv", str(folder)], str(folder.parent),
                   options.timeout, "python -m venv")
    python = str(folder / ("Scripts/python.exe" if os.name == "nt" else "bin/python"))
    if created.returncode != 0:
        raise ResolutionError(f"--as-of: could not make a temporary environment of "
                              f"{options.python}: {_reason(created)}")
    result = _run([python, "-m", "pip", "install", "--quiet", _UPLOAD_DATES_PIP, "pip-tools",
                   *_index_args(options)], str(folder.parent), options.timeout, "pip install")
    if result.returncode != 0:
        raise ResolutionError(f"--as-of needs {_UPLOAD_DATES_PIP} (it has --uploaded-prior-to), "
                              f"which could not be installed in a temporary environment: "
                              f"{_reason(result)}")
    return python


def _environment() -> dict[str, str]:
    # pip-compile's header names the command to re-run: ours, not its temporary paths
    return {**os.environ, "CUSTOM_COMPILE_COMMAND": "nb2prod pin"}


def _reason(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line.strip() for line in (result.stderr + result.stdout).splitlines() if line.strip()]
    useful = [line for line in lines if any(marker in line for marker in _REASON_MARKERS)]
    chosen = useful[-2:] if useful else lines[-1:]
    # pip lists every version it saw ("from versions: 0.1, 0.2, ..."): keep the message short
    chosen = [line if len(line) <= 300 else line[:297] + "..." for line in chosen]
    return " | ".join(chosen) if chosen else f"exit status {result.returncode}"


def undated_sources(python: str) -> list[str]:
    """Package sources the pip configuration of ``python`` adds (find-links folders, extra
    indexes): their files carry no upload time, so --uploaded-prior-to cannot filter them."""
    try:
        result = subprocess.run([python, "-m", "pip", "config", "list"], capture_output=True,
                                text=True, timeout=60, check=False, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [line.split("=", 1)[1].strip().strip("'\"") for line in result.stdout.splitlines()
            if "=" in line and line.split("=", 1)[0].rsplit(".", 1)[-1] in {"find-links",
                                                                              "extra-index-url"}]


def _relabel(text: str, folder: str) -> str:
    """pip-compile names the temporary files it was given; name the real ones instead."""
    return text.replace(str(Path(folder) / "requirements.in"), "requirements.in").replace(
        str(Path(folder) / "requirements.txt"), "requirements.txt")
