"""How convert keeps Python's cyclic garbage collector from re-reading its own heap.

A convert builds hundreds of megabytes of syntax trees that live until it ends, and each full
collection walks every one of them again: on a 2,000-cell notebook the collector's full passes
took a sixth of the run. What survives a full collection is kept for the rest of the command,
so it is frozen there (``gc.freeze``): later full collections walk only what came after it.
Garbage that is not cyclic is freed as before; the heap is unfrozen when the command ends.

The collector also runs less often meanwhile: almost everything convert allocates lives until it
ends or is freed by reference counting, and at Python's default thresholds the older generations
were collected so often that it cost a twentieth of a 2,000-cell run.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

_OLDEST = 2
_THRESHOLDS = (10_000, 50, 50)  # Python's own: (700, 10, 10)


@contextlib.contextmanager
def survivors_frozen() -> Iterator[None]:
    """Within the block, each full collection freezes what it found alive, and collections are
    rarer."""
    thresholds = gc.get_threshold()
    gc.set_threshold(*_THRESHOLDS)
    gc.callbacks.append(_freeze_after_full_collection)
    try:
        yield
    finally:
        gc.callbacks.remove(_freeze_after_full_collection)
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def _freeze_after_full_collection(phase: str, info: dict) -> None:
    if phase == "stop" and info.get("generation") == _OLDEST:
        gc.freeze()
