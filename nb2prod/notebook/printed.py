"""What of a cell's recorded stdout its code prints outside IPython.

IPython's own syntax prints too: `%time` its timings, `!pip install` pip's progress, `%pylab` its
greeting. A converted project runs the cell's Python, not those, so a test that expects the
notebook's printed output must expect it without theirs; and where a cell printed through syntax
whose output cannot be told apart (`%whos`, `!ls`, `%run script.py`), there is no reference.
"""

from __future__ import annotations

import re

from nb2prod.notebook.ipysyntax import Magic, Translation, translate

# what IPython's timing magics print: `%time` (CPU and wall times), `%timeit` (then and now)
_TIMING = re.compile(
    r"^(?:CPU times: .*|Wall time: .*|Compiler time: .*|Parser\s*: .*"
    r"|.* per loop \(mean .* std\. dev\. of .*\)"
    r"|[\d,]+ loops?, best of \d+: .* per loop"
    r"|The slowest run took .* times longer than the fastest\..*"
    r"|.*intermediate result is being cached\.?)$")
# lines only pip prints: taken out of a cell's output that the cell's Python printed to as well
_PIP_ONLY = re.compile(
    r"^\s*(?:Requirement already (?:satisfied|up-to-date): \S+.*|Successfully installed \S+.*"
    r"|Installing collected packages: \S+.*|Note: you may need to restart the kernel to use "
    r"updated packages\.|Collecting [A-Za-z0-9](?:[\w.\-]*[A-Za-z0-9])?(?:\[[\w,.\-]+\])?"
    r"(?:[<>=!~]=?[\w.*+!\-]+)?(?: \(from .*\))?|Downloading \S+\.(?:whl|tar\.gz|zip)(?: \(.*\))?"
    r"|Using cached \S+\.(?:whl|tar\.gz|zip)(?: \(.*\))?|[━╸╺█]{5,}.*)$")
# what else pip and conda print while installing: in a cell that printed too, such a line may
# be either's, so the cell's output is no reference (a cell of only installs prints nothing)
_INSTALLING = re.compile(
    r"^\s*(?:Requirement already (?:satisfied|up-to-date)|Collecting |Downloading |Using cached"
    r"|Installing collected packages|Successfully (?:installed|built|uninstalled)|Attempting "
    r"uninstall|Found existing installation|Uninstalling |Looking in (?:indexes|links)"
    r"|Building wheels? for|Created wheel for|Stored in directory|Preparing metadata|Getting "
    r"requirements to build|Installing build dependencies|Obtaining |Processing |Note: you may "
    r"need to restart the kernel|WARNING: |ERROR: |DEPRECATION: |\[notice\] |Defaulting to user"
    r"|Channels:|Platform:|Collecting package metadata|Solving environment|# All requested "
    r"packages already installed|Retrieving notices|Preparing transaction|Verifying transaction"
    r"|Executing transaction|Downloading and Extracting Packages|[━╸╺█|#\-]{5,})")
_LINE_FILTERS = {
    "time": _TIMING, "timeit": _TIMING,
    "pylab": re.compile(r"^Populating the interactive namespace from numpy and matplotlib$"),
    "env": re.compile(r"^env: \w+=.*$"),
    "store": re.compile(r"^Stored '\w+' \(.*\)$"),
    "writefile": re.compile(r"^(?:Writing|Overwriting|Appending to) \S.*$"),
}
# magics that print nothing to stdout (or show it in a pager or as a value, not as stdout)
_QUIET = frozenset({"matplotlib", "load_ext", "reload_ext", "autoreload", "aimport", "pinfo",
                    "pinfo2", "psearch", "pdef", "pdoc", "psource", "pfile", "notebook",
                    "qtconsole", "colors", "precision", "capture", "config", "html", "HTML",
                    "javascript", "js", "latex", "markdown", "svg", "debug", "prun"})
# magics after which the notebook's output says nothing of what the project prints
_UNMATCHED = frozenset({"capture"})
_INSTALLERS = re.compile(r"^\s*(?:(?:\S*python3?(?:\.\d+)?\s+-m\s+)?pip3?|conda|mamba)\s+install\b")


def recorded_stdout(outputs) -> str:
    """A cell's recorded stdout: its stream outputs named stdout, joined."""
    parts = []
    for output in outputs:
        if output.get("output_type") == "stream" and output.get("name") == "stdout":
            text = output.get("text", "")
            parts.append("".join(text) if isinstance(text, list) else str(text))
    return "".join(parts)


def printed_outside_ipython(source: str, text: str) -> tuple[str, str]:
    """What of ``text`` (a code cell's recorded stdout) the cell's Python prints, and, when that
    cannot be told, what printed the rest ('' when it can)."""
    if not text and "capture" not in source:
        return text, ""
    translation = translate(source)
    magics = translation.magics
    if magics and all(_installs(m) for m in magics) and _only_magics(translation):
        return "", ""  # (pip's progress bars and conda's plans are not all line by line)
    lines = text.splitlines(keepends=True)
    unknown = [m for m in magics if m.name in _UNMATCHED]  # (%%capture: it printed nothing)
    for magic in magics:
        if _installs(magic):
            lines = [line for line in lines if not _PIP_ONLY.match(line.rstrip("\n"))]
            if any(_INSTALLING.match(line.rstrip("\n")) for line in lines):
                unknown.append(magic)
        elif magic.name in _LINE_FILTERS and magic.kind in ("line", "cell"):
            pattern = _LINE_FILTERS[magic.name]
            lines = [line for line in lines if not pattern.match(line.rstrip("\n"))]
    left = "".join(lines)
    if left.strip():  # timeit runs its statement many times: what it prints, as often
        unknown += [m for m in magics if m.name == "timeit" or (
            not _installs(m) and m.name not in _LINE_FILTERS and m.name not in _QUIET
            and m.kind != "help")]
    return left, _shown(unknown[0]) if unknown else ""


def _installs(magic: Magic) -> bool:
    if magic.kind == "shell":
        return bool(_INSTALLERS.match(magic.args))
    return magic.kind == "line" and magic.name in {"pip", "conda", "mamba"} \
        and magic.args.split()[:1] == ["install"]


def _only_magics(translation: Translation) -> bool:
    """Every line of code in the cell is IPython syntax."""
    rows = translation.python.splitlines()
    return all(number in translation.translated_lines and row.lstrip().startswith("get_ipython()")
               for number, row in enumerate(rows, 1)
               if row.strip() and not row.lstrip().startswith("#"))


def _shown(magic: Magic) -> str:
    if magic.kind == "shell":
        return f"`!{magic.args.split()[0] if magic.args.split() else ''}`"
    return f"`{'%%' if magic.kind == 'cell' else '%'}{magic.name}`"
