"""The only module that writes to disk: atomic files and whole folders, never half-written.

Files are written to a temporary sibling and renamed into place. Folders are built in a temporary
sibling folder and moved into place at the end, so a failure leaves nothing behind.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from nb2prod.errors import Nb2prodError


class WriteError(Nb2prodError):
    """A file or folder could not be written (permissions, disk full, existing content)."""


def write_files_atomically(folder: Path, files: Mapping[str, str]) -> list[Path]:
    """Write text files into ``folder`` (created if missing); each file appears whole or not at all.

    All files are first written to temporary names, then renamed: a failure while writing leaves
    the folder as it was.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WriteError(f"{folder}: cannot create folder ({exc.strerror or exc})") from None
    staged: list[tuple[Path, Path]] = []
    try:
        for name, text in files.items():
            target = folder / name
            handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=folder)
            with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
                stream.write(text)
            staged.append((Path(temp), target))
        for temp, target in staged:
            os.replace(temp, target)
    except OSError as exc:
        for temp, _ in staged:
            temp.unlink(missing_ok=True)
        raise WriteError(f"{folder}: cannot write ({exc.strerror or exc})") from None
    return [target for _, target in staged]


def write_tree_atomically(destination: Path, files: Mapping[str, str | bytes], force: bool) -> Path:
    """Create ``destination`` holding ``files`` (relative paths), replacing it only with ``force``."""
    if destination.exists() and not destination.is_dir():
        raise WriteError(f"{destination}: exists and is not a folder")
    if destination.is_dir() and any(destination.iterdir()) and not force:
        raise WriteError(f"{destination}: folder is not empty (use --force to replace it)")
    parent = destination.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{destination.name}.", dir=parent))
    except OSError as exc:
        raise WriteError(f"{destination}: cannot create ({exc.strerror or exc})") from None
    try:
        for relative, content in files.items():
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8", newline="\n")
        _swap_into_place(staging, destination)
    except OSError as exc:
        raise WriteError(f"{destination}: cannot write ({exc.strerror or exc})") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return destination


def _swap_into_place(staging: Path, destination: Path) -> None:
    backup = None
    if destination.exists():
        backup = destination.with_name(f".{destination.name}.old-{os.getpid()}")
        os.replace(destination, backup)
    try:
        os.replace(staging, destination)
    except OSError:
        if backup is not None:
            os.replace(backup, destination)
        raise
    if backup is not None:
        shutil.rmtree(backup, ignore_errors=True)
