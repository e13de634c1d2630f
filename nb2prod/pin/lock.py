"""Lock direct requirements into a full, pinned tree with pip-tools' ``pip-compile``.

pip-compile runs in a subprocess on copies in a temporary folder; the caller decides what to
write where (see :mod:`nb2prod.write`).
"""

from __future__ import annotations

import os
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


def compile_lock(requirements_in: str, options: LockOptions) -> str:
    """The text of requirements.txt for ``requirements_in``, or :class:`ResolutionError`."""
    with tempfile.TemporaryDirectory(prefix="nb2prod-pin-") as folder:
        source = Path(folder) / "requirements.in"
        target = Path(folder) / "requirements.txt"
        source.write_text(requirements_in, encoding="utf-8")
        command = [sys.executable, "-m", "piptools", "compile", "--quiet", "--strip-extras",
                   "--no-emit-index-url", "--no-emit-find-links", "--output-file", str(target),
                   str(source), "--cache-dir", str(Path(folder) / "cache")]
        if options.hashes:
            command.append("--generate-hashes")
        if options.no_index:
            command.append("--no-index")
        if options.index_url:
            command += ["--index-url", options.index_url]
        for link in options.find_links:
            command += ["--find-links", str(Path(link).resolve())]
        try:
            result = subprocess.run(command, capture_output=True, text=True, cwd=folder,
                                    timeout=options.timeout, check=False, env=_environment())
        except subprocess.TimeoutExpired:
            raise ResolutionError(f"pip-compile took longer than {options.timeout} s") from None
        if result.returncode != 0 or not target.is_file():
            raise ResolutionError(f"pip-compile could not lock the requirements: {_reason(result)}")
        return _relabel(target.read_text(encoding="utf-8"), folder)


def _environment() -> dict[str, str]:
    # pip-compile's header names the command to re-run: ours, not its temporary paths
    return {**os.environ, "CUSTOM_COMPILE_COMMAND": "nb2prod pin"}


def _reason(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line.strip() for line in (result.stderr + result.stdout).splitlines() if line.strip()]
    useful = [line for line in lines if any(marker in line for marker in _REASON_MARKERS)]
    chosen = useful[-2:] if useful else lines[-1:]
    return " | ".join(chosen) if chosen else f"exit status {result.returncode}"


def _relabel(text: str, folder: str) -> str:
    """pip-compile names the temporary files it was given; name the real ones instead."""
    return text.replace(str(Path(folder) / "requirements.in"), "requirements.in").replace(
        str(Path(folder) / "requirements.txt"), "requirements.txt")
