"""NB3xx: habits that keep a notebook from running anywhere but on its author's machine."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from nb2prod.analysis.astutil import all_nodes, dotted_parts
from nb2prod.findings import INFO, WARNING, Finding
from nb2prod.rules.base import Rule, RuleContext

if TYPE_CHECKING:
    from nb2prod.notebook.model import Cell

NB301 = Rule(
    code="NB301",
    name="unpinned-install",
    severity=WARNING,
    summary="`!pip install` / `%pip install` without a pinned version.",
    what="Reports install commands in the notebook whose packages carry no exact version.",
    why="""
Next month the same line installs a different release. The notebook silently changes behaviour
or stops working, and nobody knows which version it was written for.
""",
    example="%pip install pandas scikit-learn",
    instead="%pip install pandas==2.2.2 scikit-learn==1.5.0   (or run `nb2prod pin`)",
)

NB302 = Rule(
    code="NB302",
    name="absolute-path",
    severity=WARNING,
    summary="An absolute or user-specific file path.",
    what="""
Reports string literals that are paths into someone's home folder (`/Users/...`, `/home/...`,
`C:\\Users\\...`, `~/...`, `/content/drive/...`) anywhere, and other absolute paths passed to file
functions (`open`, `read_csv`, `Path`, `savefig`, ...).
""",
    why="The path exists on one machine only; everyone else gets FileNotFoundError.",
    example='df = pd.read_csv("/Users/ana/Downloads/churn.csv")',
    instead="""
Use a path relative to the notebook or a parameter: `DATA_DIR = Path("data")`, then
`pd.read_csv(DATA_DIR / "churn.csv")`.
""",
)

NB303 = Rule(
    code="NB303",
    name="unseeded-randomness",
    severity=INFO,
    summary="Randomness without a seed.",
    what="""
Reports calls to `random`, `numpy.random`, `torch.rand*` and scikit-learn estimators or splitters
that take `random_state`, when the notebook never sets a seed for them.
""",
    why="Every run gives different numbers, so results cannot be reproduced or compared.",
    example="X_train, X_test = train_test_split(X, test_size=0.2)",
    instead="X_train, X_test = train_test_split(X, test_size=0.2, random_state=42)",
)

NB304 = Rule(
    code="NB304",
    name="interactive-input",
    severity=WARNING,
    summary="`input()`, `getpass()` or widgets that wait for a person.",
    what="Reports calls that block waiting for a user: `input`, `getpass`, ipywidgets `interact`.",
    why="A scheduled or batch run (papermill, CI, a pipeline) hangs or fails on them.",
    example='threshold = float(input("threshold? "))',
    instead="Read the value from a parameter cell, a config file or an environment variable.",
)

RULES = (NB301, NB302, NB303, NB304)

USER_PATH = re.compile(
    r"^(?:/Users/[^/\s]+|/home/[^/\s]+|[A-Za-z]:[\\/](?:Users|Documents and Settings)[\\/][^\\/\s]+"
    r"|~[\\/]|/content/drive|/mnt/[a-z]/Users|/root/)"
)
ABSOLUTE_PATH = re.compile(r"^(?:/[\w.@-]+(?:/[\w .@-]*)+|[A-Za-z]:[\\/][^\s\"'<>|]+)$")
FILE_CALLS = re.compile(
    r"^(?:open|read_\w+|to_\w+|load\w*|save\w*|savefig|Path|PurePath|chdir|listdir|glob|iglob|"
    r"exists|isfile|isdir|makedirs|mkdir|join|imread|imwrite|dump|ZipFile|copy\w*|move|"
    r"read_csv|DataFrame\.from_\w+|File|Dataset|connect|ExcelWriter)$"
)
_SEED_CALLS = re.compile(r"(?:^|\.)(?:seed|manual_seed|set_seed|seed_everything|set_random_seed)$")
_RANDOM_MODULES = ("random.", "np.random.", "numpy.random.", "torch.rand", "tf.random.")
_RANDOM_STATE_CALLS = frozenset({
    "sample",  # pandas' df.sample(frac=1) draws from numpy's global generator
    "train_test_split", "KFold", "StratifiedKFold", "ShuffleSplit", "StratifiedShuffleSplit",
    "RandomForestClassifier", "RandomForestRegressor", "ExtraTreesClassifier",
    "ExtraTreesRegressor", "GradientBoostingClassifier", "GradientBoostingRegressor",
    "DecisionTreeClassifier", "DecisionTreeRegressor", "KMeans", "MiniBatchKMeans",
    "MLPClassifier", "MLPRegressor", "SGDClassifier", "SGDRegressor", "IsolationForest", "TSNE",
    "PCA", "TruncatedSVD", "NMF", "GaussianMixture", "BaggingClassifier", "BaggingRegressor",
    "AdaBoostClassifier", "AdaBoostRegressor", "HistGradientBoostingClassifier",
    "HistGradientBoostingRegressor", "make_classification", "make_regression", "make_blobs",
    "XGBClassifier", "XGBRegressor", "LGBMClassifier", "LGBMRegressor", "resample", "shuffle",
})
_SEEDABLE_CONSTRUCTORS = frozenset({"default_rng", "RandomState", "Random", "Generator",
                                    "SeedSequence", "PCG64", "MT19937"})
_INTERACTIVE = frozenset({"input", "raw_input", "getpass", "interact", "interact_manual",
                          "interactive", "ginput"})


def check(context: RuleContext) -> Iterator[Finding]:
    unseeded_reported = False
    for finding in _cell_checks(context):
        if finding.code == NB303.code and "without a seed anywhere" in finding.message:
            if unseeded_reported:  # one such note per notebook is enough: one seed fixes them all
                continue
            unseeded_reported = True
        yield finding


def _cell_checks(context: RuleContext) -> Iterator[Finding]:
    seeded, numpy_seeded = _sets_seed(context)
    for cell in context.notebook.code_cells:
        yield from _installs(context, cell)
        yield from _magic_paths(context, cell)
        for node in context.nodes_of(cell, ast.Constant):
            if isinstance(node.value, str):
                yield from _user_path(context, cell, node)
        for node in context.nodes_of(cell, ast.Call):
            yield from _call_checks(context, cell, node, seeded, numpy_seeded)


def _installs(context: RuleContext, cell: Cell) -> Iterator[Finding]:
    from nb2prod.analysis.installs import install_commands

    for line, command in install_commands(cell):
        unpinned = _unpinned_packages(command)
        if unpinned:
            yield NB301.at(
                context.notebook, cell, line, 1,
                f"install without a pinned version: {', '.join(unpinned)} (pin with ==, or run "
                "`nb2prod pin`)",
            )


def _unpinned_packages(command: str) -> list[str]:
    from nb2prod.analysis.installs import is_pinned, parse_install_command

    return [spec.name + spec.extras + spec.specifier for spec in parse_install_command(command)
            if not is_pinned(spec)]


def _magic_paths(context: RuleContext, cell: Cell) -> Iterator[Finding]:
    for magic in cell.magics:
        for token in magic.args.split():
            if USER_PATH.match(token.strip("'\"")):
                yield NB302.at(context.notebook, cell, magic.line, 1,
                               "user-specific absolute path in a magic or shell command; "
                               "use a relative path or a parameter")
                break


def _user_path(context: RuleContext, cell: Cell, node: ast.Constant) -> Iterator[Finding]:
    value = node.value
    if len(value) < 3 or len(value) > 400 or "\n" in value:
        return
    if cell.translation and node.lineno in cell.translation.translated_lines:
        return  # a magic's own argument, already checked as a magic
    if USER_PATH.match(value):
        yield NB302.at(context.notebook, cell, cell.original_line(node.lineno), node.col_offset + 1,
                       "user-specific absolute path: it exists only on the author's machine; "
                       "use a path relative to the notebook or a parameter")


def _call_checks(context: RuleContext, cell: Cell, node: ast.Call, seeded: bool,
                 numpy_seeded: bool) -> Iterator[Finding]:
    name = _call_name(node.func)
    short = name.rsplit(".", 1)[-1]
    line, column = cell.original_line(node.lineno), node.col_offset + 1
    if FILE_CALLS.match(short):
        yield from _absolute_path_argument(context, cell, node, short)
    if short in _INTERACTIVE and (short != "interactive" or "widgets" in name or name == short):
        yield NB304.at(context.notebook, cell, line, column,
                       f"{name}() waits for a person; a batch run hangs or fails here (use a "
                       "parameter instead)")
    message = _unseeded(name, short, node, seeded, numpy_seeded)
    if message:
        yield NB303.at(context.notebook, cell, line, column, message)


def _absolute_path_argument(
    context: RuleContext, cell: Cell, node: ast.Call, function: str
) -> Iterator[Finding]:
    for arg in node.args[:1]:
        if (isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                and ABSOLUTE_PATH.match(arg.value) and not USER_PATH.match(arg.value)):
            yield NB302.at(context.notebook, cell, cell.original_line(arg.lineno), arg.col_offset + 1,
                           f"absolute path passed to {function}(): it ties the notebook to one "
                           "machine; use a relative path or a parameter")


def _unseeded(name: str, short: str, node: ast.Call, seeded: bool,
              numpy_seeded: bool = False) -> str | None:
    """Why this call gives different numbers on every run, or None. ``numpy_seeded``: the
    notebook seeds numpy's global generator, which scikit-learn uses when random_state is None."""
    module_random = name.startswith(_RANDOM_MODULES)
    if short in _RANDOM_STATE_CALLS and not module_random:
        if numpy_seeded or any(k.arg == "random_state" for k in node.keywords) \
                or (short == "PCA" and _deterministic_pca(node)):
            return None
        return f"{short}() without random_state: results change on every run"
    if seeded or not module_random or _SEED_CALLS.search(name):
        return None
    if short in _SEEDABLE_CONSTRUCTORS and (node.args or node.keywords):
        return None  # np.random.default_rng(42), random.Random(0): a seeded generator
    return f"{name}() without a seed anywhere in the notebook: results change on every run"


def unseeded_randomness(tree: ast.AST) -> str:
    """Why code gives different values on every run when it does not seed a generator itself
    ('' when it is repeatable): what replaying one pipeline step on its own depends on."""
    calls = [node for node in all_nodes(tree) if node.__class__ is ast.Call]
    if any(_SEED_CALLS.search(_call_name(node.func)) for node in calls):
        return ""
    for node in calls:
        name = _call_name(node.func)
        reason = _unseeded(name, name.rsplit(".", 1)[-1], node, seeded=False)
        if reason:
            return reason.replace(" anywhere in the notebook", "")
    return ""


def _sets_seed(context: RuleContext) -> tuple[bool, bool]:
    """Whether the notebook seeds any generator, and whether it seeds numpy's global one."""
    seeded = False
    for cell in context.notebook.code_cells:
        for node in context.nodes_of(cell, ast.Call):
            name = _call_name(node.func)
            if _SEED_CALLS.search(name):
                seeded = True
                if _NUMPY_SEED.search(name):
                    return True, True
    return seeded, False


# seeding numpy's global generator: np.random.seed, and the all-in-one seeders of ML libraries
_NUMPY_SEED = re.compile(r"^(?:np|numpy)\.random\.seed$|(?:^|\.)(?:seed_everything|"
                         r"set_random_seed)$|^(?:transformers\.)?set_seed$")


def _deterministic_pca(node: ast.Call) -> bool:
    """PCA keeps every component with the full (exact) SVD: the same result on every run."""
    solver = next((k.value for k in node.keywords if k.arg == "svd_solver"), None)
    if isinstance(solver, ast.Constant) and solver.value in ("full", "covariance_eigh"):
        return True
    return not node.args and not any(k.arg == "n_components" for k in node.keywords)


def _call_name(func: ast.AST) -> str:
    return ".".join(reversed(dotted_parts(func)))
