"""libcst transforms of one code cell: IPython calls, display-only lines, figures, secrets, paths.

Input is the cell's Python after IPython syntax translation (``get_ipython().system(...)`` and
friends). Every construct that cannot be carried over exactly leaves a ``# TODO(nb2prod): ...``
comment in the code and a :class:`ConvertWarning` in the report: nothing is lost silently.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

import libcst as cst
import libcst.matchers as m

from nb2prod.analysis.installs import InstallSpec, parse_install_command
from nb2prod.redact import find_token, is_random_token, is_sensitive_name, looks_like_secret_value
from nb2prod.refactor.plan import ConvertWarning
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
DISPLAY_METHODS = frozenset({"head", "tail", "describe", "sample", "value_counts", "nunique",
                             "unique", "corr", "cov", "isnull", "isna", "notnull", "notna",
                             "memory_usage", "get_params", "to_frame", "mean", "median", "sum",
                             "count", "min", "max", "std", "var", "style"})
_ENV_NAME = re.compile(r"[^A-Z0-9]+")


@dataclass
class CellResult:
    module: cst.Module
    warnings: list[ConvertWarning] = field(default_factory=list)
    installs: list[InstallSpec] = field(default_factory=list)
    needed_imports: set[str] = field(default_factory=set)
    secrets: list[str] = field(default_factory=list)
    path_fields: dict[str, str] = field(default_factory=dict)  # config field -> literal source
    shows_figures: bool = False


def transform_cell(source: str, cell: int, original_line, used_names: set[str]) -> CellResult:
    """Transform one cell's translated Python. ``original_line`` maps translated -> cell lines."""
    module = cst.parse_module(source)
    wrapper = cst.MetadataWrapper(module, unsafe_skip_copy=True)
    transformer = _CellTransformer(cell, original_line, used_names)
    result = wrapper.visit(transformer)
    return CellResult(result, transformer.warnings, transformer.installs, transformer.imports,
                      transformer.secrets, transformer.path_fields, transformer.shows_figures)


def _ipython_call(node: cst.BaseExpression) -> tuple[str, list[str]] | None:
    """(method, literal string arguments) of a ``get_ipython().<method>('...', ...)`` call."""
    if not m.matches(node, m.Call(func=m.Attribute(value=m.Call(func=m.Name("get_ipython"))))):
        return None
    arguments = []
    for arg in node.args:
        if not isinstance(arg.value, cst.SimpleString):
            return None
        arguments.append(arg.value.evaluated_value)
    return node.func.attr.value, arguments


class _CellTransformer(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (cst.metadata.PositionProvider,)

    def __init__(self, cell: int, original_line, used_names: set[str]) -> None:
        super().__init__()
        self.cell = cell
        self.original_line = original_line
        self.used_names = used_names
        self.warnings: list[ConvertWarning] = []
        self.installs: list[InstallSpec] = []
        self.imports: set[str] = set()
        self.secrets: list[str] = []
        self.path_fields: dict[str, str] = {}
        self.shows_figures = False
        self.depth = 0
        self.secret_literals: dict[cst.SimpleString, str] = {}

    # bookkeeping ---------------------------------------------------------------------------
    def _line(self, node: cst.CSTNode) -> int:
        position = self.get_metadata(cst.metadata.PositionProvider, node, None)
        return self.original_line(position.start.line) if position else 1

    def _warn(self, node: cst.CSTNode, message: str) -> None:
        self.warnings.append(ConvertWarning(self.cell, self._line(node), message))

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self.depth += 1

    def leave_IndentedBlock(self, original, updated):
        self.depth -= 1
        return updated

    # statements ----------------------------------------------------------------------------
    def leave_SimpleStatementLine(self, original: cst.SimpleStatementLine,
                                  updated: cst.SimpleStatementLine):
        if len(updated.body) != 1:
            return updated
        statement = updated.body[0]
        if isinstance(statement, cst.Expr):
            return self._expression_statement(original, updated, statement.value)
        if isinstance(statement, cst.Assign) and _ipython_call(statement.value):
            return self._assigned_ipython(original, updated, statement)
        return updated

    def _expression_statement(self, original, updated, value: cst.BaseExpression):
        call = _ipython_call(value)
        if call is not None:
            return self._ipython_statement(original, updated, *call)
        if m.matches(value, m.Call(func=m.Name("display"))):
            return cst.RemoveFromParent()
        if m.matches(value, m.Call(func=m.Attribute(attr=m.Name("show")), args=[])) and (
            _root_name(value.func) in {"plt", "pyplot", "matplotlib", "pylab"}
        ):
            self.shows_figures = True
            return updated.with_changes(body=[cst.Expr(cst.parse_expression("save_figure(figures_dir)"))])
        if self.depth == 0 and _display_only(value):
            return cst.RemoveFromParent()
        return updated

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
        if name in {"pip", "conda", "mamba"}:
            self.installs += parse_install_command(f"{name} {args}", self.cell, self._line(original))
            self._warn(original, f"%{name} {args} moved to the project's dependencies")
            return cst.RemoveFromParent()
        if name in SILENT_MAGICS:
            return cst.RemoveFromParent()
        if name == "cd" and args:
            self.imports.add("os")
            self._warn(original, f"%cd {args} became os.chdir(); relative paths now depend on it")
            return _statement(f"os.chdir({args!r})", updated)
        if name == "env" and "=" in args:
            key, _, value = args.partition("=")
            self.imports.add("os")
            return _statement(f"os.environ[{key.strip()!r}] = {value.strip()!r}", updated)
        return self._todo(original, updated, f"IPython magic %{name} {args}".strip())

    def _cell_magic(self, original, updated, name: str, args: str, body: str):
        if name in SHELL_CELL_MAGICS:
            self.imports.add("subprocess")
            shell = "bash" if name in {"bash", "system"} else (args or "sh")
            return _statement(f"subprocess.run([{shell!r}, '-c', {body!r}], check=True)", updated)
        if name == "writefile" and args:
            self.imports.add("pathlib")
            target = args.split()[-1]
            mode = "a" if "-a" in args.split() else "w"
            return _statement(f"with open({target!r}, {mode!r}) as _file:\n    _file.write({body!r})",
                              updated)
        if name in DISPLAY_CELL_MAGICS:
            if name == "capture" and args.split():
                self._warn(original, f"%%capture {args}: the captured output object is not kept")
            return cst.RemoveFromParent()
        return self._todo(original, updated, f"cell magic %%{name} {args}".strip())

    def _shell(self, original, updated, command: str):
        if parse_install_command(command):
            self.installs += parse_install_command(command, self.cell, self._line(original))
            self._warn(original, f"!{command} moved to the project's dependencies")
            return cst.RemoveFromParent()
        self.imports.add("subprocess")
        if "{" in command or "$" in command:
            formatted = "f" + repr(re.sub(r"\$(\w+)", r"{\1}", command))
            try:
                cst.parse_expression(formatted)
            except cst.ParserSyntaxError:
                return self._todo(original, updated, f"shell command !{command}")
            self._warn(original, f"!{command} runs through the shell with subprocess")
            return _statement(f"subprocess.run({formatted}, shell=True, check=True)", updated)
        try:
            argv = shlex.split(command)
        except ValueError:
            return self._todo(original, updated, f"shell command !{command}")
        return _statement(f"subprocess.run({argv!r}, check=True)", updated)

    def _assigned_ipython(self, original, updated, statement: cst.Assign):
        method, args = _ipython_call(statement.value)
        target = cst.Module([]).code_for_node(statement.targets[0].target)
        if method == "getoutput" and args:
            self.imports.add("subprocess")
            code = (f"{target} = subprocess.run({args[0]!r}, shell=True, capture_output=True, "
                    "text=True, check=True).stdout.splitlines()")
            self._warn(original, f"`{target} = !{args[0]}` runs through the shell with subprocess")
            return _statement(code, updated)
        return self._todo(original, updated, f"{target} = IPython magic {' '.join(args)}")

    def _todo(self, original, updated, what: str):
        self._warn(original, f"{what} has no equivalent outside IPython; left as a TODO")
        comment = cst.EmptyLine(comment=cst.Comment(f"# TODO(nb2prod): {_one_line(what)} (not converted)"))
        return cst.SimpleStatementLine(body=[cst.Pass()],
                                       leading_lines=[*updated.leading_lines, comment])

    # values: secrets and absolute paths ----------------------------------------------------
    def visit_Assign(self, node: cst.Assign) -> None:
        """`api_key = "..."`: remember the literal, so its env var is named after the variable."""
        if len(node.targets) == 1 and isinstance(node.targets[0].target, (cst.Name, cst.Attribute)):
            target = node.targets[0].target
            self._remember_secret(target.value if isinstance(target, cst.Name) else target.attr.value,
                                  node.value)

    def visit_Arg(self, node: cst.Arg) -> None:
        """`connect(password="...")`"""
        if node.keyword is not None:
            self._remember_secret(node.keyword.value, node.value)

    def visit_DictElement(self, node: cst.DictElement) -> None:
        """`{"api_key": "..."}`"""
        if isinstance(node.key, cst.SimpleString):
            key = _literal(node.key)
            if key is not None:
                self._remember_secret(key, node.value)

    def _remember_secret(self, name: str, value_node: cst.BaseExpression) -> None:
        if not isinstance(value_node, cst.SimpleString):
            return
        value = _literal(value_node)
        if value is not None and is_sensitive_name(name) and looks_like_secret_value(value):
            self.secret_literals[value_node] = name.upper()

    def leave_Call(self, original: cst.Call, updated: cst.Call):
        name = _root_attr(updated.func)
        if not name or not FILE_CALLS.match(name) or not updated.args:
            return updated
        first = updated.args[0]
        value = _literal(first.value) if isinstance(first.value, cst.SimpleString) else None
        if value is None or not (USER_PATH.match(value) or ABSOLUTE_PATH.match(value)):
            return updated
        field_name = self._path_field(value)
        self._warn(original, f"absolute path {value!r} became config field '{field_name}'")
        return updated.with_changes(args=[first.with_changes(value=cst.Name(field_name)),
                                          *updated.args[1:]])

    def leave_SimpleString(self, original: cst.SimpleString, updated: cst.SimpleString):
        if original in self.secret_literals:
            return self._secret(original, self.secret_literals[original])
        value = _literal(updated)
        if value is not None and (find_token(value) or is_random_token(value.strip())):
            return self._secret(original, _secret_env_name(find_token(value) or "secret"))
        return updated

    def leave_FormattedString(self, original: cst.FormattedString, updated: cst.FormattedString):
        """f"text" without placeholders is a plain string (pyflakes F541)."""
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

    def _path_field(self, value: str) -> str:
        stem = re.sub(r"\W+", "_", value.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]).strip("_")
        base = f"{stem.lower() or 'data'}_path"
        if base[0].isdigit():
            base = f"path_{base}"
        name, n = base, 2
        while name in self.used_names or (name in self.path_fields and self.path_fields[name] != repr(value)):
            name, n = f"{base}_{n}", n + 1
        self.path_fields[name] = repr(value)
        self.used_names.add(name)
        return name


def _statement(code: str, like: cst.SimpleStatementLine):
    """A statement from code, keeping the comments that stood above the one it replaces."""
    statement = cst.parse_statement(code)
    return statement.with_changes(leading_lines=like.leading_lines)


def _display_only(value: cst.BaseExpression) -> bool:
    """A bare expression whose only effect in a notebook is to be displayed."""
    # a bare subscript stays: `counts["a"]` on a defaultdict inserts the key
    if isinstance(value, (cst.Name, cst.Attribute, cst.BaseNumber, cst.SimpleString,
                          cst.Comparison, cst.BinaryOperation, cst.Tuple, cst.List, cst.Dict)):
        return not any(isinstance(n, (cst.Call, cst.Subscript)) for n in _walk(value))
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute):
        return (value.func.attr.value in DISPLAY_METHODS
                and not any(arg.keyword and arg.keyword.value == "inplace" for arg in value.args)
                and _display_only_receiver(value.func.value))
    return False


def _display_only_receiver(value: cst.BaseExpression) -> bool:
    if isinstance(value, (cst.Name, cst.Attribute, cst.Subscript)):
        return True
    return isinstance(value, cst.Call) and _display_only(value)


def _walk(node: cst.CSTNode):
    yield node
    for child in node.children:
        yield from _walk(child)


def _root_name(node: cst.BaseExpression) -> str:
    while isinstance(node, cst.Attribute):
        node = node.value
    return node.value if isinstance(node, cst.Name) else ""


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


def _literal(node: cst.SimpleString) -> str | None:
    try:
        value = node.evaluated_value
    except Exception:
        return None
    return value if isinstance(value, str) else None


def _one_line(text: str) -> str:
    return " ".join(text.split())[:120]
