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

import heapq
from collections import defaultdict
from itertools import pairwise

EXACT_LIMIT = 400  # cells caught in an inversion; above this, a stated heuristic (see below)


class CycleError(ValueError):
    """The edges contradict each other: no order satisfies them."""


def fewest_moves(cells: tuple[int, ...], edges: frozenset[tuple[int, int]]
                 ) -> tuple[list[int], set[int]]:
    """``cells`` (in notebook order) reordered to satisfy ``edges``, and the cells that moved;
    unchanged when the edges hold."""
    if all(before < after for before, after in edges):
        return list(cells), set()
    reach = _reachability(cells, edges)
    inverted = {(a, b) for b in cells for a in reach[b] if a < b}
    involved = tuple(sorted({c for pair in inverted for c in pair}))
    if len(involved) <= EXACT_LIMIT:
        # two extreme largest antichains; prefer the one that moves definitions up, as a
        # person would ("move the defining cell above its first use")
        low = _largest_antichain(involved, inverted)
        high = _largest_antichain(involved, {(b, a) for a, b in inverted})
        definers = {b for _, b in inverted}
        staying = max((high, low), key=lambda kept: len((set(involved) - kept) & definers))
    else:  # heuristic: the cells that must move up (definitions) move; the readers stay
        staying = set(involved) - {a for a, b in inverted if b > a} | {b for a, b in inverted}
        staying -= {a for a, _ in inverted}
    staying |= set(cells) - set(involved)
    return _placed(cells, edges, staying), set(cells) - staying


def _reachability(cells: tuple[int, ...], edges: frozenset[tuple[int, int]]) -> dict[int, set[int]]:
    """cell -> the cells that must come after it (transitively); raises CycleError."""
    after: dict[int, list[int]] = defaultdict(list)
    for before, later in edges:
        after[before].append(later)
    reach: dict[int, set[int]] = {}
    for start in cells:
        seen: set[int] = set()
        stack = list(after[start])
        while stack:
            current = stack.pop()
            if current == start:
                raise CycleError(start)
            if current not in seen:
                seen.add(current)
                stack += after[current]
        reach[start] = seen
    return reach


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


def _placed(cells: tuple[int, ...], edges: frozenset[tuple[int, int]], staying: set[int]) -> list[int]:
    """A topological order keeping the staying cells in their order, each cell as early in
    notebook order as the edges allow (so moved cells land just before what needs them)."""
    kept = [c for c in cells if c in staying]
    all_edges = set(edges) | set(pairwise(kept))
    waiting: dict[int, int] = dict.fromkeys(cells, 0)
    after: dict[int, list[int]] = defaultdict(list)
    for before, later in all_edges:
        after[before].append(later)
        waiting[later] += 1
    ready = [c for c in cells if waiting[c] == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        current = heapq.heappop(ready)
        order.append(current)
        for later in after[current]:
            waiting[later] -= 1
            if waiting[later] == 0:
                heapq.heappush(ready, later)
    if len(order) != len(cells):
        raise CycleError(next(c for c in cells if c not in order))
    return order
