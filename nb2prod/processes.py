"""Whether work can be split across processes here: forked ones, which start with convert's
memory (the notebook, its parsed cells), so that only results travel between them."""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Callable, Sequence


def can_fork() -> bool:
    """A fork start method and more than one core (with one, a second process only costs)."""
    return "fork" in multiprocessing.get_all_start_methods() and (os.cpu_count() or 1) > 1


def map_in_forks(function: Callable, items: Sequence) -> list:
    """``function`` over ``items`` in forked worker processes (one per core at most), results in
    order. The workers inherit convert's whole heap; frozen, their garbage collector leaves it
    alone instead of touching (and so copying) every page of it."""
    from concurrent.futures import ProcessPoolExecutor

    workers = min(os.cpu_count() or 1, len(items))
    gc.freeze()
    try:
        with ProcessPoolExecutor(max_workers=workers,
                                 mp_context=multiprocessing.get_context("fork")) as pool:
            return list(pool.map(function, items))
    finally:
        gc.unfreeze()
