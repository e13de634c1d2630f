"""A top-down order of the code cells that satisfies every edge and moves the fewest cells.

The cells that can stay where they are form the largest set with no pair the edges force into
the other order (directly or through other cells). "Must come before, though it is below" is a
partial order, so that set is its largest antichain, found exactly in polynomial time (Dilworth,
through a maximum bipartite matching and König's theorem) when up to ``EXACT_LIMIT`` cells are
caught in an inversion. Above that, the heuristic keeps every reader and moves the cells they
need (not always the fewest). The moved cells are placed as close to where they were as the
edges allow.
"""

from __future__ import annotations

import bisect
import heapq
from collections import defaultdict
from itertools import pairwise

EXACT_LIMIT = 400  # cells caught in an inversion; above this, a stated heuristic (see below)


class CycleError(ValueError):
    """The edges contradict each other: no order satisfies them."""


def fewest_moves(cells: tuple[int, ...], edges: frozenset[tuple[int, int]],
                 counts: dict[int, int | None] | None = None) -> tuple[list[int], set[int]]:
    """``cells`` (in notebook order) reordered to satisfy ``edges``, and the cells that moved;
    unchanged when the edges hold. A moved cell goes where its execution count (in ``counts``)
    says the author ran it, as far as the edges allow."""
    if all(before < after for before, after in edges):
        return list(cells), set()
    below = _below(cells, edges)  # cell -> bitmask of the cells above it that must follow it
    definers = {c for c in cells if below[c]}  # must come before a cell above them
    readers = 0
    for cell in definers:
        readers |= below[cell]
    involved = tuple(sorted(definers | set(_bits(readers))))
    if len(involved) <= EXACT_LIMIT:
        inverted = {(a, b) for b in definers for a in _bits(below[b])}
        # two extreme largest antichains; prefer the one that moves definitions up, as a
        # person would ("move the defining cell above its first use")
        low = _largest_antichain(involved, inverted)
        high = _largest_antichain(involved, {(b, a) for a, b in inverted})
        staying = max((high, low), key=lambda kept: len((set(involved) - kept) & definers))
    else:  # heuristic: every reader stays, the cells they need move up
        staying = set(involved) - definers
    staying |= set(cells) - set(involved)
    return _placed(cells, edges, staying, counts or {}), set(cells) - staying


def _bits(mask: int) -> list[int]:
    found = []
    while mask:
        low = mask & -mask
        found.append(low.bit_length() - 1)
        mask ^= low
    return found


def _below(cells: tuple[int, ...], edges: frozenset[tuple[int, int]]) -> dict[int, int]:
    """cell -> bitmask of the cells above it (smaller index) that must come after it,
    directly or through others; raises CycleError. Bitmasks keep a 5,000-cell notebook's
    reachability small and fast."""
    after: dict[int, list[int]] = defaultdict(list)
    waiting = dict.fromkeys(cells, 0)
    for before, later in edges:
        after[before].append(later)
        waiting[before] += 1  # counts successors: process sinks first
    reach: dict[int, int] = {}
    ready = [c for c in cells if waiting[c] == 0]
    predecessors: dict[int, list[int]] = defaultdict(list)
    for before, later in edges:
        predecessors[later].append(before)
    while ready:
        cell = ready.pop()
        mask = 0
        for later in after[cell]:
            mask |= reach[later] | (1 << later)
        reach[cell] = mask
        for before in predecessors[cell]:
            waiting[before] -= 1
            if waiting[before] == 0:
                ready.append(before)
    if len(reach) != len(cells):
        raise CycleError(next(c for c in cells if c not in reach))
    return {c: reach[c] & ((1 << c) - 1) for c in cells}


def _largest_antichain(cells: tuple[int, ...], relation: set[tuple[int, int]]) -> set[int]:
    """The largest set of cells no pair of which is in ``relation`` (a strict partial order)."""
    successors: dict[int, list[int]] = defaultdict(list)
    for a, b in relation:
        successors[a].append(b)
    match_right: dict[int, int] = {}  # right vertex -> left vertex
    for left in cells:
        _augment(left, successors, match_right, set())
    matched_left = set(match_right.values())
    # König: left vertices reachable from unmatched left vertices along alternating paths
    reached_left = {c for c in cells if c not in matched_left}
    reached_right: set[int] = set()
    stack = list(reached_left)
    while stack:
        left = stack.pop()
        for right in successors[left]:
            if right not in reached_right:
                reached_right.add(right)
                partner = match_right.get(right)
                if partner is not None and partner not in reached_left:
                    reached_left.add(partner)
                    stack.append(partner)
    # minimum vertex cover = (left not reached) + (right reached); the antichain avoids it
    return {c for c in cells if c in reached_left and c not in reached_right}


def _augment(left: int, successors, match_right: dict[int, int], visited: set[int]) -> bool:
    for right in successors[left]:
        if right in visited:
            continue
        visited.add(right)
        if right not in match_right or _augment(match_right[right], successors, match_right, visited):
            match_right[right] = left
            return True
    return False


def _placed(cells: tuple[int, ...], edges: frozenset[tuple[int, int]], staying: set[int],
            counts: dict[int, int | None]) -> list[int]:
    """A topological order keeping the staying cells in their order; a moved cell goes just
    after the staying cell that ran before it (by execution count), else as early in notebook
    order as the edges allow (so it lands just before what needs it)."""
    kept = [c for c in cells if c in staying]
    all_edges = set(edges) | set(pairwise(kept))
    waiting: dict[int, int] = dict.fromkeys(cells, 0)
    after: dict[int, list[int]] = defaultdict(list)
    for before, later in all_edges:
        after[before].append(later)
        waiting[later] += 1
    priority = _priorities(cells, kept, counts)
    ready = [(priority[c], c) for c in cells if waiting[c] == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        current = heapq.heappop(ready)[1]
        order.append(current)
        for later in after[current]:
            waiting[later] -= 1
            if waiting[later] == 0:
                heapq.heappush(ready, (priority[later], later))
    if len(order) != len(cells):
        raise CycleError(next(c for c in cells if c not in order))
    return order


def _priorities(cells: tuple[int, ...], kept: list[int], counts: dict[int, int | None]
                ) -> dict[int, tuple[float, float]]:
    """Sort keys: a staying cell by its place; a moved cell with a count just after the last
    staying cell that ran before it, a moved cell without one by its own place."""
    ran = sorted((counts[c], c) for c in kept if counts.get(c) is not None)
    ran_counts = [count for count, _ in ran]
    priority: dict[int, tuple[float, float]] = {c: (c, 0) for c in kept}
    for cell in cells:
        count = counts.get(cell)
        if cell in priority or count is None:
            priority.setdefault(cell, (cell, 0))
            continue
        before = bisect.bisect_left(ran_counts, count)
        anchor = ran[before - 1][1] if before else -1
        priority[cell] = (anchor + 0.5, count)
    return priority


def find_cycle(edges: frozenset[tuple[int, int]]) -> list[int] | None:
    """One cycle of ``edges`` as the cells along it (first cell repeated at the end), or None."""
    after: dict[int, list[int]] = defaultdict(list)
    for before, later in sorted(edges):
        after[before].append(later)
    state: dict[int, int] = {}  # 1: on the current path, 2: done
    for start in sorted(after):
        if start in state:
            continue
        path: list[int] = [start]
        pending = [iter(after[start])]
        state[start] = 1
        while pending:
            later = next(pending[-1], None)
            if later is None:
                state[path.pop()] = 2
                pending.pop()
            elif state.get(later) == 1:
                return [*path[path.index(later):], later]
            elif later not in state:
                state[later] = 1
                path.append(later)
                pending.append(iter(after[later]))
    return None
