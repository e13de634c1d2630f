"""libcst transforms of one code cell: IPython calls, display-only lines, figures, secrets, paths.

Input is the cell's Python after IPython syntax translation (``get_ipython().system(...)`` and
friends). Every construct that cannot be carried over exactly leaves a ``# TODO(nb2prod): ...``
comment in the code and a :class:`ConvertWarning` in the report: nothing is lost silently.
"""

from __future__ import annotations

import ast
import re
import shlex
from dataclasses import dataclass, field

import libcst as cst

from nb2prod.analysis.astutil import called_name, parsed, walk
from nb2prod.analysis.installs import InstallSpec, parse_install_command
from nb2prod.redact import (
    REDACTED,
    find_token,
    is_random_token,
    is_sensitive_name,
    looks_like_secret_value,
    may_hold_secret,
    redact,
)
from nb2prod.refactor.bugbear import (
    bound_loop_variables,
    immutable_defaults,
    loop_names,
    without_repeated_keys,
)
from nb2prod.refactor.comments import CommentKeeper, removed, with_noqa
from nb2prod.refactor.dead import effect, inert
from nb2prod.refactor.formatted_paths import formatted_path
from nb2prod.refactor.locate import one_line
from nb2prod.refactor.path_flow import COPY_CALLS, FILE_DATABASES
from nb2prod.refactor.plan import Change, ConvertWarning
from nb2prod.refactor.purity import display_only, no_effect, pure_calls_only, root_name
from nb2prod.refactor.relpath import (
    DELETE_CALLS,
    FILE_KEYWORDS,
    READ_CALLS,
    stays_inside,
    writing_mode,
)
from nb2prod.rules.hygiene import ABSOLUTE_PATH, FILE_CALLS, USER_PATH

# Line magics with no effect outside a notebook (display and editor settings).
SILENT_MAGICS = frozenset({"matplotlib", "load_ext", "reload_ext", "autoreload", "config",
                           "pinfo", "pinfo2", "precision", "pprint", "xmode", "who", "whos",
                           "who_ls", "lsmagic", "magic", "history", "notebook", "qtconsole",
                           "aimport", "reset", "tb", "pdb", "debug", "watermark", "pip", "conda",
                           "mamba", "time", "timeit", "prun", "page", "colors"})
DISPLAY_CELL_MAGICS = frozenset({"html", "HTML", "javascript", "js", "latex", "markdown", "svg",
                                 "capture", "time", "timeit", "prun", "debug"})
SHELL_CELL_MAGICS = frozenset({"bash", "sh", "script", "system"})
_IMPORTS_DISPLAY = re.compile(r"^\s*from\s+IPython[\w.]*\s+import\b[^\n]*\bdisplay\b", re.MULTILINE)
_ENV_NAME = re.compile(r"[^A-Z0-9]+")


@dataclass
class CellResult:
    module: cst.Module
    warnings: list[ConvertWarning] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    installs: list[InstallSpec] = field(default_factory=list)
    needed_imports: set[str] = field(default_factory=set)
    secrets: list[str] = field(default_factory=list)
    path_fields: dict[str, str] = field(default_factory=dict)  # config field -> literal source
    path_reads: dict[str, str] = field(default_factory=dict)  # config field -> path it reads
    shows_figures: bool = False
    # config fields of relative paths the cell writes into a folder (`outputs/ci.png`): the step
    # creates the folder, which a fresh checkout (or the tests' data folder) does not have
    folder_writes: set[str] = field(default_factory=set)
    folder_fields: set[str] = field(default_factory=set)  # fields that name a folder, not a file
    # fields of absolute paths the cell writes: on the notebook's machine, never the tests'
    host_writes: set[str] = field(default_factory=set)
    host_reads: set[str] = field(default_factory=set)  # and those it reads
    # the module's top-level statements and their code, once printed (collect fills it in)
    statements: list[tuple[cst.CSTNode, str]] = field(default_factory=list)
    # top-level statements' own lines as written (id -> the statement, its lines): see _keep_text
    texts: dict[int, tuple[cst.CSTNode, str]] = field(default_factory=dict)


def transform_cell(source: str, cell: int, original_line, used_names: set[str],
                   known_paths: dict[str, str] | None = None, original: str = "") -> CellResult:
    """Transform one cell's translated Python into the code that goes into a module.
    ``original_line`` maps translated -> cell lines, ``original`` is the cell as written;
    ``used_names`` and ``known_paths`` (path literal -> config field) are shared by the cells of
    a notebook, which add to them."""
    module = _header_onto_first_statement(cst.parse_module(source))
    known_paths = {} if known_paths is None else known_paths
    names_before, paths_before = set(used_names), dict(known_paths)
    transformer = _transformer(source, cell, original_line, used_names, known_paths, original)
    result = module.visit(transformer)
    if transformer.statements_seen != len(transformer.statements):
        # libcst's statements and the ast's did not pair up: the screen may have judged a
        # statement by another's tree, so the cell is transformed again without it
        used_names.clear(), used_names.update(names_before)
        known_paths.clear(), known_paths.update(paths_before)
        transformer = _transformer(source, cell, original_line, used_names, known_paths, original)
        transformer.screen = False
        result = module.visit(transformer)
    return CellResult(result, transformer.warnings, transformer.changes, transformer.installs,
                      transformer.imports, transformer.secrets, transformer.path_fields,
                      transformer.path_reads, transformer.shows_figures,
                      transformer.folder_writes, transformer.folder_fields,
                      transformer.host_writes, transformer.host_reads,
                      texts=transformer.texts if "\r" not in source else {})


def _transformer(source: str, cell: int, original_line, used_names: set[str],
                 known_paths: dict[str, str], original: str) -> _CellTransformer:
    transformer = _CellTransformer(cell, original_line, used_names, known_paths)
    transformer.original_lines = original.splitlines()
    transformer.statements = _statements(source)
    transformer.source_lines = source.split("\n")
    transformer.imports_display = _IMPORTS_DISPLAY.search(source) is not None
    transformer.last_top_line = max((s.lineno for s in parsed(source).body), default=1)
    return transformer


def _path_words(value: str) -> str:
    """``data/API_NY.GDP.MKTP_DS2_en_v2_422026.csv`` -> ``api_ny_gdp_csv``: a few words of the
    file name (no bare numbers) and its extension."""
    name = value.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    stem, _, extension = name.rpartition(".") if "." in name.lstrip(".") else (name, "", "")
    words = [w for w in re.split(r"[\W_]+", stem.lower()) if w and not w.isdigit()][:3]
    extension = re.sub(r"\W+", "", extension.lower())
    return "_".join([*words, extension] if extension and extension not in words else words)


def _statements(source: str) -> list[ast.stmt]:
    """The statements, depth first in source order (libcst's visiting order)."""
    found: list[ast.stmt] = []
    stack = list(reversed(parsed(source).body))
    while stack:
        node = stack.pop()
        found.append(node)
        nested = []
        for child in (c for part in ("body", "handlers", "orelse", "finalbody", "cases")
                      for c in getattr(node, part, ())):
            if isinstance(child, ast.stmt):
                nested.append(child)
            else:  # an except handler or a match case: its statements
                nested.extend(child.body)
        stack.extend(reversed(nested))
    return found


def _header_onto_first_statement(module: cst.Module) -> cst.Module:
    """libcst keeps a cell's opening comments in the module header, apart from the statement they
    annotate; they belong to that statement, so they move with it."""
    comments = [line for line in module.header if line.comment is not None]
    if not comments or not module.body:
        return module
    first = module.body[0]
    first = first.with_changes(leading_lines=[*comments, *first.leading_lines])
    return module.with_changes(header=[], body=[first, *module.body[1:]])


def _calls_name(node: cst.CSTNode, name: str) -> bool:
    """``node`` is a call of the plain name ``name`` (``display(...)``). (libcst's matchers
    would say the same, but importing them costs a fifth of a second on every convert.)"""
    return isinstance(node, cst.Call) and isinstance(node.func, cst.Name) \
        and node.func.value == name


def _ipython_call(node: cst.BaseExpression) -> tuple[str, list[str]] | None:
    """(method, literal string arguments) of a ``get_ipython().<method>('...', ...)`` call."""
    if not (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)
            and _calls_name(node.func.value, "get_ipython")):
        return None
    arguments = []
    for arg in node.args:
        if not isinstance(arg.value, cst.SimpleString):
            return None
        arguments.append(arg.value.evaluated_value)
    return node.func.attr.value, arguments


class _CellTransformer(CommentKeeper):
    """The transforms. Lines: libcst's position metadata costs as much as the rest of the work,
    and only statements' lines are reported, so they come from the ``ast`` of the same source,
    whose statements are visited in the same order."""

    def __init__(self, cell: int, original_line, used_names: set[str],
                 known_paths: dict[str, str]) -> None:
        super().__init__()
        self.cell = cell
        self.original_line = original_line
        self.used_names = used_names
        self.warnings: list[ConvertWarning] = []
        self.changes: list[Change] = []
        self.original_lines: list[str] = []
        self.statements: list[ast.stmt] = []  # the statements' syntax trees, in visiting order
        self.source_lines: list[str] = []
        # the cell imports IPython's display itself (in a function, which the notebook's names
        # do not show)
        self.imports_display = False
        self.last_top_line = 1  # of the cell's last top-level statement: the one Jupyter shows
        self.screen = True  # skip the inside of statements no transform can act on
        self.skipped: cst.CSTNode | None = None  # a top-level compound statement left whole
        self.texts: dict[int, tuple[cst.CSTNode, str]] = {}  # see _keep_text
        self.statements_seen = 0
        self.line_stack: list[int] = []
        self.installs: list[InstallSpec] = []
        self.imports: set[str] = set()
        self.secrets: list[str] = []
        self.path_fields: dict[str, str] = {}
        self.path_reads: dict[str, str] = {}
        self.folder_writes: set[str] = set()
        self.folder_fields: set[str] = set()
        self.host_writes: set[str] = set()
        self.host_reads: set[str] = set()
        self.enclosing_calls: list[cst.Call] = []  # the calls being visited, innermost last
        self.notes: set[int] = set()  # strings on their own line, which become comments
        self.known_paths = known_paths
        self.shows_figures = False
        self.unsaved_figure = False  # a plot drawn since the last plt.show()
        self.definitions = 0  # inside a def or class body: nothing is drawn when the cell runs
        self.depth = 0
        self.loop_bodies: dict[int, set[str]] = {}  # a `for` body -> the names its loop binds
        self.loop_variables: list[set[str]] = []  # per enclosing block
        self.secret_literals: dict[cst.SimpleString, str] = {}

    # bookkeeping ---------------------------------------------------------------------------
    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            first = self.statements_seen
            self.line_stack.append(self.statements[first].lineno if first < len(self.statements)
                                   else (self.line_stack[-1] if self.line_stack else 1))
            if isinstance(node, cst.SimpleStatementLine):
                self.statements_seen += len(node.body)
                return super().on_visit(node) and self._may_change_inside(node, first)
            if len(self.line_stack) == 1 and not self._may_change_compound(node, first):
                self.statements_seen += sum(n.__class__ in _STATEMENTS
                                            for n in walk(self.statements[first]))
                self.skipped = node
                return False
            self.statements_seen += 1
        elif isinstance(node, cst.SimpleStatementSuite):  # `for x in y: f(x)`: on the header's line
            self.statements_seen += len(node.body)
        return super().on_visit(node)

    def _may_change_inside(self, node: cst.SimpleStatementLine, first: int) -> bool:
        """Whether a transform could act on anything inside the statements of ``node``; when
        not, libcst need not rebuild them (most of the cost of a large notebook). Judged on
        their ``ast`` and text; a statement that does not match its ``ast`` is visited."""
        statements = self._paired(node, first)
        if not statements:
            return True
        if len(self.line_stack) == 1:
            self._keep_text(node, statements)
        return _may_change_text(self._text(statements)) or any(
            _may_be_transformed(n) for statement in statements for n in walk(statement))

    def _may_change_compound(self, node: cst.BaseCompoundStatement, first: int) -> bool:
        """Whether a transform could act on anything in a top-level ``def``, ``class``, loop,
        ``if``, ``with`` or ``try``; when not, libcst leaves it whole (no hook runs on it)."""
        statements = self._paired(node, first)
        if not statements:
            return True
        self._keep_text(node, statements)
        nodes = walk(statements[0])
        return _may_change_text(self._text(statements)) or any(
            _may_be_transformed(n) or _may_change_in_block(n) for n in nodes) or (
            any(n.__class__ in _LOOPS for n in nodes)
            and any(n.__class__ in _FUNCTIONS for n in nodes))  # (B023: a def in a loop)

    def _paired(self, node: cst.BaseStatement, first: int) -> list[ast.stmt]:
        """The ``ast`` statements of ``node`` (its small statements, or itself); none when the
        screen is off or they do not match libcst's."""
        parts = node.body if isinstance(node, cst.SimpleStatementLine) else [node]
        statements = self.statements[first:first + len(parts)]
        if not self.screen or len(statements) != len(parts) or any(
                _AST_NAMES.get(type(a).__name__, type(a).__name__) != type(c).__name__
                for a, c in zip(statements, parts, strict=True)):
            return []
        return statements

    def _text(self, statements: list[ast.stmt]) -> str:
        """The source lines of ``statements`` (decorators included), without the lines above."""
        start = min([statements[0].lineno,
                     *(d.lineno for d in getattr(statements[0], "decorator_list", ()))])
        return "\n".join(self.source_lines[start - 1:statements[-1].end_lineno])

    def _keep_text(self, node: cst.BaseStatement, statements: list[ast.stmt]) -> None:
        """A top-level statement's own lines as written, for when it comes through unchanged:
        libcst's printing of a statement costs about as much as parsing it. Not for a block the
        next statement does not follow directly: libcst gives a block the comments after it that
        are indented into it, and those are past its last statement."""
        end = statements[-1].end_lineno or statements[-1].lineno
        after = self.source_lines[end:]
        if isinstance(node, cst.BaseCompoundStatement) and after not in ([], [""]) \
                and not _starts_code(after[0]):
            return
        self.texts[id(node)] = (node, self._text(statements) + "\n")

    def on_leave(self, original: cst.CSTNode, updated: cst.CSTNode):
        if original is self.skipped:  # (its hooks did not see its start either)
            self.skipped = None
            self.line_stack.pop()
            return updated
        result = super().on_leave(original, updated)
        if isinstance(original, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            self.line_stack.pop()
        return result

    def _line(self, node: cst.CSTNode) -> int:
        """The cell line of the statement being transformed (``node`` is in it)."""
        return self.original_line(self.line_stack[-1]) if self.line_stack else 1

    def _warn(self, node: cst.CSTNode, message: str, code_left_out: bool = False) -> None:
        self.warnings.append(ConvertWarning(self.cell, self._line(node), message, "",
                                            code_left_out))

    def _change(self, node: cst.CSTNode, what: str, why: str) -> None:
        self.changes.append(Change(self.cell, self._line(node), what, why))

    def _source(self, node: cst.CSTNode, original: cst.CSTNode | None = None) -> str:
        """The statement as the notebook shows it: a magic as written, not its translation."""
        code = cst.Module([]).code_for_node(node)
        line = self._line(original) if original is not None else 0
        if "get_ipython()" in code and 0 < line <= len(self.original_lines):
            return one_line(redact(self.original_lines[line - 1])[0])
        if isinstance(node, cst.SimpleStatementLine):
            code = cst.Module([]).code_for_node(node.with_changes(
                leading_lines=[], trailing_whitespace=cst.TrailingWhitespace()))
        return one_line(code)

    def _remove(self, original, updated, why: str):
        # `updated`: its secrets are already replaced, and the record must not carry them
        what = f"removed `{self._source(updated, original)}`"
        self._change(original, what, why)
        return removed(updated, note=f"{what}: {why}")

    def _replace(self, original, updated, code: str, why: str):
        statement = _statement(code, updated)
        self._change(original, f"`{self._source(updated, original)}` became `{one_line(code)}`",
                     why)
        return statement

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        super().visit_IndentedBlock(node)
        self.depth += 1
        self.loop_variables.append(self.loop_bodies.get(id(node), set()))

    def leave_IndentedBlock(self, original, updated):
        self.depth -= 1
        self.loop_variables.pop()
        return super().leave_IndentedBlock(original, updated)

    def visit_SimpleStatementSuite(self, node: cst.SimpleStatementSuite) -> None:
        """`for k in ks: fs.append(lambda: k)`: a body on the header's line binds the loop's
        names too."""
        self.loop_variables.append(self.loop_bodies.get(id(node), set()))

    def leave_SimpleStatementSuite(self, original, updated):
        self.loop_variables.pop()
        return updated

    # statements ----------------------------------------------------------------------------
    def leave_SimpleStatementLine(self, original: cst.SimpleStatementLine,
                                  updated: cst.SimpleStatementLine):
        if len(updated.body) != 1:
            return updated
        statement = updated.body[0]
        # IPython calls are read from the original: a secret in a magic's arguments has already
        # been replaced by an os.environ lookup in `updated`, which is no literal any more
        if len(original.body) == 1 and isinstance(original.body[0], cst.Assign) \
                and _ipython_call(original.body[0].value):
            return self._assigned_ipython(original, updated, original.body[0])
        if isinstance(statement, cst.Expr):
            return self._expression_statement(original, updated, statement.value)
        return updated

    def _expression_statement(self, original, updated, value: cst.BaseExpression):
        first = original.body[0]
        call = _ipython_call(first.value) if isinstance(first, cst.Expr) else None
        if call is not None:
            return self._ipython_statement(original, updated, *call)
        if _calls_name(value, "display"):
            return self._display_call(original, updated, value)
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) \
                and value.func.attr.value == "show" and not value.args and (
            root_name(value.func) in {"plt", "pyplot", "matplotlib", "pylab"}
        ):
            self.shows_figures = True
            self.unsaved_figure = False
            return self._replace(original, updated, "save_figure(figures_dir)",
                                 "figures are saved to the configured folder instead of shown")
        if isinstance(first, cst.Expr) and id(first.value) in self.notes:
            # (the note as written: a URL with a password in it is redacted, not looked up)
            return self._string_as_comment(original, updated, first.value)
        if self.depth == 0 and display_only(value):
            # Jupyter shows the value of a cell's last statement only
            shown = self.line_stack[-1] >= self.last_top_line
            return self._remove(original, updated, "it only displayed a value in the notebook"
                                if shown else "its value was not used: in the middle of a cell "
                                "an expression shows nothing")
        if self.in_try:  # what may raise is what the try's handlers are for
            probe = isinstance(value, (cst.Name, cst.Attribute))
            return self._probe(original, updated) if probe else updated
        if self.depth > 0 and no_effect(value):
            return self._remove(original, updated, "an expression on its own line inside a block "
                                "has no effect, not even display (ruff B018/B015)")
        if isinstance(value, cst.Attribute) and effect(value) is not None:
            return self._replace(original, updated, cst.Module([]).code_for_node(effect(value)),
                                 "the attribute read after the call had no effect outside "
                                 "display; the call stays (ruff B018)")
        if isinstance(value, cst.Comparison) and pure_calls_only(value):
            return self._remove(original, updated, "a comparison on its own line only displayed "
                                "its result (ruff B015)")
        if isinstance(value, cst.Comparison):
            return self._acting_comparison(original, updated, value)
        return updated

    def _acting_comparison(self, original, updated, value: cst.Comparison):
        """A comparison on its own line that calls something: the call stays, and the comparison
        goes when that keeps the code's effects; else the line says ruff B015 is known."""
        call = _sole_effect(value)
        if call is not None:
            return self._replace(original, updated, cst.Module([]).code_for_node(call),
                                 "a comparison on its own line has no use but display (ruff "
                                 "B015); the call in it stays")
        return self._noqa(original, updated, "B015", "a comparison on its own line has no use "
                          "but display (ruff B015); it stays whole: what it calls may act, and "
                          "the comparison may stop first")

    def _string_as_comment(self, original, updated, value: cst.BaseString):
        """A string on its own line is a note the author wrote (``\"\"\"Traversal check\"\"\"``):
        it becomes the same words as comments, not nothing."""
        text = value.evaluated_value if isinstance(value, cst.SimpleString) else "".join(
            part.evaluated_value for part in (value.left, value.right))
        text = redact(str(text))[0]
        lines = [f"# {line.rstrip()}".rstrip() for line in text.strip().splitlines()]
        self._change(original, f"the string `{self._source(updated, original)}` on its own line "
                     "became a comment", "a string on its own line does nothing in a script; in "
                     "the notebook it was a note (or showed itself)")
        return removed(updated, *(lines or ["#"]))

    def _probe(self, original, updated):
        """``try: name`` / ``except NameError:``: the expression is there to raise; ruff B018
        cannot know, so the line says so."""
        return self._noqa(original, updated, "B018",
                          "inside a try it is there to raise what the handler catches")

    def _noqa(self, original, updated, code: str, why: str):
        """The line with ``# noqa: CODE`` (a listed change), as it is when it has a noqa."""
        line = with_noqa(updated.trailing_whitespace, code)
        if line is None:
            return updated
        self._change(original, f"`{self._source(updated, original)}` got `# noqa: {code}`", why)
        return updated.with_changes(trailing_whitespace=line)

    def _display_call(self, original, updated, value: cst.Call):
        """A cell's own display() shows a value in the notebook: it goes. Inside a function it is
        what the function does: it stays when imported (IPython.display works in a script), and
        else prints."""
        if not self.definitions:
            return self._remove(original, updated, "display() only shows a value in the notebook")
        if "display" in self.used_names or self.imports_display \
                or any(a.keyword is not None for a in value.args):
            # (display's options have no print() equivalent; made print(), an import of display
            # in the function itself would be left unused)
            return updated
        code = cst.Module([]).code_for_node(value.with_changes(func=cst.Name("print")))
        return self._replace(original, updated, code, "display() without its import exists only "
                             "in IPython; print() shows the same value in a script")

    def _ipython_statement(self, original, updated, method: str, args: list[str]):
        if method == "system":
            return self._shell(original, updated, args[0] if args else "")
        if method == "getoutput":
            return self._todo(original, updated, f"shell output capture `!{args[0] if args else ''}`")
        if method == "run_line_magic":
            return self._line_magic(original, updated, args[0], args[1] if len(args) > 1 else "")
        if method == "run_cell_magic":
            return self._cell_magic(original, updated, *[*args, "", "", ""][:3])
        return self._todo(original, updated, f"IPython call get_ipython().{method}()")

    def _line_magic(self, original, updated, name: str, args: str):
        if name in {"pip", "conda", "mamba"} and args.split()[:1] != ["install"]:
            return self._shell(original, updated, f"{name} {args}")  # `%pip list`: like `!pip list`
        if name in {"pip", "conda", "mamba"}:
            self.installs += parse_install_command(f"{name} {args}", self.cell, self._line(original))
            return self._remove(original, updated, "installs moved to the project's dependencies")
        if name == "pylab":
            return self._replace(original, updated, "from pylab import *; from numpy import *",
                                 "%pylab is IPython-only; its names become explicit imports")
        if name in SILENT_MAGICS:
            return self._remove(original, updated, f"%{name} has no effect outside a notebook")
        if name == "cd" and args:
            self.imports.add("os")
            self._warn(original, f"%cd {args} became os.chdir(); relative paths now depend on it")
            target = repr(args)
            if _absolute(args):  # files are read and written there: the tests use a copy
                target = self._path_field(args, kind="dir")
                self.folder_fields.add(target)
                self.host_reads.add(target)
                self.host_writes.add(target)
            return self._replace(original, updated, f"os.chdir({target})", "%cd is IPython-only")
        if (name == "env" and "=" in args) or (name == "set_env" and args.split()[1:]):
            key, value = (args.partition("=")[::2] if name == "env" else args.split(None, 1))
            return self._set_env(original, updated, key.strip(), value.strip())
        return self._todo(original, updated, f"IPython magic %{name} {args}".strip())

    def _set_env(self, original, updated, key: str, value: str):
        """`%env KEY=value`: an assignment to os.environ, unless the value is a credential: then
        the pipeline expects it in the environment, like every secret."""
        if (is_sensitive_name(key) and looks_like_secret_value(value)) or find_token(value) \
                or is_random_token(value):
            if key not in self.secrets:
                self.secrets.append(key)
            self._warn(original, f"%env {key}=... set a secret; set {key} in the environment "
                       "instead (and revoke the old value)")
            self._change(original, f"removed `%env {key}={REDACTED}`",
                         f"a secret: the pipeline reads {key} from the environment")
            return removed(updated)
        self.imports.add("os")
        return self._replace(original, updated, f"os.environ[{key!r}] = {value!r}",
                             "%env is IPython-only")

    def _cell_magic(self, original, updated, name: str, args: str, body: str):
        if name in SHELL_CELL_MAGICS:
            self.imports.add("subprocess")
            shell = "bash" if name in {"bash", "system"} else (args or "sh")
            return self._replace(original, updated,
                                 f"subprocess.run([{shell!r}, '-c', {body!r}], check=True)",
                                 f"%%{name} cells run through subprocess outside IPython")
        if name == "writefile" and args:
            self.imports.add("pathlib")
            target = args.split()[-1]
            mode = "a" if "-a" in args.split() else "w"
            where = repr(target)
            if _absolute(target):  # the generated tests write it in their own folder
                where = self._path_field(target)
                self.host_writes.add(where)
                self._warn(original, f"absolute path {target!r} became config field '{where}'")
            text = body if body.endswith("\n") else body + "\n"  # (IPython's cell ends in one)
            return self._replace(original, updated,
                                 f"with open({where}, {mode!r}) as _file:\n"
                                 f"    _file.write({text!r})", "%%writefile is IPython-only")
        if name in DISPLAY_CELL_MAGICS:
            if name == "capture" and args.split():
                self._warn(original, f"%%capture {args}: the captured output object is not kept")
            return self._remove(original, updated, f"%%{name} only changes how output is shown")
        return self._todo(original, updated, f"cell magic %%{name} {args}".strip())

    def _shell(self, original, updated, command: str):
        if parse_install_command(command):
            self.installs += parse_install_command(command, self.cell, self._line(original))
            return self._remove(original, updated, "installs moved to the project's dependencies")
        self.imports.add("subprocess")
        # IPython fills in `{expr}` and `$name` from Python; other `$NAME`s are the shell's own
        interpolated = re.sub(r"\$(\w+)", lambda m: f"{{{m[1]}}}" if m[1] in self.used_names
                              else m[0], command)
        if "{" in interpolated or _SHELL_SYNTAX.search(command):
            formatted = "f" + repr(interpolated) if "{" in interpolated else repr(command)
            try:
                cst.parse_expression(formatted)
            except cst.ParserSyntaxError:
                return self._todo(original, updated, f"shell command !{command}")
            self._warn(original, f"!{command} runs through the shell with subprocess")
            return self._replace(original, updated,
                                 f"subprocess.run({formatted}, shell=True, check=True)",
                                 "shell escapes are IPython-only")
        try:
            argv = shlex.split(command)
        except ValueError:
            return self._todo(original, updated, f"shell command !{command}")
        return self._replace(original, updated, f"subprocess.run({argv!r}, check=True)",
                             "shell escapes are IPython-only")

    def _assigned_ipython(self, original, updated, statement: cst.Assign):
        method, args = _ipython_call(statement.value)
        target = cst.Module([]).code_for_node(statement.targets[0].target)
        if method == "getoutput" and args:
            self.imports.add("subprocess")
            code = (f"{target} = subprocess.run({args[0]!r}, shell=True, capture_output=True, "
                    "text=True, check=True).stdout.splitlines()")
            return self._replace(original, updated, code, "shell escapes are IPython-only")
        return self._todo(original, updated, f"{target} = IPython magic {' '.join(args)}")

    def _todo(self, original, updated, what: str):
        what = redact(what)[0]  # the magic's arguments are copied into a comment and the report
        self._warn(original, f"{what} has no equivalent outside IPython; left as a TODO",
                   code_left_out=True)
        self._change(original, f"removed {one_line(what)}", "it has no equivalent outside IPython")
        return removed(updated, f"# TODO(nb2prod): {one_line(what)} (not converted)")

    def dropped(self, original, header: str, why: str = "") -> None:
        self._change(original, f"removed `{header}` and its body",
                     why or "its body only displayed values or had no effect")

    # values: secrets and absolute paths ----------------------------------------------------
    def visit_Assign(self, node: cst.Assign) -> None:
        """`api_key = "..."` (also `a = b = "..."`, `user, pw = "u", "..."`, `cfg["password"] =
        "..."`): remember the literal, so its env var is named after the variable."""
        for target in node.targets:
            self._remember_assigned(target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        """`PASSWORD: str = "..."`"""
        if node.value is not None:
            self._remember_assigned(node.target, node.value)

    def visit_Param(self, node: cst.Param) -> None:
        """`def login(password="..."):`"""
        if node.default is not None:
            self._remember_secret(node.name.value, node.default)

    def _remember_assigned(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        if isinstance(target, (cst.Tuple, cst.List)) and isinstance(value, (cst.Tuple, cst.List)) \
                and len(target.elements) == len(value.elements):
            for element, item in zip(target.elements, value.elements, strict=True):
                self._remember_assigned(element.value, item.value)
            return
        name = _target_name(target)
        if name:
            self._remember_secret(name, value)

    def visit_Arg(self, node: cst.Arg) -> None:
        """`connect(password="...")`"""
        if node.keyword is not None:
            self._remember_secret(node.keyword.value, node.value)

    def visit_Call(self, node: cst.Call) -> None:
        """`os.environ.get("API_KEY", "...")`, `os.getenv("TOKEN", "...")`: a secret default."""
        name = _root_attr(node.func)
        self.enclosing_calls.append(node)
        if name in {"get", "getenv", "setdefault"} and len(node.args) >= 2 \
                and isinstance(node.args[0].value, cst.SimpleString):
            key = _literal(node.args[0].value)
            if key is not None:
                self._remember_secret(key, node.args[1].value)

    def visit_DictElement(self, node: cst.DictElement) -> None:
        """`{"api_key": "..."}`"""
        if isinstance(node.key, cst.SimpleString):
            key = _literal(node.key)
            if key is not None:
                self._remember_secret(key, node.value)

    def leave_Dict(self, original: cst.Dict, updated: cst.Dict) -> cst.Dict:
        updated, gone = without_repeated_keys(updated)
        for entry in gone:
            self._change(original, f"removed the entry `{one_line(entry)}` of a key given again "
                         "later", "a dict keeps the last value of a repeated key (pyflakes F601)")
        return updated

    def _remember_secret(self, name: str, value_node: cst.BaseExpression) -> None:
        if isinstance(value_node, (cst.List, cst.Tuple, cst.Set)):  # PASSWORDS = ["...", "..."]
            singular = name[:-1] if name[-1:] in "sS" else name
            for element in value_node.elements:
                self._remember_secret(singular, element.value)
            return
        for inner in _held_values(value_node):  # `os.environ.get(k) or "..."`, `"...".strip()`
            self._remember_secret(name, inner)
        if isinstance(value_node, cst.FormattedString) and all(
                isinstance(part, cst.FormattedStringText) for part in value_node.parts):
            value = "".join(part.value for part in value_node.parts)  # f"..." without a {}
        elif isinstance(value_node, cst.SimpleString):
            value = _literal(value_node, text_of_bytes=True)
        else:
            return
        if value is not None and is_sensitive_name(name) and looks_like_secret_value(value):
            self.secret_literals[value_node] = name.upper()

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        """`password += "..."`"""
        name = _target_name(node.target)
        if name:
            self._remember_secret(name, node.value)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        """`(password := "...")`"""
        name = _target_name(node.target)
        if name:
            self._remember_secret(name, node.value)

    def _file_call(self, original: cst.Call, updated: cst.Call):
        name = _root_attr(updated.func)
        if _database_file(updated):  # sqlite3.connect("/home/me/x.db"): read, and changed
            return self._path_argument(original, updated, name, 0, "database")
        if not name or not (FILE_CALLS.match(name) or name in DELETE_CALLS
                            or name == "expanduser") \
                or name in _NOT_FILE_CALLS or not updated.args:
            return updated
        if name in COPY_CALLS:  # shutil.copy(src, dst): reads the first, writes the second
            for position, role in ((0, "read"), (1, "write")):
                at = _file_argument(name, updated.args, position)
                if at >= 0:
                    updated = self._path_argument(original, updated, name, at, role)
            return updated
        at = _file_argument(name, updated.args)
        reads = _reads(name, updated) or (name in _BUILDS_PATHS and self._built_for_reading(
            original))
        return self._path_argument(original, updated, name, at, "read" if reads else "write")

    def _built_for_reading(self, builder: cst.Call) -> bool:
        """Whether the path a builder call makes (``os.path.expanduser("~/x.csv")``,
        ``Path("/data/x.csv")``) only goes to a call that reads it: ``pd.read_csv(...)``,
        through ``str(...)`` too, ``Path(...).read_text()``, ``Path(...).open()``, the source of
        ``shutil.copy``. Anywhere else it may be written, and the tests keep off it."""
        inner: cst.BaseExpression = builder
        for outer in reversed(self.enclosing_calls):
            name = _root_attr(outer.func)
            if isinstance(outer.func, cst.Attribute) and _holds(outer.func.value, inner):
                return _reads_its_receiver(name, outer)  # (Path(...) / "x").open("w")
            if name in _PASSES_PATHS_ON:
                inner = outer  # str(Path(...)): what takes the string decides
                continue
            if name in COPY_CALLS:  # shutil.copy(Path(src), Path(dst)): the source is read
                return bool(outer.args) and outer.args[0].value is inner
            return _reads(name, outer)
        return False

    def _path_argument(self, original: cst.Call, updated: cst.Call, name: str, at: int,
                       role: str):
        """The path literal the call's argument ``at`` names, as a config field. ``role``: the
        call reads it, writes it, or both (a database file: only an absolute one, which the
        tests must keep off)."""
        first = updated.args[at]
        if (first.keyword is not None and first.keyword.value not in FILE_KEYWORDS
                and name not in COPY_CALLS) or first.star:
            return updated
        if not isinstance(first.value, cst.SimpleString):
            return updated if role == "database" else \
                self._formatted_file_call(original, updated, at, role == "read")
        value = _literal(first.value)
        if value is None:
            return updated
        absolute = _absolute(value)
        if not absolute and (role == "database" or not RELATIVE_PATH.match(value)):
            return updated
        field_name = self._path_field(value)
        if role == "read":
            self.path_reads[field_name] = value
        if absolute:
            if role != "write":
                self.host_reads.add(field_name)
            if role != "read":
                self.host_writes.add(field_name)
        elif role == "write" and "/" in value.strip("/") and stays_inside(value):
            self.folder_writes.add(field_name)
        if absolute:
            self._warn(original, f"absolute path {value!r} became config field '{field_name}'")
        why = ("an absolute path only exists on the machine the notebook ran on" if absolute
               else "file locations are configuration: relative paths resolve against data_dir")
        if field_name in self.folder_writes:
            why += "; the step creates the folder it writes into when it is missing"
        self._change(original, f"{value!r} became config field `{field_name}`", why)
        args = list(updated.args)
        args[at] = first.with_changes(value=cst.Name(field_name))
        return updated.with_changes(args=args)

    def _formatted_file_call(self, original: cst.Call, updated: cst.Call, at: int, reads: bool):
        """``plt.savefig(f"plots/{col}.png")``: the literal folder becomes a config field (made
        when the notebook writes there), the file name stays computed."""
        found = formatted_path(updated.args[at].value)
        folder = found.folder + "/" if found else ""  # as a path: "plots/"
        if found is None or find_token(found.folder) or (
                not RELATIVE_PATH.match(folder) and not ABSOLUTE_PATH.match(folder)):
            return updated
        field_name = self._path_field(folder, found.folder, "dir")
        self.folder_fields.add(field_name)
        writes = not reads and stays_inside(found.folder)
        if writes:
            self.folder_writes.add(field_name)
        elif reads:  # its files go into the tests' data (or are named as missing)
            self.path_reads[field_name] = folder
        if _absolute(folder):
            (self.host_reads if reads else self.host_writes).add(field_name)
            self._warn(original, f"absolute folder {found.folder!r} became config field "
                                 f"'{field_name}'")
        self.imports.add("os")
        rebuilt = found.rebuild(field_name)
        source = one_line(cst.Module([]).code_for_node(updated.args[at].value))
        self._change(original, f"`{source}` became "
                     f"`{one_line(cst.Module([]).code_for_node(rebuilt))}`",
                     f"its folder {found.folder!r} is configuration: config field `{field_name}`, "
                     "resolved against data_dir" +
                     (", created by the step when it is missing" if writes else ""))
        args = list(updated.args)
        args[at] = updated.args[at].with_changes(value=rebuilt)
        return updated.with_changes(args=args)

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        """A string on its own line is a note: judged here, before its strings are visited, so
        they are left alone (it becomes a redacted comment, never an environment lookup)."""
        first = node.body[0] if len(node.body) == 1 else None
        if isinstance(first, cst.Expr) and self.depth == 0 and not self.definitions \
                and _plain_string(first.value):
            value = first.value
            parts = [value.left, value.right] if isinstance(value, cst.ConcatenatedString) else []
            self.notes.update(id(node) for node in (value, *parts))

    def leave_SimpleString(self, original: cst.SimpleString, updated: cst.SimpleString):
        if id(original) in self.notes:
            return updated
        if original in self.secret_literals:
            lookup = self._secret(original, self.secret_literals[original])
            if "b" in original.prefix.lower():  # password = b"...": still bytes
                return cst.Call(cst.Attribute(lookup, cst.Name("encode")))
            return lookup
        value = _literal(updated)
        if value is not None and (find_token(value) or is_random_token(value.strip())):
            return self._secret(original, _secret_env_name(find_token(value) or "secret"))
        return updated

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.definitions += 1

    def leave_FunctionDef(self, original, updated):
        self.definitions -= 1
        updated, changed, shared = immutable_defaults(updated)
        for default in changed:
            self._change(original, f"the default `{default}` of {updated.name.value}() became "
                         "`None`, set in the body", "a mutable default is one object shared by "
                         "every call (ruff B006)")
        for default, why in shared:
            self._change(original, f"the default `{default}` of {updated.name.value}() got "
                         "`# noqa: B006`", why)
        return self._bind_loop_variables(original, updated, f"{updated.name.value}()")

    def visit_For(self, node: cst.For) -> None:
        self.loop_bodies[id(node.body)] = loop_names(node.target)
        name = _target_name(node.target)
        if name and isinstance(node.iter, (cst.List, cst.Tuple, cst.Set)):
            self._remember_secret(name, node.iter)  # `for password in ["...", "..."]`

    def leave_Lambda(self, original: cst.Lambda, updated: cst.Lambda):
        return self._bind_loop_variables(original, updated, "the lambda")

    def _bind_loop_variables(self, original, updated, what: str):
        updated, bound = bound_loop_variables(updated, set().union(*self.loop_variables))
        if bound:
            self._change(original, f"{what} binds {', '.join(f'`{n}={n}`' for n in bound)}",
                         "a function made in a loop reads the loop variable when it is called, "
                         "not when it is made (ruff B023)")
        return updated

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.definitions += 1

    def leave_ClassDef(self, original, updated):
        self.definitions -= 1
        return updated

    def leave_Module(self, original: cst.Module, updated: cst.Module) -> cst.Module:
        """The inline backend shows a cell's figures when the cell ends: save them there."""
        updated = super().leave_Module(original, updated)
        if not self.unsaved_figure:
            return updated
        self.shows_figures = True
        line = self.original_line(max((s.lineno for s in self.statements), default=1))
        self.changes.append(Change(self.cell, line, "the cell ends with `save_figure(figures_dir)`",
                                   "the notebook showed its figures when the cell ended"))
        return updated.with_changes(body=[*updated.body,
                                          cst.parse_statement("save_figure(figures_dir)\n")])

    def leave_Call(self, original: cst.Call, updated: cst.Call):
        self.enclosing_calls.pop()
        if self.definitions == 0 and ((isinstance(updated.func, cst.Attribute)
                                       and updated.func.attr.value in {"savefig", "close"})
                                      or _SAVES_FIGURE.match(_root_attr(updated.func))):
            # the author saved it where it belongs (plt.savefig, their own save_fig()), or
            # closed it
            self.unsaved_figure = False
        elif self.definitions == 0 and _plots(updated):
            self.unsaved_figure = True
        if _calls_name(updated, "zip") and "zip" not in self.used_names and not any(
                a.keyword is not None and a.keyword.value == "strict" for a in updated.args) \
                and (len(updated.args) >= 2 or any(a.star == "*" for a in updated.args)) \
                and not any(a.star == "**" for a in updated.args):
            self._change(original, "`zip(...)` got `strict=False`", "ruff B905 asks whether "
                         "unequal lengths are an error; False keeps what the notebook did")
            updated = updated.with_changes(args=[*updated.args[:-1], updated.args[-1].with_changes(
                comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
                cst.Arg(cst.Name("False"), keyword=cst.Name("strict"),
                        equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")))])
        return self._file_call(original, updated)

    def leave_FormattedString(self, original: cst.FormattedString, updated: cst.FormattedString):
        """f"text" without placeholders is a plain string (pyflakes F541)."""
        if original in self.secret_literals:  # password = f"..."
            return self._secret(original, self.secret_literals[original])
        if any(not isinstance(part, cst.FormattedStringText) for part in updated.parts):
            return updated
        text = "".join(part.value for part in updated.parts).replace("{{", "{").replace("}}", "}")
        prefix = updated.prefix.replace("f", "").replace("F", "")
        return cst.SimpleString(f"{prefix}{updated.start[len(updated.prefix):]}{text}{updated.end}")

    def _secret(self, node: cst.CSTNode, wanted: str) -> cst.BaseExpression:
        base = _ENV_NAME.sub("_", wanted.upper()).strip("_") or "SECRET"
        if base in _SHELL_VARIABLES:  # `pwd = "..."` must not read the working folder
            base = f"{base}_SECRET"
        env, n = base, 2
        while env in self.used_names:  # shared by all cells: one variable per secret literal
            env, n = f"{base}_{n}", n + 1
        self.used_names.add(env)
        self.secrets.append(env)
        self.imports.add("os")
        self._warn(node, f"hard-coded secret replaced by os.environ[{env!r}]; revoke the old one")
        return cst.parse_expression(f"os.environ[{env!r}]")

    def _path_field(self, value: str, default: str | None = None, kind: str = "path") -> str:
        """The config field of a path literal (``default``: its value, when not ``value``
        itself; ``kind``: the name's ending)."""
        default = value if default is None else default
        if value in self.known_paths:  # the same file in another cell: the same field
            self.path_fields[self.known_paths[value]] = repr(default)
            return self.known_paths[value]
        base = f"{_path_words(value) or 'data'}_{kind}"
        if base[0].isdigit():
            base = f"path_{base}"
        if base in _GENERATED_FIELDS:  # a folder called data: data_folder, not data_dir_2
            base = base.replace("_dir", "_folder")
        name, n = base, 2
        while name in self.used_names or (name in self.path_fields
                                          and self.path_fields[name] != repr(default)):
            name, n = f"{base}_{n}", n + 1
        self.path_fields[name] = repr(default)
        self.known_paths[value] = name
        self.used_names.add(name)
        return name


# a relative file path: words, dots, slashes; a file extension or a folder part
RELATIVE_PATH = re.compile(r"^(?!\.+$)(?![a-z][a-z0-9+.-]*:)[\w .@/\\-]*"
                           r"(?:\.[A-Za-z0-9]{1,8}|/)$|^[\w.@-]+/[\w .@/-]+$")
_GENERATED_FIELDS = frozenset({"data_dir", "figures_dir", "config"})  # convert's own names
# calls that make a path from their argument: whether it is read depends on what takes it
_BUILDS_PATHS = frozenset({"Path", "PurePath", "expanduser"})
# calls that hand the path they are given on, as it is or as a string
_PASSES_PATHS_ON = frozenset({"str", "fspath", "abspath", "normpath", "realpath", "expanduser",
                              "Path", "PurePath", "resolve", "absolute"})
# methods of a path object that only look at the file it names
_PATH_READS = frozenset({"read_text", "read_bytes", "exists", "is_file", "is_dir", "stat",
                         "iterdir", "glob", "rglob"})


def _sole_effect(comparison: cst.Comparison) -> cst.BaseExpression | None:
    """The call of ``a is f(x)``: one comparison, whose other side is a name or a constant (it
    cannot raise first) and whose operator only compares (``3 in it`` consumes an iterator;
    a chained comparison may stop before a later call), with no comment inside to lose."""
    if len(comparison.comparisons) != 1 or isinstance(
            comparison.comparisons[0].operator, (cst.In, cst.NotIn)) \
            or "#" in cst.Module([]).code_for_node(comparison):
        return None
    sides = (comparison.left, comparison.comparisons[0].comparator)
    acting = [side for side in sides if effect(side) is not None]
    if len(acting) != 1 or not all(inert(side) for side in sides if side is not acting[0]):
        return None
    kept = effect(acting[0])
    return kept if isinstance(kept, cst.Call) and kept is acting[0] else None  # (else B018)


def _holds(node: cst.CSTNode, target: cst.CSTNode) -> bool:
    """Whether ``target`` is ``node`` or inside it."""
    stack = [node]
    while stack:
        current = stack.pop()
        if current is target:
            return True
        stack.extend(current.children)
    return False


def _reads_its_receiver(method: str, call: cst.Call) -> bool:
    """Whether a method called on a path only reads what it names (``open`` in a reading
    mode: its first argument here)."""
    if method == "open":
        return _reading_mode([a.value for a in call.args[:1] if a.keyword is None] + [
            a.value for a in call.args if a.keyword is not None and a.keyword.value == "mode"])
    return method in _PATH_READS


_NOT_FILE_CALLS = frozenset({"join", "loads", "dumps", "connect", "Dataset", "File"})


def _file_argument(name: str, args, position: int = 0) -> int:
    """Which argument of a file call names the file: the one given by a file keyword
    (``df.to_csv(path_or_buf=...)``), else the second of ``joblib.dump(model, "m.joblib")`` and
    ``pd.to_pickle(df, "x.pkl")``, else the first. For a copy, ``position`` says which of its two
    files (``src``/``dst`` by keyword); -1 when the call does not name it."""
    if name in COPY_CALLS:
        keyword = ("src", "dst")[position]
        named = [i for i, a in enumerate(args) if a.keyword is not None
                 and a.keyword.value == keyword]
        if named:
            return named[0]
        return position if len(args) > position and args[position].keyword is None else -1
    named = [i for i, a in enumerate(args)
             if a.keyword is not None and a.keyword.value in FILE_KEYWORDS]
    if named:
        return named[0]
    second = name in {"dump", "to_pickle"} and len(args) > 1 \
        and not isinstance(args[0].value, cst.SimpleString)
    return 1 if second else 0


def _database_file(call: cst.Call) -> bool:
    """``sqlite3.connect(path)``, ``duckdb.connect(path)``: a database in a file."""
    return isinstance(call.func, cst.Attribute) and call.func.attr.value == "connect" \
        and isinstance(call.func.value, cst.Name) and call.func.value.value in FILE_DATABASES \
        and bool(call.args) and call.args[0].keyword is None




def _absolute(path: str) -> bool:
    """A path that only exists on one machine: absolute (``//tmp/x``, ``/tmp/a+b.txt`` too), or
    in a user's home."""
    return bool(USER_PATH.match(path) or ABSOLUTE_PATH.match(path)) \
        or path.startswith(("/", "\\"))


def _reads(name: str, call: cst.Call) -> bool:
    """Whether a file call reads its first argument (``open`` only in a reading mode)."""
    if not READ_CALLS.match(name):
        return False
    if name not in {"open", "ZipFile"}:
        return True
    modes = [a.value for a in call.args[1:2] if a.keyword is None] + [
        a.value for a in call.args if a.keyword is not None and a.keyword.value == "mode"]
    return _reading_mode(modes)


def _reading_mode(modes: list[cst.BaseExpression]) -> bool:
    """Whether an ``open`` given these mode arguments only reads: none means "r"; one held in a
    variable (``open(p, m)``) may write."""
    if not modes:
        return True
    mode = _literal(modes[0]) if isinstance(modes[0], cst.SimpleString) else None
    return mode is not None and not writing_mode(mode)


def _target_name(target: cst.BaseExpression) -> str:
    """The name an assignment target says: `x`, `obj.x`, `cfg["x"]`."""
    if isinstance(target, cst.Name):
        return target.value
    if isinstance(target, cst.Attribute):
        return target.attr.value
    if isinstance(target, cst.Subscript) and len(target.slice) == 1:
        index = target.slice[0].slice
        if isinstance(index, cst.Index) and isinstance(index.value, cst.SimpleString):
            return _literal(index.value) or ""
    return ""


def _statement(code: str, like: cst.SimpleStatementLine):
    """A statement from code, keeping the comments that stood above the one it replaces."""
    statement = cst.parse_statement(code)
    if isinstance(statement, cst.SimpleStatementLine):  # and the one at the end of its line
        return statement.with_changes(leading_lines=like.leading_lines,
                                      trailing_whitespace=like.trailing_whitespace)
    if like.trailing_whitespace.comment is not None:
        return statement.with_changes(leading_lines=[
            *like.leading_lines, cst.EmptyLine(comment=like.trailing_whitespace.comment)])
    return statement.with_changes(leading_lines=like.leading_lines)


def _plain_string(value: cst.BaseExpression) -> bool:
    """A text literal (not bytes, no f-string parts) on its own: a note, not code."""
    strings = [value] if isinstance(value, cst.SimpleString) else (
        [value.left, value.right] if isinstance(value, cst.ConcatenatedString) else [])
    return bool(strings) and all(isinstance(s, cst.SimpleString) and "b" not in s.prefix.lower()
                                 for s in strings)


_SHELL_SYNTAX = re.compile(r"[|&;<>*?`$()~]|\[.*\]")  # pipes, redirection, globs, variables...
_PLOT_MODULES = frozenset({"plt", "pyplot", "sns", "seaborn", "pylab"})
_PLOT_CALLS = frozenset({"plot", "hist", "hist2d", "scatter", "bar", "barh", "boxplot", "violinplot",
                         "imshow", "matshow", "pie", "heatmap", "pairplot", "countplot", "distplot",
                         "displot", "histplot", "kdeplot", "lineplot", "scatterplot", "barplot",
                         "regplot", "lmplot", "catplot", "jointplot", "figure",
                         "subplots", "subplot", "contour", "contourf", "pcolormesh", "errorbar",
                         "fill_between", "stem", "step", "hexbin", "area", "kde", "density"})


# plotting names that other objects' methods have too (a gym environment's step(), an
# optimizer's): such a call draws only on a matplotlib axes
_OTHER_METHODS = frozenset({"step", "area", "density", "kde", "figure", "stem"})
_SAVES_FIGURE = re.compile(r"^(?:save_?fig\w*|save_?plot\w*)$", re.IGNORECASE)
_ADJACENT_STRINGS = re.compile(r"['\"]\s*[rRbBuUfF]{0,2}['\"]")  # a literal, then another
_AST_NAMES = {"Delete": "Del"}  # libcst's name of an ast statement, where they differ
_CALLS_TRANSFORMED = frozenset({"zip", "savefig", "close", "get_ipython", "display", "show", "get",
                                "getenv", "setdefault", "expanduser"})


_COMPOUND_NAMES = {"AsyncFunctionDef": "FunctionDef", "AsyncFor": "For", "AsyncWith": "With"}
_STATEMENTS = frozenset(c for c in vars(ast).values() if isinstance(c, type)
                        and issubclass(c, ast.stmt))
_LOOPS = frozenset({ast.For, ast.AsyncFor, ast.While})
_FUNCTIONS = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda})
_SIMPLE_DEFAULTS = (ast.Constant, ast.Name, ast.Attribute, ast.UnaryOp)


def _starts_code(line: str) -> bool:
    return bool(line.strip()) and not line.lstrip().startswith("#")


def _may_change_text(text: str) -> bool:
    """What the statements' ``ast`` does not show: a credential, a line continuation, or
    ``"a: " f"{x}"`` (one string to ast, a part of which may lose its f)."""
    if ("f'" in text or 'f"' in text or "F'" in text or 'F"' in text) \
            and _ADJACENT_STRINGS.search(text):
        return True
    return "\\" in text or may_hold_secret(text)


def _may_change_in_block(node: ast.AST) -> bool:
    """Inside a block: an expression on its own line other than a call or a string (it may go
    as having no effect, or be a probe in a ``try``), or a default that may be mutable."""
    kind = node.__class__
    if kind is ast.Expr:
        value = node.value
        return not (value.__class__ is ast.Call or (value.__class__ is ast.Constant
                                                    and isinstance(value.value, str)))
    if kind in (ast.FunctionDef, ast.AsyncFunctionDef):
        return any(default is not None and default.__class__ not in _SIMPLE_DEFAULTS
                   for default in [*node.args.defaults, *node.args.kw_defaults])
    return False


def _may_be_transformed(node: ast.AST) -> bool:
    """Whether the transforms could act on this node (its kind and shape, not its strings, which
    :func:`~nb2prod.redact.may_hold_secret` screens): a superset of what they do act on."""
    kind = node.__class__
    if kind is ast.Call:
        func = node.func
        name = called_name(func)
        return name in _CALLS_TRANSFORMED or name in _PLOT_CALLS or bool(FILE_CALLS.match(name)) \
            or name in DELETE_CALLS \
            or bool(_SAVES_FIGURE.match(name)) \
            or _ast_root(func) in _PLOT_MODULES or (
                func.__class__ is ast.Attribute and func.value.__class__ is ast.Attribute
                and func.value.attr == "plot")
    if kind is ast.JoinedStr:  # an f-string without placeholders becomes a plain string
        return not any(v.__class__ is ast.FormattedValue for v in node.values)
    if kind is ast.Dict:  # a key given twice
        keys = [k.value if k.__class__ is ast.Constant else ("name", k.id)
                for k in node.keys if k.__class__ in (ast.Constant, ast.Name)]
        return len(set(keys)) < len(keys)
    return kind is ast.Lambda


def _ast_root(node: ast.AST) -> str:
    while node.__class__ in (ast.Attribute, ast.Call, ast.Subscript):
        node = node.func if node.__class__ is ast.Call else node.value
    return node.id if node.__class__ is ast.Name else ""


def _plots(call: cst.Call) -> bool:
    """A call that draws on a matplotlib figure (pyplot, seaborn, pandas' .plot, pylab names)."""
    func = call.func
    if isinstance(func, cst.Name):
        return func.value in _PLOT_CALLS
    if not isinstance(func, cst.Attribute):
        return False
    if root_name(func) in _PLOT_MODULES:
        return func.attr.value not in {"show", "close", "style", "rcParams", "ioff", "ion",
                                       "set_style", "set_theme", "set", "set_palette",
                                       "set_context", "use"}
    if func.attr.value in _OTHER_METHODS:  # env.step(), optimizer.step(): axes only
        receiver = func.value
        while isinstance(receiver, (cst.Attribute, cst.Subscript)):  # axs[0].step(...)
            receiver = receiver.value
        return isinstance(receiver, cst.Name) and re.fullmatch(
            r"ax|axes|axs|ax\d+|axis", receiver.value) is not None
    return func.attr.value in _PLOT_CALLS or (isinstance(func.value, cst.Attribute)
                                              and func.value.attr.value == "plot")


def _held_values(node: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The values an expression may evaluate to or derive from a literal of: both sides of
    ``a or b``, both branches of ``x if c else y``, the string of ``"...".strip()``."""
    if isinstance(node, cst.BooleanOperation):
        return [node.left, node.right]
    if isinstance(node, cst.IfExp):
        return [node.body, node.orelse]
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) \
            and isinstance(node.func.value, (cst.SimpleString, cst.FormattedString)):
        return [node.func.value]
    return []


def _root_attr(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return node.value if isinstance(node, cst.Name) else ""


_SHELL_VARIABLES = frozenset({"PWD", "OLDPWD", "PATH", "HOME", "USER", "LOGNAME", "SHELL", "TERM",
                              "LANG", "TMPDIR", "PYTHONPATH", "HOSTNAME", "DISPLAY", "EDITOR"})


def _secret_env_name(kind: str) -> str:
    """`GitHub token` -> GITHUB_TOKEN: a variable name that says what to set."""
    words = re.sub(r"[^A-Za-z0-9]+", " ", kind.replace("-style", "")).split()
    name = "_".join(w.upper() for w in words[:3])
    return name if name.endswith(("TOKEN", "KEY", "PASSWORD", "SECRET")) else f"{name}_SECRET"


def _literal(node: cst.SimpleString, text_of_bytes: bool = False) -> str | None:
    """The string a literal holds (a bytes literal's text too, with ``text_of_bytes``)."""
    try:
        value = node.evaluated_value
    except Exception:
        return None
    if isinstance(value, bytes) and text_of_bytes:
        return value.decode("latin-1")
    return value if isinstance(value, str) else None
