"""Removing statements without losing the comments written around them.

libcst keeps a statement's comments with the statement: the lines above it (``leading_lines``)
and the one after it on its line (``trailing_whitespace``). Removing the statement would drop
them. Instead, a transform replaces it with a placeholder that carries its comments, and
:func:`fold` (called when the enclosing block or module is left) moves them onto the next
statement that stays, or to the end of the block.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

_PLACEHOLDER = "__nb2prod_removed__"


def removed(statement: cst.SimpleStatementLine, *extra: str, note: str = "") -> cst.SimpleStatementLine:
    """A placeholder for ``statement``: its comments (plus ``extra`` comment lines), nothing else.
    When it had comments, ``note`` says what went, so they do not seem to describe the next
    statement."""
    lines = [line for line in statement.leading_lines if line.comment is not None]
    trailing = statement.trailing_whitespace.comment
    if trailing is not None:
        lines.append(cst.EmptyLine(comment=trailing))
    if lines and note:
        lines.append(cst.EmptyLine(comment=cst.Comment(f"# (nb2prod: {note})")))
    lines += [cst.EmptyLine(comment=cst.Comment(text)) for text in extra]
    return cst.SimpleStatementLine(body=[cst.Expr(cst.Name(_PLACEHOLDER))], leading_lines=lines)


def is_placeholder(statement: cst.CSTNode) -> bool:
    return (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1
            and isinstance(statement.body[0], cst.Expr)
            and isinstance(statement.body[0].value, cst.Name)
            and statement.body[0].value.value == _PLACEHOLDER)


def fold(body: Sequence[cst.BaseStatement],
         footer: Sequence[cst.EmptyLine]) -> tuple[list[cst.BaseStatement], list[cst.EmptyLine]]:
    """The block's statements without placeholders, their comments moved onto the next statement
    that stays (or into the footer when none follows)."""
    kept: list[cst.BaseStatement] = []
    pending: list[cst.EmptyLine] = []
    for statement in body:
        if is_placeholder(statement):
            pending += statement.leading_lines
            continue
        if pending:
            statement = statement.with_changes(leading_lines=[*pending, *statement.leading_lines])
            pending = []
        kept.append(statement)
    return kept, [*pending, *footer]


class CommentKeeper(cst.CSTTransformer):
    """Base for transforms that remove statements: returns ``removed(...)`` placeholders and lets
    this class fold them away. A block whose every statement would go keeps them all (an invented
    ``pass`` is never written)."""

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        body, footer = fold(updated.body, updated.footer)
        return updated.with_changes(body=body, footer=footer)

    def leave_IndentedBlock(self, original: cst.IndentedBlock,
                            updated: cst.IndentedBlock) -> cst.IndentedBlock:
        body, footer = fold(updated.body, updated.footer)
        if not body:
            return self.empty_block(original, updated)
        return updated.with_changes(body=body, footer=footer)

    def empty_block(self, original: cst.IndentedBlock, updated: cst.IndentedBlock):
        """Every statement of the block would go: by default, the block stays as it was."""
        return original


def comment_lines(lines: Sequence[cst.EmptyLine]) -> list[str]:
    """The comment texts among ``lines``, in order."""
    return [line.comment.value for line in lines if line.comment is not None]
