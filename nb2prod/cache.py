"""A content-hash cache of ``check`` results, like ruff's: ``.nb2prod_cache/`` in the project root.

An entry is keyed by the notebook's bytes, its path, the codes enabled for it, the extra
builtins, nb2prod's version and its own source files (so an edited checkout never reads stale
results). Entries are written through :func:`nb2prod.write.write_cache_entries`, each in one
rename, so concurrent runs (pre-commit on many files) never see half an entry; an entry that does
not read back as findings is a miss.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import stat
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from nb2prod import __version__
from nb2prod.config import Settings
from nb2prod.findings import SEVERITY_ORDER, Finding, Related

if TYPE_CHECKING:
    from nb2prod.project.exchange import Exchange

CACHE_FOLDER = ".nb2prod_cache"
MAX_INDEX = 10**7  # cells, lines, columns: a cached number past any notebook is corrupt
FORMAT = 1


@lru_cache(maxsize=1)
def _code_fingerprint() -> str:
    """nb2prod's version and the size and mtime of its modules: results of another build of
    nb2prod are never reused."""
    package = Path(__file__).resolve().parent
    stats = sorted((str(p.relative_to(package)), p.stat().st_size, p.stat().st_mtime_ns)
                   for p in package.rglob("*.py"))
    return hashlib.sha256(repr((__version__, FORMAT, stats)).encode()).hexdigest()


def cache_key(path: str, content: bytes, settings: Settings) -> str:
    digest = hashlib.sha256()
    for part in (_code_fingerprint(), path, ",".join(sorted(settings.codes_for(path))),
                 ",".join(sorted(settings.extra_builtins))):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
    digest.update(content)
    return digest.hexdigest()


def entry_path(folder: Path, key: str) -> Path:
    return folder / key[:2] / f"{key}.json"


def read_entry(folder: Path, key: str, exchange: bool = False
               ) -> tuple[tuple[Finding, ...], Exchange | None] | None:
    """The cached findings (and, when the entry has them, the files the notebook reads and
    writes), or None on a miss: absent, not a regular file (a FIFO would block), unreadable, not
    of the right shape (a cache is untrusted input too), or without the files when ``exchange``
    asks for them."""
    path = entry_path(folder, key)
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        items, files = (data, None) if isinstance(data, list) else (data["findings"], data["files"])
        findings = tuple(_finding(item) for item in items)
        exchanged = _exchange(files) if files is not None else None
    except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError):
        return None
    if not all(findings) or (exchange and exchanged is None):
        return None
    return findings, exchanged


def _exchange(files: dict) -> Exchange:
    """The cached reads and writes: lists of [path, cell, line] (a wrong shape raises)."""
    from nb2prod.project.exchange import Exchange, FileUse

    def uses(items: list) -> tuple[FileUse, ...]:
        if not all(type(p) is str and type(c) is int and type(n) is int
                   and 0 <= c < MAX_INDEX and 1 <= n < MAX_INDEX for p, c, n in items):
            raise ValueError("not a file use")
        return tuple(FileUse(p, c, n) for p, c, n in items)

    return Exchange(uses(files["reads"]), uses(files["writes"]))


_FIELD_TYPES = {"path": str, "cell": int, "line": int, "column": int, "code": str,
                "message": str, "severity": str, "rule": str}


def _finding(item: dict) -> Finding | None:
    """One cached finding, or None when a field has the wrong type or value."""
    if set(item) != {*_FIELD_TYPES, "cell_id", "related", "file_line"}:
        return None
    typed = all(type(item[name]) is kind for name, kind in _FIELD_TYPES.items()) \
        and 0 <= item["cell"] < MAX_INDEX and 1 <= item["line"] < MAX_INDEX \
        and 1 <= item["column"] < MAX_INDEX
    optional = (item["cell_id"] is None or type(item["cell_id"]) is str) and (
        item["file_line"] is None or type(item["file_line"]) is int)
    related = [r for r in item["related"] if type(r) is dict and set(r) == {"cell", "line", "name"}
               and type(r["cell"]) is int and type(r["line"]) is int and type(r["name"]) is str
               and 0 <= r["cell"] < MAX_INDEX and 1 <= r["line"] < MAX_INDEX]
    if not (typed and optional and item["severity"] in SEVERITY_ORDER
            and len(related) == len(item["related"])):
        return None
    return Finding(**{**item, "related": tuple(Related(**r) for r in related)})


def entry_text(findings: tuple[Finding, ...], files: Exchange | None = None) -> str:
    items = [dataclasses.asdict(f) for f in findings]
    if files is None:
        return json.dumps(items, separators=(",", ":"))
    exchanged = {"reads": [[u.path, u.cell, u.line] for u in files.reads],
                 "writes": [[u.path, u.cell, u.line] for u in files.writes]}
    return json.dumps({"findings": items, "files": exchanged}, separators=(",", ":"))
