"""What an interpreter has installed, read from its package metadata (no notebook code runs).

The same probe runs in-process for the current interpreter and in a subprocess for ``--python``.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from nb2prod.errors import UsageError
from nb2prod.pin.mapping import Environment

PROBE = r'''
import json, re, sys
from importlib import metadata

def probe():
    norm = lambda n: re.sub(r"[-_.]+", "-", n).lower()
    packages = {k: sorted(set(v)) for k, v in metadata.packages_distributions().items()}
    versions = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            versions.setdefault(norm(name), dist.version)
    shared = {d for v in packages.values() if len(v) > 1 for d in v}
    files = {}
    for name in shared:
        try:
            paths = metadata.files(name) or []
        except metadata.PackageNotFoundError:
            continue
        files[name] = sorted({str(p).rsplit("/", 1)[0] for p in paths if str(p).endswith(".py")})
    return {"packages": packages, "versions": versions, "files": files,
            "python": "%d.%d" % sys.version_info[:2]}
'''


def current_environment() -> Environment:
    namespace: dict = {}
    exec(compile(PROBE, "<nb2prod probe>", "exec"), namespace)  # our own code, not the notebook's
    return _environment(namespace["probe"](), "current environment")


def interpreter_environment(python: Path) -> Environment:
    """The distributions installed for another interpreter (the notebook's kernel, a venv)."""
    try:
        result = subprocess.run(
            [str(python), "-I", "-c", PROBE + "\nprint(json.dumps(probe()))"],
            capture_output=True, text=True, timeout=120, check=False,
        )
    except FileNotFoundError:
        raise UsageError(f"{python}: no such interpreter") from None
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UsageError(f"{python}: cannot query installed packages ({exc})") from None
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise UsageError(f"{python}: cannot query installed packages ({last})")
    return _environment(json.loads(result.stdout), f"environment of {python}")


def _environment(data: dict, label: str) -> Environment:
    return Environment(
        packages={k: tuple(v) for k, v in data["packages"].items()},
        versions=dict(data["versions"]),
        files={k: tuple(v) for k, v in data["files"].items()},
        label=label,
        python=str(data.get("python", "")),
    )
