"""The only module that writes to disk: atomic files, and project folders nb2prod owns file by file.

Single files are written to a temporary sibling and renamed into place. A project is written into
its folder under a lock: every file is staged inside the folder first, then moved into place
one rename each; only nb2prod's own unedited files are ever replaced or deleted (see
:mod:`nb2prod.ownership`), and a manifest of what was written is left for the next run.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
import signal
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from nb2prod.errors import Nb2prodError
from nb2prod.ownership import (
    MANIFEST_PATH,
    STAGING_PREFIX,
    OwnershipConflict,
    TreeWrite,
    manifest_text,
    plan_tree_write,
)


class WriteError(Nb2prodError):
    """A file or folder could not be written (permissions, disk full, a concurrent run)."""


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
            os.fchmod(handle, 0o666 & ~_umask())
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


def write_cache_entries(folder: Path, entries: Mapping[Path, str]) -> None:
    """Write cache entries, each in one rename; the cache folder gets a ``.gitignore`` and a
    ``CACHEDIR.TAG``. A cache that cannot be written is no error: the next run is only slower."""
    with contextlib.suppress(OSError):
        if not folder.is_dir():
            folder.mkdir(parents=True, exist_ok=True)
            (folder / ".gitignore").write_text("# written by nb2prod\n*\n", encoding="utf-8")
            (folder / "CACHEDIR.TAG").write_text(
                "Signature: 8a477f597d28d172789f06886806bc55\n# nb2prod's check cache\n",
                encoding="utf-8")
        for path, text in entries.items():
            path.parent.mkdir(exist_ok=True)
            handle, temp = tempfile.mkstemp(prefix=".entry.", dir=path.parent)
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as stream:
                    stream.write(text)
                os.replace(temp, path)
            except OSError:
                Path(temp).unlink(missing_ok=True)


def replace_file_atomically(path: Path, text: str) -> None:
    """Replace a user's file (``check --fix``) in one rename, keeping its permissions; a
    symlink's target is replaced, not the link."""
    target = Path(os.path.realpath(path))
    try:
        status = target.stat()
        handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    except OSError as exc:
        raise WriteError(f"{path}: cannot write ({exc.strerror or exc})") from None
    try:
        os.fchmod(handle, status.st_mode & 0o7777)
        if (status.st_uid, status.st_gid) != (os.getuid(), os.getgid()):
            with contextlib.suppress(OSError):  # only root may give a file away
                os.fchown(handle, status.st_uid, status.st_gid)
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        os.replace(temp, target)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise WriteError(f"{path}: cannot write ({exc.strerror or exc})") from None


@contextlib.contextmanager
def locked_folder(folder: Path) -> Iterator[Path]:
    """Hold ``folder`` (created if missing) for one writer; a second one fails at once.

    The lock is the folder's own, so it leaves no file behind. Staging folders found inside are
    leftovers of a killed run (their writer no longer holds the lock) and are removed. A folder
    created here that is still empty at the end (a refusal, a failure) goes again.
    """
    created = _make_folder(folder)
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        _lock(descriptor, folder)
    except BaseException:
        os.close(descriptor)  # the folder is the lock holder's now: never remove it under them
        raise
    try:
        _remove_stale_staging(folder)
        with _cleanup_on_termination():
            yield folder
    finally:
        if created:
            _remove_if_empty(folder)
        os.close(descriptor)  # closing releases the lock


def write_project(folder: Path, files: Mapping[str, str | bytes], overwrite: bool,
                  generator: str) -> TreeWrite:
    """Write a project into ``folder`` (held with :func:`locked_folder`), replacing only own files.

    Refuses, before touching anything, when a generated path holds a user's file (unless
    ``overwrite``) or cannot be written without removing a folder or following a symlink.
    """
    outside = [p for p in files if p.startswith("/") or ".." in p.replace("\\", "/").split("/")]
    if outside:  # the one writer never writes outside the folder it was given
        raise WriteError(f"{folder}: not written: {outside[0]!r} is not a path inside it")
    decision = plan_tree_write(folder, files, overwrite)
    if decision.blocked:
        raise WriteError(f"{folder}: not written: a folder or symlink is in the way of "
                         f"{', '.join(decision.blocked[:5])}; move it away and run again")
    if decision.conflicts:
        raise OwnershipConflict(folder, decision.conflicts,
                                "move them away, or pass --overwrite to replace exactly these paths")
    staging = folder / f"{STAGING_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
    try:
        staging.mkdir()
        for relative, content in files.items():
            _write_file(staging / relative, content)
        _write_file(staging / MANIFEST_PATH, manifest_text(files, generator))
        _move_into_place(staging, folder, decision)
        os.replace(staging / MANIFEST_PATH, _with_parent(folder / MANIFEST_PATH))
        for relative in decision.delete:
            (folder / relative).unlink(missing_ok=True)
            _prune_empty_parents(folder / relative, folder)
    except OSError as exc:
        raise WriteError(f"{folder}: cannot write ({exc.strerror or exc})") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return decision


def _move_into_place(staging: Path, folder: Path, decision: TreeWrite) -> None:
    """New paths are linked without replacing (a file that appeared meanwhile is never lost);
    own files and --overwrite paths are replaced with one rename each."""
    created: list[Path] = []
    try:
        for relative in decision.create:
            target = _with_parent(folder / relative)
            try:
                os.link(staging / relative, target)
            except FileExistsError:
                raise OwnershipConflict(folder, (relative,), "it appeared while nb2prod was writing; "
                                        "run again") from None
            created.append(target)
    except BaseException:
        for target in created:
            target.unlink(missing_ok=True)
        raise
    for relative in decision.replace:
        os.replace(staging / relative, _with_parent(folder / relative))


def _write_file(path: Path, content: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="\n")


def _with_parent(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _make_folder(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True)
        return True
    except FileExistsError:
        if not folder.is_dir():
            raise WriteError(f"{folder}: exists and is not a folder") from None
        return False
    except OSError as exc:
        raise WriteError(f"{folder}: cannot create folder ({exc.strerror or exc})") from None


def _lock(descriptor: int, folder: Path) -> None:
    import fcntl

    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
            raise WriteError(f"{folder}: another nb2prod run is writing into this folder; "
                             "wait for it to finish") from None
        raise


def _remove_stale_staging(folder: Path) -> None:
    for leftover in folder.glob(f"{STAGING_PREFIX}*"):
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)


def _remove_if_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):
        folder.rmdir()


def _prune_empty_parents(path: Path, root: Path) -> None:
    """Folders emptied by deleting nb2prod's own files go too (never ``root`` itself)."""
    current = path.parent
    while current != root and root in current.parents:
        try:
            current.rmdir()
        except OSError:
            return
        current = current.parent


@contextlib.contextmanager
def _cleanup_on_termination() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl-C, so staging folders and half-made folders are cleaned up."""
    def _terminate(signum, frame):
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, _terminate)
    except ValueError:  # not the main thread: nothing to install
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
