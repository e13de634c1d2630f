"""convert freezes what survives a full collection, and leaves the collector as it found it."""

from __future__ import annotations

import gc

from nb2prod.heap import survivors_frozen


def test_survivors_of_a_full_collection_are_frozen_only_within_the_block() -> None:
    kept = [[index] for index in range(1000)]  # (alive through the collection)
    callbacks, thresholds = list(gc.callbacks), gc.get_threshold()
    with survivors_frozen():
        gc.collect()
        assert gc.get_freeze_count() >= len(kept)
        assert gc.get_threshold()[0] > thresholds[0]  # the young generation collected less often
    assert gc.get_freeze_count() == 0
    assert gc.callbacks == callbacks and gc.get_threshold() == thresholds


def test_cyclic_garbage_made_after_a_freeze_is_still_collected() -> None:
    with survivors_frozen():
        gc.collect()
        cycle: list = []
        cycle.append(cycle)
        del cycle
        assert gc.collect() >= 1
