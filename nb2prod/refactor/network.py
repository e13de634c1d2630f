"""What a notebook downloads: a URL given to a reader (``pd.read_csv("https://...")``),
``urlretrieve``, ``requests.get``, ``!wget``.

The generated tests run the whole pipeline; where those hosts cannot be reached (a CI runner
without network, a train) they would fail with a connection error that says nothing about why.
Found from the code alone; only the host is kept (a URL may carry a token in its query).

Pure: nothing here opens a connection.
"""

from __future__ import annotations

import ast
import re
from urllib.parse import urlsplit

from nb2prod.analysis.astutil import all_nodes, called_name, import_bindings, walk
from nb2prod.notebook.model import Notebook
from nb2prod.refactor.plan import Download
from nb2prod.refactor.relpath import READ_CALLS

_DOWNLOADERS = frozenset({"urlretrieve", "urlopen", "download", "download_url", "download_file",
                          "get_file", "hf_hub_download", "read_html", "Request"})
_HTTP_CLIENTS = re.compile(r"^(?:requests|httpx|urllib3|http|sess)$|session$|client$",
                           re.IGNORECASE)
_URL = re.compile(r"(?:https?|ftp)://[^\s'\"<>]+")
_SHELL_DOWNLOADS = re.compile(r"(?:^|[\s;&|(])(?:wget|curl)\s")
_PORTS = {"http": 80, "https": 443, "ftp": 21}


def downloads(notebook: Notebook) -> tuple[Download, ...]:
    """Each place the notebook reads from the network, once per host and call: a download
    call given a URL (a literal, built from one, held in a name), a function of the
    notebook's own that passes its parameter to one (``def get_data(url): requests.get(url)``),
    or a library's dataset download (``fetch_california_housing()``, ``mnist.load_data()``,
    ``sns.load_dataset("tips")``)."""
    found: dict[tuple[str, str], Download] = {}
    cells = [cell for cell in notebook.code_cells if cell.tree is not None]
    nodes = [n for cell in cells for n in all_nodes(cell.tree)]
    literals = _single_literals(nodes)
    helpers = _downloading_functions(nodes)
    imported = _imported_names(nodes)
    never_run = _inside_unused_functions(nodes)
    for cell in cells:
        guarded = _guarded_lines(cell.tree)
        shadowed = _parameters_around_calls(cell.tree)
        for node in all_nodes(cell.tree):
            if not isinstance(node, ast.Call) or node.lineno in guarded or id(node) in never_run:
                continue
            known = literals if id(node) not in shadowed else {
                name: text for name, text in literals.items() if name not in shadowed[id(node)]}
            call, urls = _downloaded(node, known, helpers)
            shown_by = ""
            if not urls:
                call, urls = _dataset_download(node, imported)
                shown_by = call.removesuffix("()")
            for url in urls:
                parts = urlsplit(url)
                if not parts.hostname:
                    continue
                port = parts.port if _has_port(parts) else _PORTS.get(parts.scheme, 443)
                found.setdefault((parts.hostname, call), Download(
                    parts.hostname, port, call, cell.index, cell.original_line(node.lineno),
                    shown_by))
    return tuple(found.values())


# libraries' dataset downloads (what they fetch is cached, but a fresh machine downloads it):
# the qualified call -> the host it downloads from
_DATASET_HOSTS = (
    (re.compile(r"^sklearn\.datasets\.fetch_openml$"), "api.openml.org"),
    (re.compile(r"^sklearn\.datasets\.fetch_\w+$"), "ndownloader.figshare.com"),
    (re.compile(r"^(?:tensorflow\.|tf\.)?keras\.datasets\.\w+\.load_data$"),
     "storage.googleapis.com"),
    (re.compile(r"^tensorflow_datasets\.(?:load|builder)$"), "storage.googleapis.com"),
    (re.compile(r"^seaborn\.load_dataset$"), "raw.githubusercontent.com"),
    (re.compile(r"^nltk\.download$"), "raw.githubusercontent.com"),
    (re.compile(r"^datasets\.load_dataset$"), "huggingface.co"),
)


def _dataset_download(call: ast.Call, imported: dict[str, str]) -> tuple[str, list[str]]:
    """(the call as reported, a URL of the host) when ``call`` is a library's dataset download."""
    qualified = _qualified(call.func, imported)
    for pattern, host in _DATASET_HOSTS:
        if qualified and pattern.match(qualified):
            return f"{called_name(call.func)}()", [f"https://{host}/"]
    return "", []


def _qualified(node: ast.AST, imported: dict[str, str]) -> str:
    """``sns.load_dataset`` -> ``seaborn.load_dataset`` through the notebook's imports ('' for a
    call on anything else than a name or its attributes)."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return ""
    root = imported.get(node.id, node.id)
    return ".".join([root, *reversed(parts)])


def _imported_names(nodes) -> dict[str, str]:
    """Name -> what the notebook's imports bind it to (``sns`` -> ``seaborn``, ``mnist`` ->
    ``keras.datasets.mnist``); ``tf`` is tensorflow's usual name."""
    names = {"tf": "tensorflow", "sns": "seaborn", "tfds": "tensorflow_datasets"}
    for node in nodes:
        names.update(import_bindings(node, relative=False))
    return names


def _inside_unused_functions(nodes) -> set[int]:
    """The calls in functions nothing mentions (a helper the notebook never calls)."""
    used = {n.id for n in nodes if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    used |= {n.attr for n in nodes if isinstance(n, ast.Attribute)}  # (self.fetch(), a method)
    return {id(inner) for node in nodes
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name not in used
            for inner in walk(node) if isinstance(inner, ast.Call)}


def _parameters_around_calls(tree: ast.AST) -> dict[int, set[str]]:
    """Call -> the parameters of the functions around it: there ``url`` is the parameter, not
    a name the notebook assigns elsewhere."""
    around: dict[int, set[str]] = {}
    for node in all_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            arguments = node.args
            params = {a.arg for a in [*arguments.posonlyargs, *arguments.args,
                                      *arguments.kwonlyargs, arguments.vararg, arguments.kwarg]
                      if a is not None}
            for inner in walk(node):
                if isinstance(inner, ast.Call):
                    around.setdefault(id(inner), set()).update(params)
    return around


def _downloading_functions(nodes) -> dict[str, list[tuple[int, str]]]:
    """The notebook's functions that download what a parameter names: name -> (position,
    parameter) of each such parameter."""
    found: dict[str, list[tuple[int, str]]] = {}
    for node in nodes:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        params = [a.arg for a in [*node.args.posonlyargs, *node.args.args]]
        used = {n.id for inner in all_nodes(node) if isinstance(inner, ast.Call)
                for argument in _url_arguments(inner)[1] for n in walk(argument)
                if isinstance(n, ast.Name)}
        downloaded = [(i, p) for i, p in enumerate(params) if p in used]
        if downloaded:
            found[node.name] = downloaded
    return found


def _guarded_lines(tree: ast.AST) -> set[int]:
    """Lines in the body of a ``try`` with handlers (a download there may fail, and the code
    goes on), or of an ``if`` that first looks for the file (a cached download: the tests have
    the file)."""
    return {line for node in all_nodes(tree) if (isinstance(node, ast.Try) and node.handlers)
            or (isinstance(node, ast.If) and any(
                isinstance(n, ast.Call) and called_name(n.func) in _LOOKS_FOR_FILES
                for n in walk(node.test)))
            for statement in node.body
            for line in range(statement.lineno, (statement.end_lineno or statement.lineno) + 1)}


_LOOKS_FOR_FILES = frozenset({"exists", "isfile", "is_file", "isdir", "is_dir"})


def _has_port(parts) -> bool:
    try:
        return parts.port is not None
    except ValueError:  # a port that is no number
        return False


def _single_literals(nodes) -> dict[str, str]:
    """Names the notebook assigns a string that starts with literal text (``url =
    "https://..."``, ``url = ROOT + "data/a.csv"`` with ROOT such a name): once, or several
    times with URLs on one host."""
    values: dict[str, list[ast.AST]] = {}
    for node in nodes:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name):
            values.setdefault(node.targets[0].id, []).append(node.value)
    literals: dict[str, str] = {}
    for _ in range(5):  # (a name built on a name built on a literal...)
        found = {name: texts[0] for name, exprs in values.items()
                 if (texts := [_leading_text(expr, literals) for expr in exprs])
                 and all(texts) and len({_place(text) for text in texts}) == 1}
        if found == literals:
            break
        literals = found
    return literals


def _place(text: str) -> str:
    """Where a text that may be a URL points: its scheme and host (the text itself when it is
    no URL): a name assigned several URLs on one host downloads from that host."""
    if not _URL.match(text):
        return text
    parts = urlsplit(text)
    return f"{parts.scheme}://{parts.hostname}"


def _downloaded(call: ast.Call, literals: dict[str, str],
                helpers: dict[str, list[tuple[int, str]]]) -> tuple[str, list[str]]:
    """(the call as named in a report, the URLs it reads) of one call."""
    name = called_name(call.func)
    if name == "run_cell_magic" and len(call.args) > 2 and isinstance(call.args[0], ast.Constant) \
            and call.args[0].value in {"bash", "sh", "script", "system"}:
        script = _leading_text(call.args[2], literals)  # a %%bash cell that wgets
        return "%%" + str(call.args[0].value), (
            _URL.findall(script) if _SHELL_DOWNLOADS.search(" " + script) else [])
    if name == "system" and call.args:  # !wget https://... (IPython's shell escape)
        command = _leading_text(call.args[0], literals)
        return "!" + command.split()[0] if command.split() else "!", (
            _URL.findall(command) if _SHELL_DOWNLOADS.search(" " + command) else [])
    label, arguments = _url_arguments(call)
    if not label and isinstance(call.func, ast.Name) and call.func.id in helpers:
        label, arguments = f"{name}()", [
            argument for position, param in helpers[call.func.id]
            for argument in [*call.args[position:position + 1],
                             *(k.value for k in call.keywords if k.arg == param)]]
    texts = [_leading_text(argument, literals) for argument in arguments]
    return label, [t for t in texts if _URL.match(t)]


def _url_arguments(call: ast.Call) -> tuple[str, list[ast.AST]]:
    """A download call's name as reported and the arguments that may name what it reads
    ('' and none for any other call)."""
    name = called_name(call.func)
    if not (READ_CALLS.match(name) or name in _DOWNLOADERS or (
            name in {"get", "request"} and isinstance(call.func, ast.Attribute)
            and _HTTP_CLIENTS.match(_receiver(call.func.value)))):
        return "", []
    return f"{name}()", [*call.args[:2], *(k.value for k in call.keywords
                                           if k.arg in {"url", "filepath_or_buffer", "origin",
                                                        "io"})]


def _receiver(node: ast.AST) -> str:
    while isinstance(node, (ast.Attribute, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else ""


def _leading_text(node: ast.AST, literals: dict[str, str]) -> str:
    """The literal text an expression starts with: a string, an f-string's or a sum's first
    part, a name assigned one literal."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values:  # f"https://{HOST}/items"
        text = ""
        for part in node.values:
            piece = _leading_text(part.value if isinstance(part, ast.FormattedValue) else part,
                                  literals)
            if not piece:
                break
            text += piece
        return text
    if isinstance(node, ast.BinOp):
        return _leading_text(node.left, literals)
    if isinstance(node, ast.Name):
        return literals.get(node.id, "")
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
            and node.func.attr == "format":
        return _leading_text(node.func.value, literals)
    if isinstance(node, ast.Call) and called_name(node.func) in {"join", "urljoin"} \
            and node.args:  # os.path.join(URL, "x.json"), urljoin(BASE, "x.csv")
        return _leading_text(node.args[0], literals)
    return ""
