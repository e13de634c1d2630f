"""Faster AST traversal than ``ast.walk``/``ast.iter_child_nodes`` for what the analysis needs.

``ast.iter_child_nodes`` inspects every field of every node through a generator; checking a
notebook corpus spends most of its time there. Here each node type's child-bearing fields are
looked up once, and expression contexts (``Load``/``Store``), which carry nothing, are skipped.
"""

from __future__ import annotations

import ast
import re
from collections import OrderedDict
from collections.abc import Iterator

_SCALAR_FIELDS = frozenset({"ctx", "id", "arg", "attr", "name", "names", "module", "level",
                            "value_kind", "kind", "conversion", "is_async", "type_comment",
                            "lineno", "col_offset", "end_lineno", "end_col_offset", "asname",
                            "tag"})
_FIELDS: dict[type, tuple[str, ...]] = {}
_AST = ast.AST


def _fields_of(node_type: type) -> tuple[str, ...]:
    fields = _FIELDS.get(node_type)
    if fields is None:
        fields = tuple(f for f in node_type._fields if f not in _SCALAR_FIELDS)
        if node_type in (ast.Import, ast.ImportFrom):
            fields = ("names",)
        _FIELDS[node_type] = fields
    return fields


# Trees kept for reuse: convert's passes read each cell, chunk and step body several times, and
# parsing them again was a sixth of the time of a large notebook. Bounded by the characters of
# source kept (a tree takes about 45 bytes per character: 270 MB at most), so a notebook of ten
# thousand cells keeps its memory (740 MB in all); the node lists of whole trees likewise, by node
# count. Room for a few million characters: the plan's last passes (imports, step graph, values
# that cross steps) each read every step body, and at 10,000 cells a smaller cache parsed them
# all again in each. The newest tree always stays, even over budget: a step of 60,000 lines is
# read by one pass after another, and evicted at once it was parsed again by each (half a
# second every time).
_TREE_BUDGET = 6_000_000
_NODE_BUDGET = 500_000
_trees: OrderedDict[str, ast.Module] = OrderedDict()
_nodes: OrderedDict[int, tuple[ast.AST, tuple[ast.AST, ...]]] = OrderedDict()
_kept = {"characters": 0, "nodes": 0}


def parsed(source: str) -> ast.Module:
    """``ast.parse(source)``, shared by every pass that reads the same code. Read-only: never
    change the tree."""
    tree = _trees.get(source)
    if tree is not None:
        _trees.move_to_end(source)
        return tree
    tree = ast.parse(source)
    _trees[source] = tree
    _kept["characters"] += len(source)
    while _kept["characters"] > _TREE_BUDGET and len(_trees) > 1:  # (the newest stays)
        old, old_tree = _trees.popitem(last=False)
        _kept["characters"] -= len(old)
        _forget_nodes(old_tree)  # (they would keep the tree alive)
    return tree


def _forget_nodes(tree: ast.AST) -> None:
    entry = _nodes.pop(id(tree), None)
    if entry is not None:
        _kept["nodes"] -= len(entry[1])


def all_nodes(tree: ast.AST) -> tuple[ast.AST, ...]:
    """Every node of a whole tree, in ``ast.walk``'s order, without expression-context nodes;
    shared by the passes that each look for their own kinds of node in the same tree."""
    entry = _nodes.get(id(tree))
    if entry is not None and entry[0] is tree:
        _nodes.move_to_end(id(tree))
        return entry[1]
    result = [tree]
    position = 0
    while position < len(result):
        result.extend(children(result[position]))
        position += 1
    found = tuple(result)
    _nodes[id(tree)] = (tree, found)  # (the tree is kept with them: its id stays its own)
    _kept["nodes"] += len(found)
    while _kept["nodes"] > _NODE_BUDGET and len(_nodes) > 1:
        _, (_, old) = _nodes.popitem(last=False)
        _kept["nodes"] -= len(old)
    return found


def iter_children(node: ast.AST) -> Iterator[ast.AST]:
    """The direct child nodes of ``node``, in field order (like ``ast.iter_child_nodes``)."""
    for name in _fields_of(type(node)):
        value = getattr(node, name, None)
        if isinstance(value, list):
            for item in value:
                if isinstance(item, ast.AST):
                    yield item
        elif isinstance(value, ast.AST):
            yield value


def children(node: ast.AST) -> list[ast.AST]:
    result: list[ast.AST] = []
    node_type = node.__class__
    fields = _FIELDS.get(node_type)
    if fields is None:
        fields = _fields_of(node_type)
    for name in fields:
        value = getattr(node, name, None)
        if value.__class__ is list:
            for item in value:
                if isinstance(item, _AST):
                    result.append(item)
        elif isinstance(value, _AST):
            result.append(value)
    return result


def walk(node: ast.AST) -> list[ast.AST]:
    """Every node under ``node`` (itself included), without expression-context nodes."""
    result = []
    stack = [node]
    while stack:
        current = stack.pop()
        result.append(current)
        stack.extend(children(current))
    return result


def dotted_parts(node: ast.AST) -> list[str]:
    """``np.random.seed`` -> ['seed', 'random', 'np'] (innermost last); a call or subscript in
    the chain ends it."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return parts


def import_bindings(node: ast.AST, relative: bool = True) -> dict[str, str]:
    """Name -> what an import statement binds it to: ``import a.b as c`` binds ``c`` to
    ``a.b``, ``import a.b`` binds ``a`` to ``a``, ``from m import n as k`` binds ``k`` to
    ``m.n`` (a relative module keeps its dots; with ``relative`` false it binds nothing here).
    A star import binds nothing here; any other statement neither."""
    if isinstance(node, ast.Import):
        return {(a.asname or a.name.split(".")[0]): (a.name if a.asname else a.name.split(".")[0])
                for a in node.names}
    if isinstance(node, ast.ImportFrom) and (relative or not node.level) \
            and (node.module or node.level):
        module = "." * node.level + (node.module or "")
        return {(a.asname or a.name): f"{module}.{a.name}" for a in node.names if a.name != "*"}
    return {}


def called_name(func: ast.AST) -> str:
    """The name a call is made through: ``seed`` for ``np.random.seed(…)``, ``open`` for
    ``open(…)``; '' for anything else (``f()()``, ``fs[0]()``)."""
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def literal_value(source: str) -> object | None:
    """The value of a Python literal's source (``'x.csv'``, ``[1, 2]``); None when it is none."""
    try:
        return ast.literal_eval(source)
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        return None


def query_names(call: ast.Call) -> list[str]:
    """The variables a pandas expression string reads: ``limit`` in ``df.query("a > @limit")``,
    ``df.eval(...)`` and ``pd.eval(...)`` (there every bare name too). pandas looks them up in
    the caller's scope, so they are reads of the code around the call as much as ``limit``
    written out would be. Not in quoted text (``'me@example.com'``), an SQL query's parameters
    (``client.query("SELECT ... @user_id")``) or a call given its own ``local_dict``."""
    name = called_name(call.func)
    if name not in ("query", "eval") or call.func.__class__ is not ast.Attribute \
            or any(k.arg in ("local_dict", "global_dict", "resolvers") for k in call.keywords):
        return []
    expression = call.args[0] if call.args else next(
        (k.value for k in call.keywords if k.arg == "expr"), None)
    text = _constant_text(expression)
    if not text or _SQL.match(text):
        return []
    unquoted = _QUOTED.sub(" ", text)
    names = _QUERY_NAME.findall(unquoted)
    if name == "eval" and dotted_parts(call.func)[1:] in (["pd"], ["pandas"]):
        names += [word for word in _BARE_NAME.findall(unquoted) if word not in _EVAL_WORDS]
    return list(dict.fromkeys(names))


def _constant_text(node: ast.AST | None) -> str:
    """The literal text of a string expression: a constant, an f-string's literal parts, or a
    sum of them (``"a >= " + "@mid"``)."""
    if node.__class__ is ast.Constant:
        return node.value if isinstance(node.value, str) else ""
    if node.__class__ is ast.JoinedStr:
        return " ".join(_constant_text(part) for part in node.values)
    if node.__class__ is ast.BinOp and node.op.__class__ is ast.Add:
        return _constant_text(node.left) + _constant_text(node.right)
    return ""


_QUERY_NAME = re.compile(r"(?<![\w.@])@([A-Za-z_]\w*)")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|`[^`]*`")
_SQL = re.compile(r"\s*(?:select|with|insert|update|delete|merge|create)\b", re.IGNORECASE)
# in pd.eval's own text: a bare name is a variable of the caller, unless it is one of these
_BARE_NAME = re.compile(r"(?<![\w.@])([A-Za-z_]\w*)\b(?!\s*\()")
_EVAL_WORDS = frozenset({"and", "or", "not", "in", "is", "True", "False", "None"})
