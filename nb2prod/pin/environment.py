"""What an interpreter has installed, read from its package metadata (no notebook code runs).

The same probe runs in-process for the current interpreter and in a subprocess for ``--python``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from nb2prod.errors import UsageError
from nb2prod.pin.mapping import Environment

PROBE_SECONDS = 120
PROBE = r'''
import json, re, sys
try:
    from importlib import metadata
except ImportError:  # Python < 3.8
    try:
        import importlib_metadata as metadata
    except ImportError:
        metadata = None

def _tops(dist):
    text = dist.read_text("top_level.txt") or ""
    return text.split()

def _with_metadata():
    norm = lambda n: re.sub(r"[-_.]+", "-", n).lower()
    if hasattr(metadata, "packages_distributions"):
        packages = dict((k, sorted(set(v))) for k, v in metadata.packages_distributions().items())
    else:
        packages = {}
        for dist in metadata.distributions():
            for top in _tops(dist):
                packages.setdefault(top, set()).add(dist.metadata["Name"])
        packages = dict((k, sorted(v)) for k, v in packages.items())
    versions = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            versions.setdefault(norm(name), dist.version)
    shared = set(d for v in packages.values() if len(v) > 1 for d in v)
    files = {}
    for name in shared:
        try:
            paths = metadata.files(name) or []
        except metadata.PackageNotFoundError:
            continue
        files[name] = sorted(set(str(p).rsplit("/", 1)[0] for p in paths if str(p).endswith(".py")))
    return packages, versions, files

def _with_pkg_resources():  # Python 2.7 and old 3.x without importlib_metadata
    import pkg_resources
    norm = lambda n: re.sub(r"[-_.]+", "-", n).lower()
    packages, versions = {}, {}
    for dist in pkg_resources.working_set:
        versions.setdefault(norm(dist.project_name), dist.version)
        try:
            tops = dist.get_metadata("top_level.txt").split()
        except Exception:
            tops = []
        for top in tops:
            packages.setdefault(top, set()).add(dist.project_name)
    return dict((k, sorted(v)) for k, v in packages.items()), versions, {}

def probe():
    packages, versions, files = _with_metadata() if metadata else _with_pkg_resources()
    return {"packages": packages, "versions": versions, "files": files,
            "python": "%d.%d" % sys.version_info[:2]}
'''


def current_environment() -> Environment:
    namespace: dict = {}
    exec(compile(PROBE, "<nb2prod probe>", "exec"), namespace)  # our own code, not the notebook's
    return _environment(namespace["probe"](), "current environment")


def interpreter_environment(python: Path) -> Environment:
    """The distributions installed for another interpreter (the notebook's kernel, a venv)."""
    shown = " ".join(str(python).splitlines())
    try:  # -E -s, in an empty folder: nothing of the user's is imported (Python 2 has no -I)
        with tempfile.TemporaryDirectory(prefix="nb2prod-probe-") as folder:
            result = _run_probe([str(python), "-E", "-s", "-c",
                                 PROBE + "\nprint(json.dumps(probe()))"], folder)
    except FileNotFoundError:
        raise UsageError(f"{shown}: no such interpreter") from None
    except subprocess.TimeoutExpired:
        raise UsageError(f"{shown}: cannot query installed packages (no answer in "
                         f"{PROBE_SECONDS} s)") from None
    except OSError as exc:
        raise UsageError(f"{shown}: cannot query installed packages ({exc.strerror})") from None
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1][:200]
        raise UsageError(f"{shown}: cannot query installed packages ({last})")
    try:
        return _environment(json.loads(result.stdout.strip().splitlines()[-1]),
                            f"environment of {shown}")
    except (ValueError, IndexError, KeyError, TypeError, AttributeError):
        raise UsageError(f"{shown}: cannot query installed packages (it does not answer as "
                         "Python does)") from None


def _run_probe(command: list[str], folder: str) -> subprocess.CompletedProcess[str]:
    """Run the probe in its own session, and on timeout stop all it started, not only it."""
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          cwd=folder, stdin=subprocess.DEVNULL,
                          start_new_session=os.name != "nt") as process:
        try:
            out, err = process.communicate(timeout=PROBE_SECONDS)
        except subprocess.TimeoutExpired:
            if os.name != "nt":
                with contextlib.suppress(OSError):
                    os.killpg(process.pid, signal.SIGKILL)
            process.kill()
            process.communicate()
            raise
    return subprocess.CompletedProcess(command, process.returncode, out, err)


def _environment(data: dict, label: str) -> Environment:
    """The probe's answer, checked: names and versions are strings (another program's output
    is rejected by the caller)."""
    if not isinstance(data, dict) or not all(isinstance(data.get(k), dict)
                                             for k in ("packages", "versions", "files")):
        raise TypeError("not a probe answer")
    strings = all(isinstance(k, str) and isinstance(v, str) for k, v in data["versions"].items())
    lists = all(isinstance(v, list) for table in ("packages", "files") for v in data[table].values())
    if not strings or not lists:
        raise TypeError("not a probe answer")
    return Environment(
        packages={k: tuple(v) for k, v in data["packages"].items()},
        versions=dict(data["versions"]),
        files={k: tuple(v) for k, v in data["files"].items()},
        label=label,
        python=str(data.get("python", "")),
    )


# kernel names every Jupyter has: they say which language, not which interpreter
_GENERIC_KERNELS = frozenset({"", "python", "python2", "python3"})


def kernel_interpreter(kernel_name: str) -> Path | None:
    """The interpreter of an installed Python kernelspec of that name (its ``kernel.json`` says
    ``"language": "python"`` and its first argument is an absolute path to a file); None for the
    generic ``python3`` or when not found. Read from the folders Jupyter itself searches, without
    importing Jupyter."""
    if kernel_name.lower() in _GENERIC_KERNELS or not _KERNEL_NAME.fullmatch(kernel_name):
        return None
    for folder in _kernel_folders():
        try:
            spec = json.loads((folder / kernel_name / "kernel.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        argv = spec.get("argv") if isinstance(spec, dict) else None
        if str(spec.get("language", "")).lower() != "python" or not isinstance(argv, list) \
                or not argv or not isinstance(argv[0], str):
            continue
        python = Path(argv[0])
        if python.is_absolute() and python.is_file():
            return python
    return None


_KERNEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")  # Jupyter's own rule; never `..`


def _kernel_folders() -> list[Path]:
    """Jupyter's data path: JUPYTER_PATH, the user's data folder, then the environment's and
    the system's."""
    roots = [Path(p) for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p]
    if os.environ.get("JUPYTER_DATA_DIR"):
        roots.append(Path(os.environ["JUPYTER_DATA_DIR"]))
    elif sys.platform == "darwin":
        roots.append(Path.home() / "Library" / "Jupyter")
    elif os.name == "nt" and os.environ.get("APPDATA"):
        roots.append(Path(os.environ["APPDATA"]) / "jupyter")
    else:
        roots.append(Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
                     / "jupyter")
    roots += [Path(sys.prefix) / "share" / "jupyter"]
    if os.name != "nt":
        roots += [Path("/usr/local/share/jupyter"), Path("/usr/share/jupyter")]
    return [root / "kernels" for root in roots]


def evidence_environment(notebooks) -> Environment:
    """The environment whose installed versions may be evidence: that of the kernel a notebook
    names, when installed here (not the generic ``python3``); else the one nb2prod runs in.
    (Whether its Python is the notebook's is decided where the versions are used.)"""
    for notebook in notebooks:
        spec = notebook.metadata.get("kernelspec")
        python = kernel_interpreter(str(spec.get("name") or "") if isinstance(spec, dict) else "")
        if python is not None:
            try:
                return interpreter_environment(python)
            except UsageError:  # the kernel's interpreter does not answer: its versions are
                # unknown, and nb2prod's own are not the kernel's (names still map through them)
                return dataclasses.replace(current_environment(), versions={})
    return current_environment()
