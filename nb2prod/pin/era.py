"""When a notebook last ran: the date its unpinned requirements are resolved as of.

Evidence, in order: timestamps Jupyter and papermill record per cell (``execution`` and
``papermill`` metadata), dates ``%watermark`` printed, then the date the file was last
committed (:func:`git_commit_date`, read-only). A run
date is the day the notebook's imports resolved; a commit date is only an upper bound.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from nb2prod.notebook.model import Notebook
from nb2prod.pin.evidence import output_text

_EXECUTION_KEYS = ("iopub.status.idle", "shell.execute_reply", "iopub.execute_input",
                   "iopub.status.busy")
# ASCII digits only; an optional time, fraction and UTC offset (converted, not dropped)
_STAMP = (r"(?P<y>[0-9]{4})-(?P<mo>[0-9]{2})-(?P<d>[0-9]{2})"
          r"(?:[T ](?P<h>[0-9]{2}):(?P<mi>[0-9]{2})(?::(?P<s>[0-9]{2})(?:\.[0-9]{1,9})?)?"
          r"\s*(?P<tz>Z|[+-][0-9]{2}:?[0-9]{2})?)?")
_WHOLE_STAMP = re.compile(_STAMP)
_STAMP_IN_TEXT = re.compile(rf"(?<![0-9]){_STAMP}(?![0-9])")
# the oldest and newest dates a notebook run can plausibly carry: Jupyter's predecessor
# IPython notebooks start in 2011; a future date is a broken clock
_EARLIEST = date(2011, 1, 1)


@dataclass(frozen=True)
class RunDate:
    when: datetime  # timezone-aware, UTC
    how: str  # "last output timestamp (cell 7)", "--as-of", "git commit date"

    @property
    def iso(self) -> str:
        return self.when.strftime("%Y-%m-%dT%H:%M:%SZ")

    @property
    def day(self) -> str:
        return self.when.strftime("%Y-%m-%d")


def parse_date(text: str, how: str) -> RunDate | None:
    """An ISO 8601 date or date-time (``2019-03-04``, ``2019-03-04T10:01:02+05:00``) as UTC;
    None if ``text`` is anything else or is implausible for a notebook run (before 2011 or in
    the future)."""
    match = _WHOLE_STAMP.fullmatch(text.strip()) if len(text) < 64 else None
    return _from_match(match, how) if match else None


def _from_match(match: re.Match[str], how: str) -> RunDate | None:
    parts = {key: int(match[key] or 0) for key in ("y", "mo", "d", "h", "mi", "s")}
    try:
        when = datetime(parts["y"], parts["mo"], parts["d"], parts["h"], parts["mi"], parts["s"],
                        tzinfo=_zone(match["tz"]))
    except ValueError:
        return None
    when = when.astimezone(timezone.utc)
    if not _EARLIEST <= when.date() <= datetime.now(timezone.utc).date():
        return None
    return RunDate(when, how)


def _zone(offset: str | None) -> timezone:
    if not offset or offset == "Z":
        return timezone.utc
    sign = -1 if offset[0] == "-" else 1
    digits = offset[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 23 or minutes > 59:
        raise ValueError(offset)
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def run_date(notebook: Notebook) -> RunDate | None:
    """The latest date the notebook's cells record having run, or None."""
    found = [*_metadata_dates(notebook), *_watermark_dates(notebook)]
    return max(found, key=lambda found_date: found_date.when, default=None)


def _metadata_dates(notebook: Notebook) -> list[RunDate]:
    found = []
    papermill = notebook.metadata.get("papermill")
    if isinstance(papermill, dict) and isinstance(papermill.get("end_time"), str):
        found.append(parse_date(papermill["end_time"], "papermill end time"))
    for cell in notebook.code_cells:
        execution = cell.metadata.get("execution")
        cell_papermill = cell.metadata.get("papermill")
        stamps = [execution.get(key) for key in _EXECUTION_KEYS] if isinstance(execution, dict) else []
        if isinstance(cell_papermill, dict):
            stamps.append(cell_papermill.get("end_time"))
        found += [parse_date(stamp, f"execution timestamp of cell {cell.index}")
                  for stamp in stamps if isinstance(stamp, str)]
    return [found_date for found_date in found if found_date is not None]


def _watermark_dates(notebook: Notebook) -> list[RunDate]:
    found = []
    for cell in notebook.code_cells:
        if not any(magic.name == "watermark" for magic in cell.magics):
            continue
        for match in _STAMP_IN_TEXT.finditer(output_text(cell)[:100_000]):
            parsed = _from_match(match, f"date %watermark printed in cell {cell.index}")
            if parsed is not None:
                found.append(parsed)
    return found


def git_commit_date(path: str) -> RunDate | None:
    """The date ``path`` was last committed, when it sits unmodified in a git work tree.

    Only an upper bound on the last run, so it is the last resort. The repository is the
    notebook's, hence untrusted: its config must not run anything (no pager, fsmonitor or
    signature checks), and a file edited since its commit says nothing about when it last ran.
    """
    file = Path(path).resolve()
    log = _git(file.parent, "log", "-1", "--format=%cI", "--", file.name)
    if not log or _git(file.parent, "rev-parse", f"HEAD:./{file.name}") != _blob_id(file):
        return None
    return parse_date(log, "date the notebook was last committed to git")


def _blob_id(file: Path) -> str:
    """git's id of the file's bytes as they are, computed here: asking git (``git status``,
    ``hash-object``) may run the clean filters the repository's config names."""
    try:
        data = file.read_bytes()
    except OSError:
        return ""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _git(folder: Path, *args: str) -> str:
    command = ["git", "--no-pager", "-c", "core.fsmonitor=false", "-c", "log.showSignature=false",
               "-c", "core.untrackedCache=false", "-C", str(folder), *args]
    environment = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0",
                   "GIT_OPTIONAL_LOCKS": "0"}
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=5,
                                stdin=subprocess.DEVNULL, env=environment, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return result.stdout.strip() if result.returncode == 0 else ""
