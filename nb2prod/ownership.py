"""Which files nb2prod may replace or delete: its own, unedited, and nothing else.

Every folder nb2prod writes a project into holds ``.nb2prod/manifest.json``: the files it wrote,
each with the SHA-256 of its content. A later run may replace or delete a file only when the file
is listed there *and* still has that hash (nobody edited it since). Everything else in the folder
belongs to the user: ``.git/``, ``.venv/``, notes, data, and any generated file someone changed.

Pure analysis: reads files to hash them, never writes.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from nb2prod.errors import Nb2prodError

MANIFEST_PATH = ".nb2prod/manifest.json"
STAGING_PREFIX = ".nb2prod-staging-"


class OutputLocationError(Nb2prodError):
    """An output folder nb2prod refuses to write into (it would hold the user's own work)."""


class OwnershipConflict(Nb2prodError):
    """Paths nb2prod would generate are the user's (edited since, or never nb2prod's)."""

    def __init__(self, folder: Path, conflicts: tuple[str, ...], hint: str) -> None:
        shown = ", ".join(conflicts[:8]) + (f" and {len(conflicts) - 8} more" if len(conflicts) > 8 else "")
        super().__init__(f"{folder}: not written: {len(conflicts)} file(s) are yours, not nb2prod's "
                         f"(edited since nb2prod wrote them, or never written by it): {shown}; {hint}")
        self.conflicts = conflicts


@dataclass(frozen=True)
class TreeWrite:
    """What writing a project into a folder does, decided before anything is touched."""

    create: tuple[str, ...]  # paths that do not exist yet
    unchanged: tuple[str, ...]  # own files whose content stays the same: not touched
    replace: tuple[str, ...]  # nb2prod's own unedited files, or colliding paths under --overwrite
    delete: tuple[str, ...]  # own unedited files the new project no longer has
    kept: tuple[str, ...]  # own files no longer generated but edited since: left alone
    conflicts: tuple[str, ...]  # user files at generated paths (refused without --overwrite)
    blocked: tuple[str, ...]  # paths no flag may write (a folder or a symlink is in the way)


def sha256(content: str | bytes) -> str:
    data = content.encode("utf-8") if isinstance(content, str) else content
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path) -> str | None:
    """The hash of a regular file (never through a symlink), or None."""
    try:
        if path.is_symlink() or not path.is_file():
            return None
        return sha256(path.read_bytes())
    except OSError:
        return None


def read_manifest(folder: Path) -> dict[str, str]:
    """Relative path -> hash of the files nb2prod wrote into ``folder``; {} when unknown.

    A corrupt or foreign manifest owns nothing: the safe reading is "everything is the user's".
    """
    try:
        data = json.loads((folder / MANIFEST_PATH).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, dict):
        return {}
    return {p: h for p, h in files.items() if isinstance(p, str) and isinstance(h, str) and _safe(p)}


def manifest_text(files: Mapping[str, str | bytes], generator: str) -> str:
    listed = {path: sha256(content) for path, content in sorted(files.items())}
    return json.dumps({"generator": generator, "note": "files nb2prod wrote here and their SHA-256; "
                       "nb2prod replaces or deletes only these, and only while unedited",
                       "files": listed}, indent=2) + "\n"


def plan_tree_write(folder: Path, files: Mapping[str, str | bytes], overwrite: bool) -> TreeWrite:
    """Decide, file by file, what writing ``files`` into ``folder`` may do."""
    manifest = read_manifest(folder)
    own = {p for p, h in manifest.items() if file_sha256(folder / p) == h}
    create, unchanged, replace, conflicts, blocked = [], [], [], [], []
    for path in sorted(files):
        target = folder / path
        if _obstructed(folder, path):
            blocked.append(path)
        elif not os.path.lexists(target):
            create.append(path)
        elif target.is_dir() and not target.is_symlink():
            blocked.append(path)
        elif path in own:
            (unchanged if manifest[path] == sha256(files[path]) else replace).append(path)
        else:
            (replace if overwrite else conflicts).append(path)
    stale = [p for p in sorted(manifest) if p not in files and p != MANIFEST_PATH]
    # a parent that became a symlink (or a file) leads outside the tree: never delete through it
    delete = tuple(p for p in stale if p in own and not _obstructed(folder, p))
    kept = tuple(p for p in stale if p not in own and os.path.lexists(folder / p))
    return TreeWrite(tuple(create), tuple(unchanged), tuple(replace), delete, kept, tuple(conflicts),
                     tuple(blocked))


def _obstructed(folder: Path, relative: str) -> bool:
    """A parent of the path is a file or a symlink: writing there would replace or leave the tree."""
    current = folder
    for part in Path(relative).parts[:-1]:
        current = current / part
        if current.is_symlink() or (os.path.lexists(current) and not current.is_dir()):
            return True
    return False


def _safe(relative: str) -> bool:
    parts = Path(relative).parts
    return bool(parts) and not Path(relative).is_absolute() and ".." not in parts


def check_output_location(output: Path, notebooks: list[Path]) -> Path:
    """The resolved output folder, or an error when it would hold the user's own work.

    Paths are compared resolved (``./``, ``x/..`` and symlinks), never as strings.
    """
    try:
        resolved = output.expanduser().resolve()
    except (OSError, RuntimeError):
        raise OutputLocationError(f"{output}: cannot resolve the output folder (a symlink loop?)") from None
    home = Path.home().resolve()
    if resolved == Path(resolved.anchor) or resolved == home:
        raise OutputLocationError(f"{output}: refusing to write a project into "
                                  f"{'the home folder' if resolved == home else 'the root folder'}; "
                                  "pass a new folder with -o")
    for notebook in notebooks:
        try:  # the folder holding the notebook, and the one holding its target when it is a link
            sources = {notebook.expanduser().absolute().parent.resolve(),
                       notebook.expanduser().resolve(strict=False).parent}
        except (OSError, RuntimeError):
            raise OutputLocationError(f"{notebook}: cannot resolve the notebook's path "
                                      "(a symlink loop?)") from None
        source = next((s for s in sorted(sources) if resolved == s or s.is_relative_to(resolved)),
                      None)
        if source is not None:
            raise OutputLocationError(
                f"{output}: refusing to write the project into the notebook's own folder or one "
                f"above it ({source}); pass a new folder with -o, e.g. -o {source.name}-project")
    if resolved.exists() and not resolved.is_dir():
        raise OutputLocationError(f"{output}: exists and is not a folder")
    return resolved


# -- single files that carry their own ownership stamp (pin's requirement files) ------------------
STAMP_PREFIX = "# nb2prod-owned sha256="
STAMP_NOTE = " (written by nb2prod; once edited, the file is yours and nb2prod will not replace it)"


def stamped(text: str) -> str:
    """``text`` with a first line holding the hash of the rest: an edit shows as a mismatch."""
    return f"{STAMP_PREFIX}{sha256(text)}{STAMP_NOTE}\n{text}"


def is_own_unedited(text: str) -> bool:
    first, _, rest = text.partition("\n")
    if not first.startswith(STAMP_PREFIX):
        return False
    recorded = first[len(STAMP_PREFIX):len(STAMP_PREFIX) + 64]
    return recorded == sha256(rest)
