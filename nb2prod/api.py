"""The library API: plain functions with typed results. Nothing here prints, exits or writes files."""

from __future__ import annotations

import dataclasses
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from nb2prod.config import Settings
from nb2prod.errors import NotebookReadError
from nb2prod.findings import Finding

if TYPE_CHECKING:
    from nb2prod.notebook import Notebook
    from nb2prod.project.exchange import Exchange

PARALLEL_THRESHOLD = 64  # files; below this a process pool costs more than it saves
SKIPPED_FOLDERS = frozenset({".ipynb_checkpoints", ".git", ".hg", ".svn", "__pycache__",
                             "node_modules", ".venv", "venv", ".tox", ".nox", "site-packages"})


@dataclass(frozen=True)
class FileResult:
    """The outcome of checking one file: its findings, or why it could not be read."""

    path: str
    findings: tuple[Finding, ...] = ()
    error: str | None = None
    files: Exchange | None = None  # the files it reads and writes, when asked for


def discover(paths: Iterable[str | os.PathLike[str]]) -> Iterator[str]:
    """Notebook files under ``paths``: files as given, folders searched for ``*.ipynb``.

    A path that does not exist is yielded as is, so the caller reports it with the others.
    """
    seen: set[str] = set()
    for path in map(Path, paths):
        found = sorted(_notebooks_under(path)) if path.is_dir() and path.suffix != ".ipynb" else [path]
        for file in found:
            key = str(file)
            if key not in seen:
                seen.add(key)
                yield key


def _notebooks_under(folder: Path) -> Iterator[Path]:
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_FOLDERS and not d.startswith("."))
        for name in files:
            if name.endswith(".ipynb"):
                yield Path(root) / name


def check_notebook(notebook: Notebook, settings: Settings) -> tuple[Finding, ...]:
    """Every finding on one loaded notebook, after selection and suppressions, in order."""
    from nb2prod.rules import RuleContext, run_rules
    from nb2prod.suppress import without_suppressed

    codes = settings.codes_for(notebook.path)
    context = RuleContext(notebook, settings.extra_builtins)
    findings = without_suppressed(notebook, run_rules(context, codes))
    located = (
        dataclasses.replace(f, file_line=notebook.file_line(f.cell, f.line)) for f in findings
    )
    return tuple(sorted(located, key=Finding.sort_key))


def check_file(path: str, settings: Settings, content: bytes | None = None,
               exchange: bool = False) -> FileResult:
    """Load and check one file (from ``content``, its bytes, when the caller read them); an
    unreadable file gives a result with ``error`` set. With ``exchange``, the result also says
    which files the notebook reads and writes (for the rules that see a whole folder)."""
    from nb2prod.notebook import load_notebook
    from nb2prod.notebook.load import decode_text, parse_notebook

    try:
        if content is None:
            notebook = load_notebook(path)
        else:
            notebook = parse_notebook(decode_text(content, path), path)
    except NotebookReadError as exc:
        return FileResult(path, error=str(exc))
    files = None
    if exchange:
        from nb2prod.project.exchange import file_exchange

        files = file_exchange(notebook)
    return FileResult(path, check_notebook(notebook, settings), files=files)


def check_paths(
    paths: Iterable[str | os.PathLike[str]],
    settings: Settings,
    jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    cache_folder: Path | None = None,
    exchange: bool = False,
) -> list[FileResult]:
    """Check every notebook under ``paths``, in a process pool when ``jobs`` > 1; with a
    ``cache_folder``, unchanged notebooks are answered from the cache; with ``exchange``, each
    result says which files its notebook reads and writes.

    ``jobs=None`` picks: one process for a few files, one per core for many; ``0`` is one per core.
    """
    files = list(discover(paths))
    if cache_folder is None:
        return _check_files(files, settings, jobs, progress, exchange=exchange)
    from nb2prod.cache import cache_key, entry_path, entry_text, read_entry

    # findings are made from the very bytes the key was made from: a notebook saved between
    # two reads must not store one version's findings under the other's key
    keys: dict[str, str] = {}
    hits: dict[str, FileResult] = {}
    contents: dict[str, bytes | None] = {}  # kept for the misses only
    for file in files:
        data = _content(file)
        if data is not None:
            keys[file] = cache_key(file, data, settings)
            entry = read_entry(cache_folder, keys[file], exchange)
            if entry is not None:
                hits[file] = FileResult(file, entry[0], files=entry[1])
        if file not in hits:
            contents[file] = data
    misses = list(contents)
    fresh = {r.path: r for r in _check_files(misses, settings, jobs, progress,
                                             list(contents.values()), exchange)}
    if fresh:
        from nb2prod.write import write_cache_entries

        write_cache_entries(cache_folder, {
            entry_path(cache_folder, keys[path]): entry_text(result.findings, result.files)
            for path, result in fresh.items() if keys.get(path) and result.error is None})
    return [fresh[file] if file in fresh else hits[file] for file in files]


def _content(file: str) -> bytes | None:
    """A regular file's bytes; None for anything else (it is checked, and its error reported,
    as usual)."""
    from nb2prod.limits import MAX_NOTEBOOK_BYTES

    try:
        status = os.stat(file)
        if not stat.S_ISREG(status.st_mode) or status.st_size > MAX_NOTEBOOK_BYTES:
            return None
        return Path(file).read_bytes()
    except OSError:
        return None


def _check_files(files: list[str], settings: Settings, jobs: int | None,
                 progress: Callable[[int, int], None] | None,
                 contents: list[bytes | None] | None = None,
                 exchange: bool = False) -> list[FileResult]:
    cores = os.cpu_count() or 1
    contents = contents or [None] * len(files)
    if jobs is None:
        jobs = cores if len(files) >= PARALLEL_THRESHOLD else 1
    workers = min(jobs if jobs > 0 else cores, len(files))
    if workers <= 1:
        results = []
        for done, (file, content) in enumerate(zip(files, contents, strict=True), 1):
            results.append(check_file(file, settings, content, exchange))
            if progress:
                progress(done, len(files))
        return results
    from concurrent.futures import ProcessPoolExecutor  # only when there is work for it

    with ProcessPoolExecutor(max_workers=workers) as pool:
        results = []
        chunk = max(1, min(16, len(files) // (workers * 4) or 1))
        for done, result in enumerate(pool.map(check_file, files, [settings] * len(files),
                                               contents, [exchange] * len(files),
                                               chunksize=chunk), 1):
            results.append(result)
            if progress:
                progress(done, len(files))
        return results
