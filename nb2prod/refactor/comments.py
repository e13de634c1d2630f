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

from nb2prod.refactor.fastcst import FastTransformer

_PLACEHOLDER = "__nb2prod_removed__"


def removed(statement: cst.BaseStatement, *extra: str, note: str = "",
            inner: Sequence[cst.EmptyLine] = ()) -> cst.SimpleStatementLine:
    """A placeholder for ``statement``: its comments (plus ``inner`` comment lines from inside it
    and ``extra`` ones), nothing else. When it had comments, ``note`` says what went, so they do
    not seem to describe the next statement."""
    lines = [line for line in [*statement.leading_lines, *inner] if line.comment is not None]
    trailing = getattr(statement, "trailing_whitespace", cst.TrailingWhitespace()).comment
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


class CommentKeeper(FastTransformer):
    """Base for transforms that remove statements: returns ``removed(...)`` placeholders and lets
    this class fold them away. When every statement of a block goes, the statement around it goes
    too where that changes nothing: an ``if``/``for`` whose header has no calls, a ``try`` (its
    handlers can no longer run), an ``else:``. Otherwise a ``pass`` carrying the block's comments
    keeps Python's grammar."""

    def __init__(self) -> None:
        super().__init__()
        # blocks left with nothing but a `pass`, by id; the blocks themselves are kept alive
        # here, else a block freed meanwhile frees its id for a new block of the user's code,
        # which would be taken for emptied (and go) in about one read in a hundred
        self.emptied: dict[int, cst.BaseSuite] = {}
        self.elifs: set[int] = set()  # `elif` branches: an If node that cannot become a statement
        self.try_bodies: set[int] = set()
        self.in_try = 0  # inside a `try` body: what may raise is what its handlers are for
        self.blocks = 0  # how many indented blocks deep the statement being left is

    def visit_Try(self, node: cst.Try) -> None:
        self.try_bodies.add(id(node.body))

    def visit_TryStar(self, node: cst.TryStar) -> None:
        self.try_bodies.add(id(node.body))

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self.in_try += id(node) in self.try_bodies
        self.blocks += 1

    def visit_If(self, node: cst.If) -> None:
        if isinstance(node.orelse, cst.If):
            self.elifs.add(id(node.orelse))

    def leave_For(self, original: cst.For, updated: cst.For):
        if _emptied(self, updated.body) and updated.orelse is None \
                and _pure(updated.iter) and _pure(updated.target):
            return self._drop_compound(original, updated, f"for {_code(updated.target)} in "
                                       f"{_code(updated.iter)}:")
        return updated

    def leave_If(self, original: cst.If, updated: cst.If):
        if id(original) in self.elifs:
            return updated  # an `elif` is part of its `if`: it stays
        updated, dropped_else = self._without_empty_else(original, updated)
        if _emptied(self, updated.body) and updated.orelse is None and _pure(updated.test):
            dropped = self._drop_compound(original, updated, f"if {_code(updated.test)}:")
            return _with_comments_of(dropped, dropped_else)
        if dropped_else is None:
            return updated
        return cst.FlattenSentinel([updated, dropped_else])

    def _without_empty_else(self, original: cst.If, updated: cst.If):
        """``updated`` without an ``else:`` whose statements all went, and a placeholder carrying
        that branch's comments (None when there was no such branch)."""
        branch = updated.orelse
        if not isinstance(branch, cst.Else) or not _emptied(self, branch.body):
            return updated, None
        self.dropped(original, "else:")
        return updated.with_changes(orelse=None), removed(
            branch, inner=_inner_comments(branch.body),
            note="removed `else:`: nothing it did was used")

    def leave_Try(self, original: cst.Try, updated: cst.Try):
        """A ``try`` whose body all went can raise nothing: its handlers go with it."""
        if not _emptied(self, updated.body) or updated.orelse is not None \
                or updated.finalbody is not None:
            return updated
        inner = _inner_comments(updated.body)
        for handler in updated.handlers:
            inner += [*handler.leading_lines, *_inner_comments(handler.body)]
        why = "nothing in its body is left to raise, so its handlers cannot run"
        self.dropped(original, "try:", why)
        return removed(updated, inner=inner, note=f"removed `try:`: {why}")

    def _drop_compound(self, original, updated, header: str):
        header = " ".join(header.split())[:100]
        self.dropped(original, header)
        return removed(updated, inner=_inner_comments(updated.body),
                       note=f"removed `{header}`: nothing it did was used")

    def dropped(self, original: cst.CSTNode, header: str, why: str = "") -> None:
        """Record that a whole compound statement went, and ``why`` when the subclass's own
        reason (its body's statements all went) is not the whole story (subclasses report it)."""

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        body, footer = fold(updated.body, updated.footer)
        return updated.with_changes(body=body, footer=footer)

    def leave_IndentedBlock(self, original: cst.IndentedBlock,
                            updated: cst.IndentedBlock) -> cst.IndentedBlock:
        self.in_try -= id(original) in self.try_bodies
        self.blocks -= 1
        body, footer = fold(updated.body, updated.footer)
        if not body:
            return self.empty_block(original, updated)
        return updated.with_changes(body=body, footer=footer)

    def empty_block(self, original: cst.IndentedBlock, updated: cst.IndentedBlock):
        """Every statement of the block would go: a ``pass`` carries their comments (and the
        enclosing ``if``/``for`` may go whole, see above)."""
        lines = [line for statement in updated.body for line in statement.leading_lines]
        lines += [line for line in updated.footer if line.comment is not None]
        block = updated.with_changes(body=[cst.SimpleStatementLine([cst.Pass()], leading_lines=lines)],
                                     footer=[])
        self.emptied[id(block)] = block
        return block


def _emptied(keeper: CommentKeeper, block: cst.BaseSuite) -> bool:
    return keeper.emptied.get(id(block)) is block


def _inner_comments(block: cst.BaseSuite) -> list[cst.EmptyLine]:
    """The comment lines of a block's statements (an emptied block holds only its ``pass``),
    and those after its last statement (where the comments of statements that went at its end
    were folded)."""
    if not isinstance(block, cst.IndentedBlock):
        return []
    lines = [line for statement in block.body for line in statement.leading_lines]
    return [line for line in [*lines, *block.footer] if line.comment is not None]


def _with_comments_of(placeholder: cst.SimpleStatementLine,
                      other: cst.SimpleStatementLine | None) -> cst.SimpleStatementLine:
    if other is None:
        return placeholder
    return placeholder.with_changes(leading_lines=[*placeholder.leading_lines,
                                                   *other.leading_lines])


# calls that only compute (builtins, container and DataFrame iteration, string and parsed-HTML
# lookups): a loop over them, or a test of them, has no effect of its own
_PURE_CALLS = frozenset({
    "range", "enumerate", "zip", "len", "sorted", "reversed", "list", "tuple", "set", "dict",
    "isinstance", "hasattr", "getattr", "str", "int", "float", "bool", "abs", "min", "max", "sum",
    "items", "keys", "values", "iterrows", "itertuples", "iteritems", "unique", "split", "strip",
    "lower", "upper", "startswith", "endswith", "find_all", "findAll", "select", "find",
    "get_text", "get", "head", "tail", "copy", "count", "index", "isnull", "notnull", "isna",
    "any", "all", "arange", "linspace", "array", "groupby",
})


def _pure(node: cst.CSTNode) -> bool:
    """Evaluating it does nothing: no await, yield or assignment expression, and no call but to
    functions that only compute (``range(n)``, ``df.iterrows()``, ``soup.find_all("a")``)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, (cst.Await, cst.Yield, cst.NamedExpr)):
            return False
        if isinstance(current, cst.Call) and _called_name(current.func) not in _PURE_CALLS:
            return False
        stack.extend(current.children)
    return True


def _called_name(func: cst.BaseExpression) -> str:
    if isinstance(func, cst.Attribute):
        return func.attr.value
    return func.value if isinstance(func, cst.Name) else ""


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


def with_noqa(line: cst.TrailingWhitespace, code: str) -> cst.TrailingWhitespace | None:
    """The end of a line with ``# noqa: CODE`` after its own comment; None when the line has a
    ``noqa`` already (nb2prod never stacks them)."""
    if line.comment is not None and "noqa" in line.comment.value:
        return None
    text = f"# noqa: {code}" if line.comment is None else f"{line.comment.value}  # noqa: {code}"
    return line.with_changes(whitespace=cst.SimpleWhitespace("  "), comment=cst.Comment(text))


def comment_lines(lines: Sequence[cst.EmptyLine]) -> list[str]:
    """The comment texts among ``lines``, in order."""
    return [line.comment.value for line in lines if line.comment is not None]
