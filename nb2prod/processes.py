"""Whether work can be split across processes here: forked ones, which start with convert's
memory (the notebook, its parsed cells), so that only results travel between them."""

from __future__ import annotations

import multiprocessing
import os


def can_fork() -> bool:
    """A fork start method and more than one core (with one, a second process only costs)."""
    return "fork" in multiprocessing.get_all_start_methods() and (os.cpu_count() or 1) > 1
