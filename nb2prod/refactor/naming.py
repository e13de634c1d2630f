"""Step names from what the steps do.

A step is named from its heading when the notebook has one (``## Train the model`` ->
``train_model``), at most four whole words, cut only where a phrase ends; otherwise from
its code: the verb of its main call and the value it makes (``df = pd.read_csv(...)`` ->
``load_df``, ``model.fit(X, y)`` -> ``fit_model``). Names are unique without numbering where the
code offers a better word, and never ``step_N``.
"""

from __future__ import annotations

import ast
import keyword
import re
import unicodedata
from collections.abc import Sequence

from nb2prod.analysis.astutil import all_nodes, called_name, dotted_parts, parsed
from nb2prod.analysis.dataflow import is_builtin
from nb2prod.refactor.relpath import opens_for_writing

MAX_NAME = 32
GENERATED_CALLS = frozenset({"save_figure"})  # calls convert writes into steps itself
# words that say nothing about what a step does: dropped wherever they stand
FILLER = frozenset({
    "let", "lets", "s", "we", "i", "ll", "ve", "you", "us", "our", "my", "your", "all", "the", "a",
    "an", "some", "this", "that", "these", "those", "is", "are", "be", "been", "was", "were",
    "will", "can", "could", "should", "do", "does", "just", "now", "here", "there", "so", "very",
    "really", "also", "then", "first", "next", "finally", "step", "part", "section", "chapter",
    "it", "its", "what", "how", "which", "going", "gonna", "want", "need", "okay", "ok", "well",
})
# words a name must not end on: a cut phrase (`..._for_the`) reads as a mistake
DANGLING = frozenset({"for", "with", "by", "of", "to", "in", "on", "from", "than", "vs", "and",
                      "or", "at", "as", "into", "over", "per", "using", "via", "more", "less",
                      "not", "no", "each", "every", "between", "about", "against", "after",
                      "before", "without", "under", "within"})
# what a call does -> the verb of the step that makes it
VERBS: Sequence[tuple[str, re.Pattern[str]]] = tuple((verb, re.compile(pattern)) for verb, pattern in (
    ("load", r"^(?:read_\w+|load\w*|loadtxt|genfromtxt|open|imread|fetch_\w+)$"),
    ("fit", r"^(?:fit|fit_transform|fit_predict|train|compile)$"),
    ("save", r"^(?:to_csv|to_parquet|to_excel|to_json|to_pickle|to_sql|save\w*|dump|savefig|"
             r"imwrite|write)$"),
    ("split", r"^(?:train_test_split|\w+_split|split_\w+)$"),  # (not str.split)
    ("predict", r"^(?:predict|predict_proba|transform|decision_function)$"),
    ("evaluate", r"^(?:score|evaluate|\w*_score|\w*_error|classification_report|confusion_matrix|"
                 r"cross_val_\w+|roc_curve|auc)$"),
    ("plot", r"^(?:plot\w*|hist\w*|scatter\w*|bar\w*|boxplot|violinplot|heatmap|imshow|subplots?|"
             r"figure|pairplot|countplot|distplot|displot|lineplot|kdeplot|lmplot|catplot|pie|"
             r"show|title|xlabel|ylabel|legend)$"),
    ("merge", r"^(?:merge|join|concat|append)$"),
    ("aggregate", r"^(?:groupby|agg|aggregate|pivot\w*|crosstab|value_counts|resample|rolling)$"),
    ("clean", r"^(?:dropna|fillna|drop|drop_duplicates|replace|astype|rename|strip|lower|clip|"
              r"interpolate|isnull|isna)$"),
    ("describe", r"^(?:describe|info|head|tail|corr|unique|nunique)$"),
    ("report", r"^(?:print|pprint|display|log|info|warning)$"),
))


MAX_WORDS = 4
# headings about the notebook rather than about what the code under them does
META_HEADINGS = frozenset({"hint", "hints", "description", "instructions", "instruction", "note",
                           "notes", "title", "todo", "tip", "tips", "question", "questions",
                           "answer", "answers", "exercise", "exercises", "solution", "your code",
                           "your answer", "setup", "imports", "import", "libraries", "packages",
                           "your code here", "code here", "code", "your solution",
                           "type code along", "code along", "fill in"})
# phrases that only say "now we do something": dropped before naming
_FILLER_PHRASES = re.compile(r"\b(?:make sure|take a look at|have a look at|look at|let us)\b")


def title_name(title: str) -> str:
    """``"Logistic regression for y with more than 2 classes"`` -> ``logistic_regression``: at
    most four whole words that stand on their own as a phrase. A longer heading is cut only where
    a phrase ends (before `for`, `with`, `using`...); one that cannot be cut so gives "" (the
    step is then named from its code: a truncated heading reads as a mistake)."""
    if is_meta_heading(title):
        return ""
    words = _title_words(title)
    clause = _title_words(_CLAUSE_END.split(title, 1)[0])
    if len(words) > MAX_WORDS and 2 <= len(clause) <= MAX_WORDS and clause[-1] not in DANGLING:
        words = clause  # "Number of trees, `num_iterators`, default = 100": its first clause
    end = len(words)
    if end > MAX_WORDS or len("_".join(words)) > MAX_NAME:
        # the first phrase (of two words or more, when there is one) that ends where a new one
        # starts: "logistic regression | for y with..."
        cuts = [i for i in range(1, min(end, MAX_WORDS + 1))
                if words[i] in DANGLING and words[i - 1] not in DANGLING
                and len("_".join(words[:i])) <= MAX_NAME]
        end = next((i for i in cuts if i >= 2), cuts[0] if cuts else 0)
    return "_".join(words[:end]) if end and words[end - 1] not in DANGLING else ""


_CLAUSE_END = re.compile(r"[,;:()|–—]|\s-\s")


def _title_words(title: str) -> list[str]:
    """A heading's words that may name a step: no filler, numbering or leading preposition."""
    # (`Résumé données`: resume_donnees, not r_sum_donn_es)
    plain = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    text = _FILLER_PHRASES.sub(" ", plain.lower())
    # a hyphenated word (cross-validation) is one word: kept whole or not at all
    words = [w.replace("-", "_") for w in re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*", text)
             if w not in FILLER]
    words = [w for i, w in enumerate(words) if not i or w != words[i - 1]]  # "Who? Who's..."
    while words and words[0].isdigit():  # "2 1 Load data": section numbers
        words.pop(0)
    if words and words[0] == "using":  # "Using Numpy": use_numpy, not a bare module name
        words[0] = "use"
    while words and words[0] in DANGLING:
        words.pop(0)
    return words


def is_meta_heading(title: str) -> bool:
    """A heading about the notebook (``Hints:``, ``Your answer``), not about the code under it."""
    text = _FILLER_PHRASES.sub(" ", title.lower())
    return " ".join(re.findall(r"[a-z0-9]+", text)) in META_HEADINGS


def code_name(body: str) -> tuple[str, str]:
    """A name from what the code does, and the value it is about: (``load_df``, ``df``)."""
    name, subject = _code_name(body)
    return _without_dangling_end(name), subject


def _without_dangling_end(name: str) -> str:
    """``fit_ols_s`` -> ``fit_ols``: a value's name may end in a letter that reads as a cut word
    once it is part of a step's name (``s``, ``a``); a verb and one word always stay."""
    words = name.split("_")
    while len(words) > 2 and words[-1] in FILLER | DANGLING:
        words.pop()
    return "_".join(words)


def _code_name(body: str) -> tuple[str, str]:
    try:
        tree = parsed(body)
    except (SyntaxError, RecursionError, MemoryError):
        return "", ""
    if _sets_paths(tree):  # current_path = os.getcwd(); data_in = dirname + "data/"
        return "set_paths", _main_subject(tree)
    if all(_setup_only(node) for node in tree.body):  # pd.set_option(...), or nothing left
        return "setup", ""
    verb, call = _main_call(tree)
    subject = (_made_by(tree, call) if verb in _MAKING_VERBS else "") or _main_subject(tree)
    if verb == "fit" and isinstance(call.func, ast.Attribute) \
            and isinstance(call.func.value, ast.Name) and len(call.func.value.id) > 1:
        subject = _snake(call.func.value.id)  # model.fit(X, y), results = model.fit(): the model
    if verb == "load" and _file_stem(call):  # pd.read_csv("train.csv") -> load_train
        return f"load_{_file_stem(call)}", subject
    if verb == "report" and subject:  # a step that makes a value and prints it makes it
        return f"compute_{subject}", subject
    if verb and subject:
        return f"{verb}_{subject}", subject
    if verb:
        charts = _chart_kinds(body) if verb == "plot" else []
        return f"{verb}_{_receiver(tree) or (charts[0] if charts else 'results')}", subject
    if subject:
        return f"compute_{subject}", subject
    called = _phrase(_first_called(tree) or _first_method_called(tree))
    if called:
        return f"call_{called}", ""
    computed = _assigned_call(tree)
    if computed:  # m = df.a.mean(): a one-letter value, named by what makes it
        return f"compute_{computed}", ""
    defined = next((node.name for node in tree.body if isinstance(
        node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))), "")
    if defined:
        return f"define_{_snake(defined)}", ""
    return _last_resort_name(tree), ""


# what a looked-at expression is, when no name in it says more (`[i for i in ...]`)
_EXPRESSION_KINDS = {ast.ListComp: "list", ast.DictComp: "dict", ast.SetComp: "set",
                     ast.GeneratorExp: "values", ast.Compare: "comparison", ast.Tuple: "values"}


def _last_resort_name(tree: ast.Module) -> str:
    """A step of a one-letter value (``a = [1, 2, 3]``: ``compute_a``), or one that only looks
    at a value, as a notebook cell ending in ``float_list[-1]`` does (``inspect_float_list``)."""
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [t.id for t in targets if isinstance(t, ast.Name) and t.id.isidentifier()]
            if names and names[0].strip("_"):
                subject = _snake(names[0].strip("_"))  # (`a`, `s`: a name, though a word too)
                return f"compute_{subject}" + ("_value" if subject in FILLER | DANGLING else "")
    looked_at = next((node.value for node in reversed(tree.body) if isinstance(node, ast.Expr)
                      and not isinstance(node.value, ast.Constant)
                      and not (isinstance(node.value, ast.Call)  # (save_figure: not the cell's)
                               and called_name(node.value.func) in GENERATED_CALLS)), None)
    if looked_at is None:
        return ""
    names = [n.id for n in ast.walk(looked_at) if isinstance(n, ast.Name)
             and len(n.id.strip("_")) > 1 and not is_builtin(n.id)]
    return f"inspect_{_snake(names[0]) if names else _EXPRESSION_KINDS.get(type(looked_at), 'value')}"


def _setup_only(node: ast.stmt) -> bool:
    """An import, or a call that sets the session up (options, warnings, a seed)."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return True
    if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)):
        return False
    name = called_name(node.value.func)  # (a list's append is no setup; sys.path's is)
    return name in _SETUP_CALLS and (name not in {"append", "insert"}
                                     or _dotted(node.value.func) == "sys.path")


def _assigned_call(tree: ast.Module) -> str:
    """The call the first top-level assignment makes, when it says something (``mean`` in
    ``m = df.a.mean()``; not ``f`` or ``_private``)."""
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            name = called_name(node.value.func)
            if len(name) > 1 and not name.startswith("_") and name not in GENERATED_CALLS:
                return _snake(name)
    return ""


def _first_called(tree: ast.Module) -> str:
    """The function the code calls first on its own line (``say_hello()`` -> ``say_hello``),
    when nothing else names the step; print and nb2prod's own calls say nothing."""
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) \
                and isinstance(node.value.func, ast.Name):  # a method says little of a step
            name = node.value.func.id
            if name and name not in GENERATED_CALLS and name != "print":
                return _snake(name)
    return ""


def unique_name(base: str, subject: str, used: set[str], alternative: str = "",
                body: str = "") -> str:
    """``base``, else ``alternative`` (the name from the code), else ``base_subject``, else
    ``call_<function>`` for a function or method ``body`` calls, and only then ``base_2``...;
    never a keyword or a builtin."""
    if keyword.iskeyword(base) or is_builtin(base):
        base = f"{base}_step"
    if base not in used:
        return base
    if alternative and alternative not in used and not keyword.iskeyword(alternative):
        return alternative
    if subject and not base.endswith(subject) and f"{base}_{subject}" not in used:
        return f"{base}_{subject}"
    charts = _chart_kinds(body) if base.startswith("plot_") else []
    for chart in charts:  # the kind of chart a plotting step draws: plot_hist, plot_box
        if f"plot_{chart}" not in used:
            return f"plot_{chart}"
    if charts:  # the same chart again: numbered, rather than named after a call
        return _numbered(f"plot_{charts[0]}", used)
    columns = _columns(body)
    if columns and len(f"{base}_{columns}") <= MAX_NAME and f"{base}_{columns}" not in used:
        return f"{base}_{columns}"  # fit_model_lstat_rm: the columns it works on tell it apart
    if base.split("_", 1)[0] not in _STRONG_VERBS:  # fit_model is no call_predict
        for called in _called_names(body):
            if f"call_{called}" not in used:
                return f"call_{called}"
    return _numbered(base, used)


# the verbs that say what a step is for, better than the name of a call it makes
_STRONG_VERBS = frozenset(verb for verb, _ in VERBS) - {"report", "describe"}


def _columns(body: str) -> str:
    """The first two column names the code selects (``df[["LSTAT", "RM"]]`` -> lstat_rm)."""
    try:
        tree = parsed(body)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return ""
    names: dict[str, None] = {}
    for node in all_nodes(tree):
        if node.__class__ is ast.Subscript:
            keys = node.slice.elts if isinstance(node.slice, (ast.List, ast.Tuple)) else [node.slice]
            for key in keys:
                if isinstance(key, ast.Constant) and isinstance(key.value, str) \
                        and _COLUMN.fullmatch(key.value):
                    names.setdefault(_snake(key.value))
    return "_".join(list(names)[:2])


_COLUMN = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,15}")


def _numbered(base: str, used: set[str]) -> str:
    number = 2
    while f"{base}_{number}" in used:
        number += 1
    return f"{base}_{number}"


_CHARTS = frozenset({"hist", "hist2d", "scatter", "bar", "barh", "boxplot", "violinplot", "pie",
                     "heatmap", "imshow", "matshow", "pairplot", "countplot", "distplot",
                     "displot", "histplot", "kdeplot", "lineplot", "scatterplot", "barplot",
                     "regplot", "lmplot", "catplot", "jointplot", "contour", "contourf",
                     "pcolormesh", "errorbar", "hexbin", "stem", "kde", "area", "swarmplot",
                     "stripplot", "pointplot", "ecdfplot", "residplot", "clustermap"})


def _chart_kinds(body: str) -> list[str]:
    """The kinds of chart the code draws, in order: ``plt.hist`` -> hist, ``sns.boxplot`` ->
    box (a name that says "plot" once is enough)."""
    kinds: dict[str, None] = {}
    for called in _called_names(body):
        if called in _CHARTS:
            kind = called[:-len("plot")] if called.endswith("plot") and called != "plot" else called
            kinds.setdefault(kind)
    return list(kinds)


def _phrase(name: str) -> str:
    """``find_all`` -> ``find``: a name does not end on a word that leaves it hanging."""
    words = [w for w in name.split("_") if w]
    while len(words) > 1 and words[-1] in FILLER | DANGLING:
        words.pop()
    return "_".join(words)


def _first_method_called(tree: ast.Module) -> str:
    """The method the code calls first on its own line (``sns.set_theme(...)`` -> ``set_theme``),
    when nothing at all says more: better than no name."""
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) \
                and isinstance(node.value.func, ast.Attribute):
            name = node.value.func.attr
            if len(name) > 2 and not name.startswith("_") and name not in GENERATED_CALLS:
                return _snake(name)
    return ""


def _called_names(body: str) -> list[str]:
    """The functions and methods the code calls, in order (print and builtins say little)."""
    try:
        tree = parsed(body)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    names: dict[str, None] = {}
    for node in all_nodes(tree):
        if isinstance(node, ast.Call):
            name = called_name(node.func)
            if name and name not in GENERATED_CALLS and not is_builtin(name):
                names.setdefault(_snake(name))
    return [name for name in names if name]


def _main_subject(tree: ast.Module) -> str:
    """The first name the code assigns at its top level (the value the step makes)."""
    for node in tree.body:
        targets = (node.targets if isinstance(node, ast.Assign)
                   else [node.target] if isinstance(node, (ast.AnnAssign, ast.AugAssign)) else [])
        for target in targets:
            for element in ast.walk(target):
                if isinstance(element, ast.Name) and not element.id.startswith("_") \
                        and len(element.id) > 1:
                    return _snake(element.id)
    return ""


def _main_call(tree: ast.Module) -> tuple[str, ast.Call | None]:
    """The most telling call and its verb: the first one that has a verb, in order of
    strength."""
    found = []
    for node in all_nodes(tree):
        if isinstance(node, ast.Call):
            name = called_name(node.func)
            if name in GENERATED_CALLS:  # nb2prod's own code says nothing about the step
                continue
            if name == "open" and opens_for_writing(node):  # open("out.txt", "w") saves
                name = "save"
            if (name in _PATH_CALLS and _dotted(node.func) in _PATH_MODULES) or (
                    name in {"append", "insert"} and _dotted(node.func) == "sys.path") or (
                    name == "compile" and _dotted(node.func) == "re"):
                continue  # os.path.join(folder, "x.csv") merges no data; re.compile fits none
            for rank, (verb, pattern) in enumerate(VERBS):
                # plotly's classes draw too: go.Figure(...), go.Scatter3d(...)
                if pattern.match(name) or (verb == "plot" and pattern.match(name.lower())):
                    found.append((rank, len(found), verb, node))
                    break
    return (min(found)[2], min(found)[3]) if found else ("", None)


_PATH_CALLS = frozenset({"join", "split", "splitext", "basename", "dirname"})
_PATH_MODULES = frozenset({"os.path", "path", "osp", "posixpath"})
# what a step that only works out its folders calls
_PATH_MAKERS = frozenset({"getcwd", "cwd", "join", "abspath", "realpath", "dirname", "basename",
                          "expanduser", "Path", "resolve", "split", "joinpath", "home", "str"})
_FOLDER_CALLS = frozenset({"getcwd", "cwd", "abspath", "realpath", "expanduser", "Path",
                           "joinpath", "home", "resolve", "join"})
_SETUP_CALLS = frozenset({"filterwarnings", "simplefilter", "append", "insert", "chdir",
                          "makedirs", "mkdir", "set_option", "seed"})


def _sets_paths(tree: ast.Module) -> bool:
    """Whether the code only works out folders (and imports, silences warnings, extends
    sys.path): the boilerplate at the top of a notebook, named for what it does."""
    folder = False
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom, ast.Return)):
            continue  # (a step's body ends returning what it made)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) \
                and called_name(node.value.func) in _SETUP_CALLS:
            continue
        if not (isinstance(node, ast.Assign) and all(isinstance(t, ast.Name)
                                                     for t in node.targets)):
            return False
        inside = list(ast.walk(node.value))
        calls = [called_name(n.func) for n in inside if isinstance(n, ast.Call)]
        strings = [n.value for n in inside if isinstance(n, ast.Constant)]
        if any(c not in _PATH_MAKERS for c in calls) or any(not isinstance(v, (str, int))
                                                             for v in strings):
            return False  # (an int: `path.split("x")[0]`)
        texts = [v for v in strings if isinstance(v, str)]
        if any("://" in v for v in texts):
            return False  # (a URL is no folder)
        # a folder: a call that finds one, or a literal with a separator (`line.split(",")`
        # and `x = 5` are no paths)
        folder = folder or bool(set(calls) & _FOLDER_CALLS) or any("/" in v or "\\" in v
                                                                   for v in texts)
    return folder


def _dotted(func: ast.AST) -> str:
    """``os.path`` for ``os.path.join``: the object a function is an attribute of."""
    return ".".join(reversed(dotted_parts(func.value))) if isinstance(func, ast.Attribute) else ""


# verbs whose call makes the value the step is about (a plot's figure, a fit's result are not)
_MAKING_VERBS = frozenset({"load", "split", "merge", "aggregate", "clean", "predict"})


def _made_by(tree: ast.Module, call: ast.Call | None) -> str:
    """The name the statement making ``call`` assigns (``data = pd.read_csv(...)`` -> data):
    what the step is about, more than the first name it assigns (``current_path =
    os.getcwd()``)."""
    if call is None:
        return ""
    for node in tree.body:
        if isinstance(node, ast.Assign) and node.lineno <= call.lineno <= (
                node.end_lineno or node.lineno) and len(node.targets) == 1:
            target = node.targets[0]
            names = [e.id for e in ast.walk(target) if isinstance(e, ast.Name)
                     and not e.id.startswith("_") and len(e.id) > 1]
            return _snake(names[0]) if names else ""
    return ""


def _file_stem(call: ast.Call | None) -> str:
    """A few words of the file a read names (``os.path.join(folder, "rainfall_australia.csv")``
    -> rainfall_australia): the last string in its arguments with a file extension."""
    if call is None:
        return ""
    names = [node.value for arg in [*call.args[:1], *(k.value for k in call.keywords)]
             for node in ast.walk(arg) if isinstance(node, ast.Constant)
             and isinstance(node.value, str) and _FILE_NAME.search(node.value)]
    if not names:
        return ""
    stem = _FILE_NAME.search(names[-1]).group(1)
    words = [w for w in re.split(r"[\W_]+", _snake(stem))
             if w and not w.isdigit() and w not in FILLER][:3]
    while words and words[-1] in DANGLING:  # "online_offline_ALL_clean": not ..._all
        words.pop()
    name = "_".join(words)
    return name if len(name) >= 3 and name[0].isalpha() and len(name) <= MAX_NAME - 5 else ""


_FILE_NAME = re.compile(r"([A-Za-z][\w -]*)\.[A-Za-z][A-Za-z0-9]{0,7}$")


def _receiver(tree: ast.Module) -> str:
    """What the calls work on: a plot's title, else the first object (not module) called on."""
    for node in all_nodes(tree):
        if isinstance(node, ast.Call) and called_name(node.func) in {"title", "set_title",
                                                                     "suptitle"}:
            text = next((a.value for a in node.args if isinstance(a, ast.Constant)
                         and isinstance(a.value, str)), "")
            if title_name(text):
                return title_name(text)
    calls = [node for node in all_nodes(tree) if node.__class__ is ast.Call
             and called_name(node.func) not in GENERATED_CALLS]  # save_figure(figures_dir)
    for node in calls:
        if isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name) \
                and len(node.func.value.id) > 2 and node.func.value.id not in _MODULE_ALIASES:
            return _snake(node.func.value.id)
    for node in calls:  # print(total), print(df.shape), sns.boxplot(data=df): what it is about
        for arg in [*node.args, *(k.value for k in node.keywords)]:
            for inner in ast.walk(arg):
                if isinstance(inner, ast.Name) and len(inner.id) > 1 \
                        and inner.id not in _MODULE_ALIASES and not is_builtin(inner.id):
                    return _snake(inner.id)
    return ""


_MODULE_ALIASES = frozenset({"plt", "np", "pd", "sns", "os", "sys", "tf", "torch", "math", "json",
                             "pickle", "joblib", "pyplot", "matplotlib", "numpy", "pandas",
                             "seaborn", "scipy", "stats", "px", "go", "alt", "sklearn", "random",
                             "time", "re", "shutil", "glob", "cv2", "keras", "nn", "F",
                             "evaluate", "datasets", "tfds", "nltk", "spacy", "gensim", "yaml",
                             "h5py", "torchvision", "Image", "PIL", "io", "csv", "requests"})


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()[:MAX_NAME].strip("_")
