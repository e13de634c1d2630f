"""Read a notebook's code cells (:func:`nb2prod.refactor.cell_code.read_cell`), a large
notebook's in two processes.

Reading a cell (libcst's parse and transform) is most of what convert does before black, and each
cell is read apart from the others but for two shared tables: the names in use (a secret's
environment variable or a path's config field takes a free one) and the path literals that have a
config field already. A second process reads the later half of the cells from the tables as they
stand before the first cell, recording each question a cell asked of them. The first half is read
here meanwhile; then each later cell is checked: when every question it asked has the same answer
in the tables as the earlier cells really left them, its reading stands (it did exactly what it
would have done here), else it is read again here. The result is what reading every cell in
order gives, always.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import signal
import sys
import time
from dataclasses import dataclass

from nb2prod.notebook.model import Cell
from nb2prod.processes import can_fork
from nb2prod.refactor.cell_code import CellCode, Reading, read_cell

PARALLEL_FROM = 300  # code cells: below this, starting a process costs more than it saves
# how long the later half may take beyond the time the first half took here before it is read
# here instead (a stuck process must not stop convert)
PATIENCE = 3.0
MIN_WAIT = 60.0  # seconds


def read_cells(cells: list[Cell], reading: Reading, used_names: set[str]) -> list[CellCode]:
    """Each cell's code, as reading them one by one in order gives it; ``used_names`` (the
    names the notebook binds, and nb2prod's own) is added to."""
    known_paths: dict[str, str] = {}
    half = _halfway(cells) if len(cells) >= PARALLEL_FROM and can_fork() else len(cells)
    later = _Elsewhere(cells[half:], reading, used_names, _depth() + 1) if half < len(cells) \
        else None
    codes: list[CellCode] = []
    started = time.monotonic()
    try:
        for at, cell in enumerate(cells):
            answer = later.answer(at - half, time.monotonic() - started) if later and at >= half \
                else None
            if answer is not None and answer.still_true(used_names, known_paths):
                used_names.update(answer.added_names)
                known_paths.update(answer.added_paths)
                codes.append(answer.code)
                continue
            # (one call site, so every cell read here is read at one depth of the stack: a cell
            # near Python's recursion limit must fail or not the same way each time)
            codes.append(read_cell(cell, reading, used_names, known_paths))
    finally:
        if later is not None:
            later.close()
    return codes


def _depth() -> int:
    """How many frames deep the caller is."""
    frame, depth = sys._getframe(1), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    return depth


def _halfway(cells: list[Cell]) -> int:
    """Where the cells split into two halves of about the same amount of code."""
    total, running = sum(len(c.source) for c in cells), 0
    for at, cell in enumerate(cells):
        running += len(cell.source)
        if running * 2 >= total:
            return max(1, at + 1)
    return len(cells)


@dataclass
class _Answer:
    """A cell read from the tables as they stood before the first cell (plus what the cells
    read with it added): its code, what it asked of the tables (name -> whether it was in use;
    path -> its field, None when it had none) and what it added."""
    code: CellCode
    asked_names: dict[str, bool]
    asked_paths: dict[str, str | None]
    added_names: set[str]
    added_paths: dict[str, str]

    def still_true(self, used_names: set[str], known_paths: dict[str, str]) -> bool:
        return all((name in used_names) == was for name, was in self.asked_names.items()) and all(
            known_paths.get(path) == field for path, field in self.asked_paths.items())


class _AskedNames(set):
    """The names in use, recording the first answer to each question (a name is always asked
    before it is taken)."""

    def __init__(self, names) -> None:
        super().__init__(names)
        self.asked: dict[str, bool] = {}

    def __contains__(self, name) -> bool:
        found = super().__contains__(name)
        self.asked.setdefault(name, found)
        return found


class _AskedPaths(dict):
    """The paths that have a config field, recording the first answer to each question."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: dict[str, str | None] = {}

    def __contains__(self, path) -> bool:
        self.asked.setdefault(path, dict.get(self, path))
        return super().__contains__(path)


def _read_all(cells: list[Cell], reading: Reading, used_names: set[str],
              depth: int) -> list[_Answer | None]:
    """Run in the second process: each cell read, with what it asked and added. Python's
    recursion limit counts frames from the bottom of the stack, and ``read_cell`` is called a
    few frames deeper here than in the parent (``depth``): the limit is raised by as many, so a
    cell near it fails here exactly when it would fail there."""
    sys.setrecursionlimit(sys.getrecursionlimit() + _depth() + 1 - depth)
    names, paths = _AskedNames(used_names), _AskedPaths()
    answers: list[_Answer | None] = []
    for cell in cells:
        names.asked, paths.asked = {}, {}
        try:
            code = read_cell(cell, reading, names, paths)
        except Exception:  # (read here again: an error then is convert's to report)
            answers.append(None)
            continue
        added_names = {name for name, was in names.asked.items() if not was and name in names}
        added_paths = {path: dict.get(paths, path) for path, was in paths.asked.items()
                       if was is None and dict.__contains__(paths, path)}
        answers.append(_Answer(code, names.asked, paths.asked, added_names, added_paths))
    return answers


class _Elsewhere:
    """The later cells being read by a forked process, which has them (and the tables as they
    stand) in the memory it starts with: only its answers travel, through a pipe."""

    def __init__(self, cells: list[Cell], reading: Reading, used_names: set[str],
                 depth: int) -> None:
        self.count = len(cells)
        self.answers: list[_Answer | None] | None = None
        context = multiprocessing.get_context("fork")
        self.receiver, sender = context.Pipe(duplex=False)
        # the child inherits convert's heap; frozen, its collector leaves it alone instead of
        # touching (and so copying) every page of it
        gc.freeze()
        try:
            self.process = context.Process(
                target=_answer, args=(sender, self.receiver, cells, reading, used_names, depth),
                daemon=True)
            self.process.start()
        finally:
            gc.unfreeze()
        sender.close()

    def answer(self, at: int, first_half: float) -> _Answer | None:
        """The reading of the ``at``-th later cell, None to read it here: the process died,
        failed or took too long (``PATIENCE`` times what the first half took here)."""
        if self.answers is None:
            self.answers = self._received(max(MIN_WAIT, PATIENCE * first_half))
        return self.answers[at]

    def _received(self, wait: float) -> list[_Answer | None]:
        try:
            if self.receiver.poll(wait):
                answers = self.receiver.recv()
                if isinstance(answers, list) and len(answers) == self.count:
                    return answers
        except (EOFError, OSError, pickle.UnpicklingError):
            pass  # the process died (memory...): every later cell is read here
        return [None] * self.count

    def close(self) -> None:
        """The process ends, whatever became of it (a parent that failed meanwhile must not
        leave it waiting on the pipe)."""
        self.receiver.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join()


def _answer(sender, receiver, cells: list[Cell], reading: Reading, used_names: set[str],
            depth: int) -> None:
    """The child: read the cells, send the answers, end. Quietly: an interrupt or a
    termination ends it without a traceback, and it reads at the parent's depth."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    receiver.close()  # (its end of the pipe is the parent's: a parent gone breaks the pipe)
    gc.freeze()  # (the inherited heap: see _Elsewhere)
    try:
        sender.send(_read_all(cells, reading, used_names, depth))
        sender.close()
    except BaseException:  # (the parent reads every later cell itself)
        os._exit(1)
