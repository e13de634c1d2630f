"""File paths built by formatting: their literal folder, and the expression rebuilt on a field.

``plt.savefig(f"plots/{col}.png")`` in a loop, ``"pie/%i.png" % year``,
``"out/{}.csv".format(name)``, ``os.path.join("out", name)``: the file name changes, the folder
does not. The folder becomes configuration (resolved against ``data_dir`` and created when the
notebook writes there), and the expression reads it from a field: ``f"{plots_dir}/{col}.png"``,
``os.path.join(pie_dir, "%i.png" % year)``. Pure: nothing here reads or writes files.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass

import libcst as cst


@dataclass(frozen=True)
class FormattedPath:
    folder: str  # as written: "plots", "./pie", "outputs/figs"
    rebuild: Callable[[str], cst.BaseExpression]  # field name -> the expression reading it


def formatted_path(node: cst.BaseExpression) -> FormattedPath | None:
    """The literal folder a formatted path starts with, when it has one (None otherwise: the
    folder is itself computed, or the literal holds escapes or is bytes)."""
    if isinstance(node, cst.FormattedString):
        return _f_string(node)
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Modulo) \
            and isinstance(node.left, cst.SimpleString):
        return _joined(node.left, "%", lambda literal: node.with_changes(left=literal))
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) \
            and node.func.attr.value == "format" and isinstance(node.func.value, cst.SimpleString):
        func = node.func
        return _joined(func.value, "{",
                       lambda literal: node.with_changes(func=func.with_changes(value=literal)))
    if isinstance(node, cst.Call) and _is_path_join(node.func):
        return _path_join(node)
    return None


def _is_path_join(func: cst.BaseExpression) -> bool:
    """``os.path.join``, ``path.join`` (``from os import path``), ``osp.join``."""
    if not (isinstance(func, cst.Attribute) and func.attr.value == "join"):
        return False
    owner = func.value
    if isinstance(owner, cst.Name):
        return owner.value in {"path", "osp"}
    return isinstance(owner, cst.Attribute) and owner.attr.value == "path" \
        and isinstance(owner.value, cst.Name) and owner.value.value == "os"


def _path_join(node: cst.Call) -> FormattedPath | None:
    """``os.path.join("out", "figs", f"{c}.png")`` -> folder ``out/figs``, rebuilt as
    ``os.path.join(field, f"{c}.png")``: the literal arguments before the first computed one
    (all but the last when every one is literal)."""
    args = node.args
    if len(args) < 2 or any(a.keyword is not None or a.star for a in args):
        return None
    if any(isinstance(a.value, cst.SimpleString) and a.value.raw_value.startswith(("/", "\\"))
           for a in args[1:]):
        return None  # a later absolute part replaces what comes before it
    parts: list[str] = []
    for arg in args[:-1]:
        value = arg.value
        if not isinstance(value, cst.SimpleString) or "b" in value.prefix.lower() \
                or "\\" in value.raw_value:
            break
        parts.append(value.raw_value)
    folder = posixpath.join(*parts).rstrip("/") if parts else ""  # ("", "tmp") is tmp, not /tmp
    if not folder.strip("./") or "//" in folder:
        return None

    def rebuild(field: str) -> cst.BaseExpression:
        return node.with_changes(args=[args[0].with_changes(value=cst.Name(field)),
                                       *args[len(parts):]])

    return FormattedPath(folder, rebuild)


def _joined(literal: cst.SimpleString, marker: str,
            replaced: Callable[[cst.SimpleString], cst.BaseExpression]) -> FormattedPath | None:
    """``"pie/%i.png" % y`` -> folder ``pie``, rebuilt as ``os.path.join(field, "%i.png" % y)``."""
    if "b" in literal.prefix.lower():
        return None
    raw = literal.raw_value
    split = _folder_split(raw[:raw.find(marker)] if marker in raw else "")
    if split is None:
        return None
    folder = split[0]
    rest = raw[len(folder) + 1:]  # the literal after the folder's "/", placeholders and all
    rest_literal = cst.SimpleString(f"{literal.prefix}{literal.quote}{rest}{literal.quote}")

    def rebuild(field: str) -> cst.BaseExpression:
        join = cst.Attribute(cst.Attribute(cst.Name("os"), cst.Name("path")), cst.Name("join"))
        return cst.Call(join, [cst.Arg(cst.Name(field)), cst.Arg(replaced(rest_literal))])

    return FormattedPath(folder, rebuild)


def _f_string(node: cst.FormattedString) -> FormattedPath | None:
    """``f"plots/{col}.png"`` -> folder ``plots``, rebuilt as ``f"{field}/{col}.png"``."""
    if "b" in node.prefix.lower() or not node.parts \
            or not isinstance(node.parts[0], cst.FormattedStringText) or len(node.parts) < 2:
        return None
    split = _folder_split(node.parts[0].value)
    if split is None:
        return None
    folder, rest = split

    def rebuild(field: str) -> cst.BaseExpression:
        head = cst.FormattedStringExpression(cst.Name(field))
        return node.with_changes(parts=[head, cst.FormattedStringText("/" + rest),
                                        *node.parts[1:]])

    return FormattedPath(folder, rebuild)


def _folder_split(head: str) -> tuple[str, str] | None:
    """The literal text before the first placeholder, cut at its last ``/``: (folder, the rest of
    the literal after that ``/``); None when there is no folder or the text holds escapes."""
    if "/" not in head or "\\" in head or "{" in head or "}" in head:
        return None
    folder, _, rest = head.rpartition("/")
    if not folder.strip("./") or "//" in folder:
        return None  # "./x" or "/x" names no folder worth a field
    return folder, rest
