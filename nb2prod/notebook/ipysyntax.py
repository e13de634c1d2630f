"""Translate IPython syntax in a code cell into plain Python, keeping a map back to the original lines.

IPython is never imported: its ``TransformerManager`` costs a large import and runs IPython's own
start-up. This translator covers the forms people really write and produces the same calls IPython
does (``get_ipython().run_line_magic(...)`` and friends), with three deliberate differences that make
the result better for analysis and conversion:

* ``%time stmt`` / ``%timeit stmt`` / ``x = %time expr`` unwrap to the statement itself, so the names
  it reads and binds stay visible;
* ``%%time``, ``%%timeit``, ``%%capture`` and other cell magics whose body is Python keep their body
  as Python below a one-line header call (``%%capture out`` binds ``out``);
* every translated construct is also recorded as a :class:`Magic`, so rules can see what a line did
  (``%run`` and ``%store -r`` may bind names no code shows).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from nb2prod.notebook.pylab import pylab_names

# Cell magics whose body IPython runs as Python in the user namespace.
PYTHON_BODY_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug"})
# Line magics that take a Python statement as their argument.
STATEMENT_LINE_MAGICS = frozenset({"time", "timeit"})
# Names IPython runs as magics without a ``%`` (automagic), limited to unambiguous uses.
AUTOMAGIC = re.compile(r"^(pip|conda|mamba)\s+(install|uninstall|list|freeze|show|download|update)\b")

_NAME = r"[A-Za-z_]\w*"
_ASSIGN = re.compile(rf"^(?P<lhs>{_NAME}(?:\.{_NAME})*(?:\s*,\s*{_NAME}(?:\.{_NAME})*)*)\s*=\s*"
                     r"(?P<kind>!|%)(?P<rest>.*)$")
_HELP = re.compile(r"^(?P<pre>\?{1,2})?(?P<obj>[A-Za-z_*][\w.*\[\]()]*?)(?P<post>\?{1,2})?$")
_MAGIC = re.compile(r"^%(?P<name>[A-Za-z_][\w.-]*)\s*(?P<args>.*)$")
_BRACE_NAME = re.compile(r"\{\s*([A-Za-z_]\w*)[^{}]*\}")
_DOLLAR_NAME = re.compile(r"(?<![\$\\])\$([A-Za-z_]\w*)")
# Anything that could be IPython syntax; a cell with none of it is plain Python (most cells are).
_MAYBE_IPYTHON = re.compile(r"^[ \t]*[!%?/,;]|\?[ \t]*$|=[ \t]*[!%]|^[ \t]*(?:pip|conda|mamba)[ \t]",
                            re.M)
_TIMEIT_OPTION = re.compile(r"^(?:-[nr]\s*\d+|-[oqtcp](?:\s*\d+)?)\s+")


@dataclass(frozen=True)
class Magic:
    """One piece of IPython syntax found in a cell.

    ``kind`` is ``line`` (``%name``), ``cell`` (``%%name``), ``shell`` (``!cmd``), ``help`` (``obj?``)
    or ``autocall`` (``/f x``). ``line`` is the 1-based line in the original cell. ``binds`` are names
    the magic itself assigns (``%%capture out``, ``%store -r x``), ``reads`` names it interpolates
    (``!echo {path}``), and ``opaque`` says it may bind names nothing shows (``%run``, ``%store -r``).
    """

    kind: str
    name: str
    args: str
    line: int
    binds: tuple[str, ...] = ()
    reads: tuple[str, ...] = ()
    opaque: bool = False


@dataclass(frozen=True)
class Translation:
    """Plain Python for one cell and the 1-based original line of each translated line."""

    python: str
    line_map: tuple[int, ...]
    magics: tuple[Magic, ...] = ()
    translated_lines: frozenset[int] = field(default_factory=frozenset)

    def original_line(self, line: int) -> int:
        """Map a 1-based line of :attr:`python` to its 1-based line in the cell's source."""
        if not self.line_map:
            return 1
        index = min(max(line, 1), len(self.line_map)) - 1
        return self.line_map[index]


def translate(source: str) -> Translation:
    """Translate one code cell's IPython source into Python."""
    source = _without_leading_indent(source)
    if not _MAYBE_IPYTHON.search(source):
        return Translation(source, tuple(range(1, len(source.splitlines()) + 1)))
    lines = source.splitlines()
    first = next((i for i, text in enumerate(lines) if text.strip()), None)
    if first is not None and lines[first].startswith("%%"):
        return _translate_cell_magic(lines, first)
    return _Translator(lines, start=0).run()


def _without_leading_indent(source: str) -> str:
    """IPython runs `` df.head()`` (a cell whose first line is indented): it removes that
    indentation from every line that starts with it (``leading_indent``), after the blank lines
    before it. Python alone would call it a syntax error. Lines keep their numbers."""
    lines = source.split("\n")
    first = next((text for text in lines if text.strip()), "")
    indent = first[: len(first) - len(first.lstrip(" \t"))]
    if not indent:
        return source
    return "\n".join(text[len(indent):] if text.startswith(indent) else text for text in lines)


def _translate_cell_magic(lines: list[str], header_index: int) -> Translation:
    header = lines[header_index][2:]
    name, _, args = header.strip().partition(" ")
    args = args.strip()
    line_no = header_index + 1
    binds: tuple[str, ...] = ()
    if name == "capture":
        binds = tuple(t for t in args.split() if not t.startswith("-"))[:1]
    magic = Magic("cell", name, args, line_no, binds=binds, reads=_interpolated_names(args))
    call = f"get_ipython().run_cell_magic({name!r}, {args!r}, "
    if name not in PYTHON_BODY_CELL_MAGICS:
        body = "\n".join(lines[header_index + 1 :])
        return Translation(call + f"{body!r})", (line_no,), (magic,), frozenset({1}))
    header_stmt = call + "'')"
    if binds:
        header_stmt = f"{binds[0]} = {header_stmt}"
    body = _Translator(lines, start=header_index + 1).run()
    python = "\n".join([header_stmt, body.python]) if body.python else header_stmt
    return Translation(
        python,
        (line_no, *body.line_map),
        (magic, *body.magics),
        frozenset({1} | {n + 1 for n in body.translated_lines}),
    )


class _Translator:
    """Line-by-line translation of escaped IPython syntax, leaving string literals alone."""

    def __init__(self, lines: list[str], start: int) -> None:
        self.lines = lines
        self.start = start
        self.out: list[str] = []
        self.line_map: list[int] = []
        self.magics: list[Magic] = []
        self.translated: set[int] = set()

    def run(self) -> Translation:
        in_string = _starts_inside_string(self.lines)
        i = self.start
        while i < len(self.lines):
            text = self.lines[i]
            if in_string[i]:
                self._emit(text, i + 1, translated=False)
                i += 1
                continue
            logical, consumed = _join_continuations(self.lines, i)
            result = self._translate_line(logical, i + 1)
            if result is None:
                self._emit(text, i + 1, translated=False)
                i += 1
                continue
            self._emit(result, i + 1, translated=True)
            i += consumed
        return Translation(
            "\n".join(self.out),
            tuple(self.line_map),
            tuple(self.magics),
            frozenset(self.translated),
        )

    def _emit(self, text: str, original_line: int, translated: bool) -> None:
        self.out.append(text)
        self.line_map.append(original_line)
        if translated:
            self.translated.add(len(self.out))

    def _translate_line(self, text: str, line_no: int) -> str | None:
        stripped = text.lstrip()
        if not stripped or (stripped[0] not in "!%?/,;" and not _could_be_special(stripped)):
            return None
        indent = text[: len(text) - len(stripped)]
        translated = (
            self._shell(stripped, line_no)
            or self._assignment(stripped, line_no)
            or self._line_magic(stripped, line_no)
            or self._automagic(stripped, line_no)
            or self._help(stripped, line_no)
            or self._autocall(stripped, line_no)
        )
        return None if translated is None else indent + translated

    def _shell(self, text: str, line_no: int) -> str | None:
        if not text.startswith("!"):
            return None
        capture = text.startswith("!!")
        command = text[2:] if capture else text[1:]
        self.magics.append(Magic("shell", "!", command.strip(), line_no,
                                 reads=_interpolated_names(command)))
        method = "getoutput" if capture else "system"
        return f"get_ipython().{method}({command.strip()!r})"

    def _assignment(self, text: str, line_no: int) -> str | None:
        match = _ASSIGN.match(text)
        if not match or match["rest"].startswith("="):
            return None
        lhs, rest = match["lhs"], match["rest"].strip()
        if match["kind"] == "!":
            self.magics.append(Magic("shell", "!", rest, line_no, reads=_interpolated_names(rest)))
            return f"{lhs} = get_ipython().getoutput({rest!r})"
        magic = _MAGIC.match("%" + rest)
        if not magic:
            return None
        name, args = magic["name"], magic["args"].strip()
        self.magics.append(Magic("line", name, args, line_no, reads=_interpolated_names(args)))
        if name in STATEMENT_LINE_MAGICS and args:
            return f"{lhs} = {_strip_timeit_options(args)}"
        if name == "sx":
            return f"{lhs} = get_ipython().getoutput({args!r})"
        return f"{lhs} = get_ipython().run_line_magic({name!r}, {args!r})"

    def _line_magic(self, text: str, line_no: int) -> str | None:
        match = _MAGIC.match(text)
        if not match or text.startswith("%%"):
            return None
        name, args = match["name"], match["args"].strip()
        binds, opaque = _magic_bindings(name, args)
        self.magics.append(Magic("line", name, args, line_no, binds=binds,
                                 reads=_interpolated_names(args), opaque=opaque))
        if name in STATEMENT_LINE_MAGICS and args:
            return _strip_timeit_options(args)
        return f"get_ipython().run_line_magic({name!r}, {args!r})"

    def _automagic(self, text: str, line_no: int) -> str | None:
        if not AUTOMAGIC.match(text):
            return None
        name, _, args = text.partition(" ")
        self.magics.append(Magic("line", name, args.strip(), line_no))
        return f"get_ipython().run_line_magic({name!r}, {args.strip()!r})"

    def _help(self, text: str, line_no: int) -> str | None:
        match = _HELP.match(text.rstrip())
        if not match or not (match["pre"] or match["post"]):
            return None
        marks = match["pre"] or match["post"]
        name = "pinfo2" if marks == "??" else "pinfo"
        self.magics.append(Magic("help", name, match["obj"], line_no))
        return f"get_ipython().run_line_magic({name!r}, {match['obj']!r})"

    def _autocall(self, text: str, line_no: int) -> str | None:
        if text[0] not in "/,;" or len(text) < 2:
            return None
        escape, rest = text[0], text[1:]
        func, _, args = rest.partition(" ")
        if not re.fullmatch(rf"{_NAME}(?:\.{_NAME})*", func):
            return None
        self.magics.append(Magic("autocall", func, args.strip(), line_no))
        if escape == "/":
            return f"{func}({', '.join(args.split())})"
        if escape == ",":
            return f"{func}({', '.join(repr(a) for a in args.split())})"
        return f"{func}({args.strip()!r})"


def _could_be_special(text: str) -> bool:
    """Cheap pre-filter for the forms that do not start with an escape character."""
    return ("=" in text and ("!" in text or "%" in text)) or text.endswith("?") or bool(
        AUTOMAGIC.match(text)
    )


def magic_may_bind(name: str, args: str) -> bool:
    """Whether a line magic may bind names no code shows (``%run``, ``%store -r``)."""
    return _magic_bindings(name, args)[1]


def _magic_bindings(name: str, args: str) -> tuple[tuple[str, ...], bool]:
    """Names a line magic binds, and whether it may bind names no code shows."""
    tokens = args.split()
    if name == "store" and tokens[:1] == ["-r"]:
        names = tuple(t for t in tokens[1:] if re.fullmatch(_NAME, t))
        return names, not names
    if name == "pylab":  # numpy and pyplot star-imported, np and plt: known names
        return pylab_names(), False
    if name in {"run", "load", "loadpy", "recall", "rerun", "macro", "sql", "config"}:
        return (), name in {"run", "load", "loadpy", "recall", "rerun", "macro", "sql"}
    return (), False


def _strip_timeit_options(args: str) -> str:
    while True:
        match = _TIMEIT_OPTION.match(args)
        if not match:
            return args
        args = args[match.end() :]


def _interpolated_names(text: str) -> tuple[str, ...]:
    """Python names IPython expands in a shell command or magic argument (``{name}``, ``$name``)."""
    names = _BRACE_NAME.findall(text) + _DOLLAR_NAME.findall(text)
    return tuple(dict.fromkeys(names))


def _join_continuations(lines: list[str], index: int) -> tuple[str, int]:
    """A magic or shell line ending in a backslash continues on the next line."""
    text = lines[index]
    stripped = text.lstrip()
    if stripped[:1] not in ("!", "%") and not _ASSIGN.match(stripped):
        return text, 1
    consumed = 1
    while text.endswith("\\") and index + consumed < len(lines):
        text = text[:-1] + " " + lines[index + consumed].strip()
        consumed += 1
    return text, consumed


def _starts_inside_string(lines: list[str]) -> list[bool]:
    """For each line, whether it continues a statement: inside a triple-quoted string, inside
    brackets, or after a backslash. IPython syntax is only recognised at a statement's start."""
    result = []
    state = _ScanState()
    for text in lines:
        result.append(state.continues())
        state.scan(text)
    return result


class _ScanState:
    """Open string, bracket depth and backslash continuation across lines of Python source."""

    def __init__(self) -> None:
        self.delimiter: str | None = None
        self.depth = 0
        self.backslash = False

    def continues(self) -> bool:
        return self.delimiter is not None or self.depth > 0 or self.backslash

    def scan(self, text: str) -> None:
        if not self.continues() and text.lstrip()[:1] in ("!", "%"):
            self.backslash = text.endswith("\\")
            return  # shell and magic lines are not Python: their quotes and brackets mean nothing
        i, n = 0, len(text)
        while i < n:
            char = text[i]
            if self.delimiter is not None:
                if char == "\\":
                    i += 2
                    continue
                if text.startswith(self.delimiter, i):
                    i += len(self.delimiter)
                    self.delimiter = None
                    continue
            elif char == "#":
                break
            elif char in "'\"":
                self.delimiter = char * 3 if text.startswith(char * 3, i) else char
                i += len(self.delimiter)
                continue
            elif char in "([{":
                self.depth += 1
            elif char in ")]}":
                self.depth = max(self.depth - 1, 0)
            i += 1
        if self.delimiter is not None and len(self.delimiter) == 1:
            self.delimiter = None  # a one-quote string cannot span lines (without a backslash)
        self.backslash = self.delimiter is None and text.endswith("\\")
