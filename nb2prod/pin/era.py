"""When a notebook last ran: the date its unpinned requirements are resolved as of.

Evidence, in order: timestamps Jupyter and papermill record per cell (``execution`` and
``papermill`` metadata), dates ``%watermark`` printed, then the date the file was last
committed (:func:`git_commit_date`, read-only). A run
date is the day the notebook's imports resolved; a commit date is only an upper bound.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

from nb2prod.notebook.model import Notebook
from nb2prod.pin.evidence import output_text

_EXECUTION_KEYS = ("iopub.status.idle", "shell.execute_reply", "iopub.execute_input",
                   "iopub.status.busy")
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?")
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
    """An ISO 8601 date or date-time (``2019-03-04``, ``2019-03-04T10:01:02Z``) in UTC; None if
    ``text`` is not one or is implausible for a notebook run (before 2011 or in the future)."""
    match = _ISO_DATE.fullmatch(text.strip().rstrip("Z")) or _ISO_DATE.match(text.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(g) if g else 0 for g in match.groups())
    try:
        when = datetime(year, month, day, hour, minute, second, tzinfo=timezone.utc)
    except ValueError:
        return None
    if not _EARLIEST <= when.date() <= datetime.now(timezone.utc).date():
        return None
    return RunDate(when, how)


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
        for match in _ISO_DATE.finditer(output_text(cell)):
            parsed = parse_date(match.group(0), f"date %watermark printed in cell {cell.index}")
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
    if not log or _git(file.parent, "status", "--porcelain", "--", file.name):
        return None
    return parse_date(log, "date the notebook was last committed to git")


def _git(folder: Path, *args: str) -> str:
    command = ["git", "--no-pager", "-c", "core.fsmonitor=false", "-c", "log.showSignature=false",
               "-c", "core.untrackedCache=false", "-C", str(folder), *args]
    environment = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0",
                   "GIT_OPTIONAL_LOCKS": "0"}
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=10,
                                stdin=subprocess.DEVNULL, env=environment, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return result.stdout.strip() if result.returncode == 0 else ""
