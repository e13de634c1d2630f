"""A libcst transformer that finds its ``visit_``/``leave_`` methods once per node type.

libcst's own dispatch formats a method name and looks it up for every node it visits, and for
every attribute of every node (``visit_Call_func``...), which is most of the cost of visiting a
large notebook. nb2prod's transformers define no attribute hooks, so those are skipped; node hooks
are looked up once per (transformer class, node type).
"""

from __future__ import annotations

from typing import Any

import libcst as cst

_HOOKS: dict[tuple[type, type, str], Any] = {}


def _hook(transformer: cst.CSTTransformer, node_type: type, prefix: str):
    key = (transformer.__class__, node_type, prefix)
    try:
        function = _HOOKS[key]
    except KeyError:
        function = _HOOKS[key] = getattr(transformer.__class__, f"{prefix}{node_type.__name__}",
                                         None)
    return function


class FastTransformer(cst.CSTTransformer):
    """:class:`libcst.CSTTransformer` with cached dispatch and no per-attribute hooks."""

    def on_visit(self, node: cst.CSTNode) -> bool:
        function = _hook(self, type(node), "visit_")
        return function is None or function(self, node) is not False

    def on_leave(self, original_node, updated_node):
        function = _hook(self, type(original_node), "leave_")
        return updated_node if function is None else function(self, original_node, updated_node)

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        return None

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        return None
