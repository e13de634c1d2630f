"""NB501-NB503: problems between the notebooks of a folder, from the files they hand on.

These rules need every notebook of the folder, so they run only when ``check`` is given a
folder (never on the single files a pre-commit hook passes): the per-notebook ``check`` below
finds nothing, and :func:`check_folder` does the work.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from nb2prod.findings import ERROR, WARNING, Finding
from nb2prod.rules.base import Rule, RuleContext

if TYPE_CHECKING:  # a cached run loads neither
    from nb2prod.project.exchange import Exchange, FileUse

NB501 = Rule(
    code="NB501",
    name="input-no-notebook-writes",
    severity=WARNING,
    summary="A notebook reads a file that no notebook of the folder writes, and it is not there.",
    what="""
Reports a file a notebook reads (a literal path, or a name bound once to one) that is not in the
notebook's folder and that no other notebook of the checked folder writes. Runs only when
`check` is given a folder.
""",
    why="""
Run on a fresh clone, the notebook stops at this read: the file came from somewhere that is not
in the project (a notebook since deleted or renamed, a download, a colleague's disk).
""",
    example="""
# 02_clean.ipynb
raw = pd.read_csv("raw_export.csv")   # no notebook writes raw_export.csv, and it is not here
""",
    instead="Add the file (or the notebook that makes it), or say in the README where it comes from.",
)

NB502 = Rule(
    code="NB502",
    name="reads-before-written",
    severity=ERROR,
    summary="A notebook reads a file another notebook writes, but comes before it by file name.",
    what="""
Reports a read of a file that another notebook of the folder writes, when that writer comes
later in file-name order (the order a person, or `ls`, runs them in). Runs only when `check` is
given a folder.
""",
    why="""
Run in name order on a fresh clone, the reader finds no file, or a stale one from an older run:
the results depend on what happened to be on disk.
""",
    example="""
# 01_train.ipynb
features = pd.read_parquet("features.parquet")   # written by 02_features.ipynb
""",
    instead="Rename the notebooks so the writer sorts first (`01_features`, `02_train`).",
)

NB503 = Rule(
    code="NB503",
    name="notebook-cycle",
    severity=ERROR,
    summary="Notebooks read files each other writes in a cycle: no order runs them all.",
    what="""
Reports notebooks that, through the files they read and write, each need another one to run
first. Runs only when `check` is given a folder.
""",
    why="""
Whichever runs first reads a file the other has not written yet: the project only works on a
machine where an older run left the files behind.
""",
    example="""
# a.ipynb reads b.csv and writes a.csv; b.ipynb reads a.csv and writes b.csv
""",
    instead="Split the notebook that does two jobs, so the files flow one way.",
)

RULES = (NB501, NB502, NB503)
CODES = frozenset(rule.code for rule in RULES)


def check(context: RuleContext) -> Iterator[Finding]:
    """Nothing per notebook: these rules see a folder at once (:func:`check_folder`)."""
    return iter(())


def check_folder(folder: Path, exchanges: Mapping[str, Exchange]) -> list[Finding]:
    """``exchanges``: each notebook's path (as reported) -> the files it uses."""
    from nb2prod.project.graph import notebook_graph

    relative = {_relative(path, folder): path for path in exchanges}
    graph = notebook_graph({rel: exchanges[path] for rel, path in relative.items()})
    findings: list[Finding] = []
    for orphan in graph.orphans:
        if orphan.path not in graph.written and not _exists(folder / orphan.path):
            findings.append(_at(NB501, relative[orphan.reader], orphan.read,
                                f"reads '{orphan.read.path}', which no notebook in {folder} writes "
                                "and which is not there"))
    for handoff in graph.early_reads():
        if handoff.reader in graph.cycle and handoff.writer in graph.cycle:
            continue
        findings.append(_at(NB502, relative[handoff.reader], handoff.read,
                            f"reads '{handoff.read.path}', which {handoff.writer} writes, but "
                            f"comes before {handoff.writer} by file name"))
    reported: set[tuple[str, str]] = set()
    for handoff in graph.handoffs:
        if handoff.reader in graph.cycle and handoff.writer in graph.cycle \
                and (handoff.reader, handoff.path) not in reported:
            reported.add((handoff.reader, handoff.path))
            writers = sorted({h.writer for h in graph.handoffs if h.reader == handoff.reader
                              and h.path == handoff.path and h.writer in graph.cycle})
            findings.append(_at(NB503, relative[handoff.reader], handoff.read,
                                f"reads '{handoff.read.path}' from {', '.join(writers)}, which "
                                f"{'needs' if len(writers) == 1 else 'need'} files from this "
                                f"notebook too (cycle: {', '.join(graph.cycle)})"))
    return findings


def _at(rule: Rule, path: str, use: FileUse, message: str) -> Finding:
    return Finding(path=path, cell=use.cell, line=use.line, column=1, code=rule.code,
                   message=message, severity=rule.severity, rule=rule.name)


def _relative(path: str, folder: Path) -> str:
    try:
        return Path(os.path.abspath(path)).relative_to(folder.absolute()).as_posix()
    except ValueError:
        return posixpath.basename(path)


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError):
        return False
