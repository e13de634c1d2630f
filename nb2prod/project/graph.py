"""The notebook graph of a folder: which notebook needs which, from the files they exchange.

A notebook that reads a file another one writes runs after it (paths resolved against each
notebook's own folder); the file names' order (``01_``, ``02_``...) breaks ties. Pure analysis.
"""

from __future__ import annotations

import heapq
import posixpath
from dataclasses import dataclass

from nb2prod.project.exchange import Exchange, FileUse


@dataclass(frozen=True)
class Handoff:
    """A file one notebook writes and another reads."""

    path: str  # relative to the folder of the notebooks
    writer: str
    reader: str
    read: FileUse  # where the reader reads it


@dataclass(frozen=True)
class Orphan:
    """A file a notebook reads that no notebook of the folder writes."""

    path: str
    reader: str
    read: FileUse


@dataclass(frozen=True)
class NotebookGraph:
    order: tuple[str, ...]  # every notebook, producers before consumers
    handoffs: tuple[Handoff, ...]
    orphans: tuple[Orphan, ...]  # the project's inputs (or missing files)
    cycle: tuple[str, ...] = ()  # notebooks that need each other's files (none: empty)
    written: frozenset[str] = frozenset()  # every file some notebook writes
    # files more than one notebook writes: (file, its writers); the last one run wins
    rewritten: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def needs(self, notebook: str) -> list[str]:
        return sorted({h.writer for h in self.handoffs if h.reader == notebook},
                      key=self.order.index)

    def inputs(self) -> set[str]:
        """Files some notebook reads before any notebook, in run order, has written them: no
        notebook writes them, or one writes them only later (a forced cycle, or its own write
        after the read)."""
        late = {h.path for h in self.handoffs
                if self.order.index(h.writer) > self.order.index(h.reader)}
        return {o.path for o in self.orphans} | late

    def early_reads(self) -> list[Handoff]:
        """Handoffs whose reader comes first by file name: run by name, it reads a stale file."""
        names = sorted(self.order)
        return [h for h in self.handoffs if names.index(h.reader) < names.index(h.writer)]


def notebook_graph(exchanges: dict[str, Exchange]) -> NotebookGraph:
    """``exchanges``: notebook path relative to the folder (posix) -> the files it uses."""
    names = sorted(exchanges)
    writers: dict[str, list[str]] = {}
    for name in names:
        for path in exchanges[name].written_paths():
            writers.setdefault(_in_folder(name, path), []).append(name)
    handoffs: list[Handoff] = []
    orphans: list[Orphan] = []
    for name in names:
        own = {_in_folder(name, w.path): (w.cell, w.line) for w in exchanges[name].writes}
        for use in exchanges[name].reads:
            path = _in_folder(name, use.path)
            if path in own and own[path] <= (use.cell, use.line):
                continue  # it reads back what it wrote itself
            makers = [w for w in writers.get(path, []) if w != name]
            handoffs += [Handoff(path, maker, name, use) for maker in makers]
            if not makers:  # read before its own write, or written by no notebook
                orphans.append(Orphan(path, name, use))
    order, cycle = _order(names, handoffs)
    return NotebookGraph(tuple(order), tuple(handoffs), tuple(orphans), tuple(cycle),
                         frozenset(writers),
                         tuple((path, tuple(w)) for path, w in sorted(writers.items()) if len(w) > 1))


def _in_folder(notebook: str, path: str) -> str:
    return posixpath.normpath(posixpath.join(posixpath.dirname(notebook), path))


def _order(names: list[str], handoffs: list[Handoff]) -> tuple[list[str], list[str]]:
    """Kahn's algorithm, the earliest file name first among the ready; what is left is a cycle
    (then appended in name order, so a forced run still has an order)."""
    needs = {name: {h.writer for h in handoffs if h.reader == name} for name in names}
    ready = [(names.index(n), n) for n in names if not needs[n]]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        _, name = heapq.heappop(ready)
        order.append(name)
        for other in names:
            if name in needs[other]:
                needs[other].discard(name)
                if not needs[other]:
                    heapq.heappush(ready, (names.index(other), other))
    stuck = [name for name in names if name not in order]
    return order + stuck, stuck
