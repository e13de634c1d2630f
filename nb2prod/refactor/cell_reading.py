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
from dataclasses import dataclass

from nb2prod.notebook.model import Cell
from nb2prod.refactor.cell_code import CellCode, Reading, read_cell

PARALLEL_FROM = 300  # code cells: below this, starting a process costs more than it saves


def read_cells(cells: list[Cell], reading: Reading, used_names: set[str]) -> list[CellCode]:
    """Each cell's code, as reading them one by one in order gives it; ``used_names`` (the
    names the notebook binds, and nb2prod's own) is added to."""
    known_paths: dict[str, str] = {}
    half = _halfway(cells) if len(cells) >= PARALLEL_FROM and _can_fork() else len(cells)
    if half >= len(cells):
        return [read_cell(cell, reading, used_names, known_paths) for cell in cells]
    later = _read_elsewhere(cells[half:], reading, used_names)
    codes = [read_cell(cell, reading, used_names, known_paths) for cell in cells[:half]]
    for cell, answer in zip(cells[half:], later.result(), strict=True):
        if answer is None or not answer.still_true(used_names, known_paths):
            codes.append(read_cell(cell, reading, used_names, known_paths))
            continue
        used_names.update(answer.added_names)
        known_paths.update(answer.added_paths)
        codes.append(answer.code)
    return codes


def _halfway(cells: list[Cell]) -> int:
    """Where the cells split into two halves of about the same amount of code."""
    total, running = sum(len(c.source) for c in cells), 0
    for at, cell in enumerate(cells):
        running += len(cell.source)
        if running * 2 >= total:
            return max(1, at + 1)
    return len(cells)


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods() and (os.cpu_count() or 1) > 1


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


def _read_all(cells: list[Cell], reading: Reading, used_names: set[str]) -> list[_Answer | None]:
    """Run in the second process: each cell read, with what it asked and added."""
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

    def __init__(self, cells: list[Cell], reading: Reading, used_names: set[str]) -> None:
        self.count = len(cells)
        context = multiprocessing.get_context("fork")
        self.receiver, sender = context.Pipe(duplex=False)
        # the child inherits convert's heap; frozen, its collector leaves it alone instead of
        # touching (and so copying) every page of it
        gc.freeze()
        try:
            self.process = context.Process(target=_answer, args=(sender, cells, reading, used_names),
                                           daemon=True)
            self.process.start()
        finally:
            gc.unfreeze()
        sender.close()

    def result(self) -> list[_Answer | None]:
        try:
            answers = self.receiver.recv()
        except (EOFError, OSError):  # the process died (memory...): every later cell is read here
            answers = [None] * self.count
        self.receiver.close()
        self.process.join()
        return answers if len(answers) == self.count else [None] * self.count


def _answer(sender, cells: list[Cell], reading: Reading, used_names: set[str]) -> None:
    gc.freeze()  # (the inherited heap: see _Elsewhere)
    sender.send(_read_all(cells, reading, used_names))
    sender.close()


def _read_elsewhere(cells: list[Cell], reading: Reading, used_names: set[str]) -> _Elsewhere:
    return _Elsewhere(cells, reading, used_names)
