"""Whether a bare expression only computes a value: what a notebook cell displays and a script
can drop (``len(df)``, ``s1.union(s2)``, ``df.value_counts() / n``) as opposed to a call that
acts (``model.fit(X)``, ``list(iterator)``). Judged from the syntax alone, never by running it.
"""

from __future__ import annotations

import libcst as cst

# Methods that compute a new value and leave their object as it was (sets, dicts, pandas and
# numpy objects): a bare call of one in a cell only displays its result. Names other objects
# use for calls that act are left out: get (queue.get, requests.get), count and index (user
# classes), copy (a deep copy may run code), sample (it draws from a random generator).
DISPLAY_METHODS = frozenset({
    "head", "tail", "describe", "value_counts", "nunique", "unique", "corr", "cov",
    "isnull", "isna", "notnull", "notna", "memory_usage", "get_params", "to_frame", "mean",
    "median", "sum", "min", "max", "std", "var", "style", "union", "intersection",
    "difference", "symmetric_difference", "issubset", "issuperset", "isdisjoint", "keys",
    "values", "items", "agg", "aggregate", "round", "sort_values",
    "sort_index", "nlargest", "nsmallest", "idxmax", "idxmin", "quantile", "cumsum", "transpose",
    "astype", "groupby", "pivot_table", "reset_index", "dropna", "drop_duplicates", "duplicated",
    "isin", "select_dtypes", "any", "all", "skew", "kurt", "mode", "rank", "pct_change", "diff",
    "shift", "to_numpy", "tolist", "to_list", "to_dict", "argmax", "argmin", "prod", "abs",
    "total_seconds"})


def display_only(value: cst.BaseExpression) -> bool:
    """A bare expression whose only effect in a notebook is to be displayed."""
    # a bare subscript stays: `counts["a"]` on a defaultdict inserts the key; an attribute of
    # one (`df[df.year < 0].name`) only reads
    if isinstance(value, cst.Attribute):
        return not any(isinstance(n, _ACTS) for n in _walk(value))
    if isinstance(value, cst.Subscript) and isinstance(value.value, cst.Call):
        # a new value's slice (`df.sort_values("a")[:30]`): nothing is inserted anywhere
        return display_only(value.value) and all(
            pure_calls_only(element.slice) for element in value.slice)
    if isinstance(value, (cst.Name, cst.BaseNumber, cst.SimpleString, cst.Comparison,
                          cst.BinaryOperation, cst.UnaryOperation, cst.Tuple, cst.List, cst.Dict)) \
            or (isinstance(value, cst.Call) and _pure_call(value)):
        # `ord("a") ^ 32`, `len(s)`, `np.sqrt(sse / dof)`: calls that only compute a value
        return (pure_calls_only(value) and not _may_insert(value)) \
            or _displayed_arithmetic(value)
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) \
            and value.func.value in DISPLAY_OBJECTS:
        # `HTML(styles)`, `Markdown("...")`: an object IPython shows when it ends a cell; on
        # its own line in a script it is made and dropped
        return all(pure_calls_only(arg.value) for arg in value.args)
    if isinstance(value, cst.Call) and _string_method(value):  # `"-".join(["a", "b"])` (a name
        # may be an iterator the call would exhaust)
        return pure_calls_only(value.func.value) and all(
            isinstance(arg.value, (cst.SimpleString, cst.List, cst.Tuple))
            and pure_calls_only(arg.value) for arg in value.args)
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute):
        # `inplace=True`, or `**options` that may hold it: the call changes its object
        return (value.func.attr.value in DISPLAY_METHODS
                and root_name(value.func) not in _MATH_MODULES  # math.prod(it): a function
                and not any(arg.star == "**" or (arg.keyword and arg.keyword.value == "inplace")
                            for arg in value.args)
                and _display_only_receiver(value.func.value)
                and all(pure_calls_only(arg.value) for arg in value.args))
    return False


def computes_only(value: cst.BaseExpression) -> bool:
    """An unread value that only computes: what :func:`display_only` takes, and arithmetic on
    pure calls that look up a key (``np.mean(df["nobs"]) - error``). A defaultdict's key such
    a lookup would insert is the one effect lost, in a value that the code never reads."""
    if display_only(value):
        return True
    return isinstance(value, (cst.BinaryOperation, cst.UnaryOperation)) \
        and pure_calls_only(value) and all(
            isinstance(n.slice[0].slice, cst.Index) and isinstance(
                n.slice[0].slice.value, (cst.SimpleString, cst.BaseNumber))
            for n in _walk(value) if isinstance(n, cst.Subscript) and len(n.slice) == 1) \
        and not any(isinstance(n, cst.Subscript) and len(n.slice) != 1 for n in _walk(value))


def _may_insert(value: cst.BaseExpression) -> bool:
    """Whether ``value`` holds a subscript that may insert what it looks up (``counts["a"]`` on
    a defaultdict). One that selects by a condition does not, nor do the lookups inside the
    condition (``df[df["year"] == 2017]``): a column compared is a column read."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Subscript):
            if not _masked(node):
                return True
            stack.append(node.value)
            continue
        stack.extend(node.children)
    return False


def _masked(node: cst.Subscript) -> bool:
    """A selection by a condition on the object itself (``df[df.year == 2017]``,
    ``s[(s > 0) & (s < 9)]``): what such a condition selects is read, never inserted (a
    defaultdict inserts a missing key)."""
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return False
    condition = node.slice[0].slice.value
    # pandas' idiom tests the frame it selects from; `groups[n > 10]` on a defaultdict inserts
    receiver = root_name(node.value)
    return bool(receiver) and _condition(condition) and any(  # df.year, df["year"]
        isinstance(n, (cst.Attribute, cst.Subscript)) and root_name(n.value) == receiver
        for n in _walk(condition))


def _condition(value: cst.BaseExpression) -> bool:
    if isinstance(value, cst.Comparison):
        return True
    if isinstance(value, cst.UnaryOperation) and isinstance(value.operator, (cst.BitInvert,
                                                                            cst.Not)):
        return _condition(value.expression)
    if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, (cst.BitAnd,
                                                                             cst.BitOr)):
        return _condition(value.left) and _condition(value.right)
    return False


def _displayed_arithmetic(value: cst.BaseExpression) -> bool:
    """Arithmetic or a comparison on values that only display (``df.value_counts() / n``,
    ``-s1.union(s2)``)."""
    if isinstance(value, cst.BinaryOperation):
        operands = [value.left, value.right]
    elif isinstance(value, cst.UnaryOperation):
        operands = [value.expression]
    elif isinstance(value, cst.Comparison):
        operands = [value.left, *(c.comparator for c in value.comparisons)]
    else:
        return False
    return all(_displayed_arithmetic(o) or (not isinstance(o, cst.Subscript) and display_only(o))
               for o in operands)


_PURE_BUILTINS = frozenset({"type", "len", "isinstance", "str", "int", "float", "bool", "repr",
                            "abs", "min", "max", "sum", "round", "id", "hash", "sorted", "set",
                            "list", "tuple", "dict"})
# builtins that compute a value and leave their argument as it was (`list(it)` would exhaust an
# iterator, so a bare `list(result)` is not only a display)
# IPython.display's objects: they show themselves, and do nothing else
DISPLAY_OBJECTS = frozenset({"HTML", "Markdown", "Latex", "Math", "SVG", "JSON", "Javascript",
                             "IFrame", "YouTubeVideo", "Image", "Video", "Audio", "FileLink"})
_NON_CONSUMING = frozenset({"type", "len", "isinstance", "str", "int", "float", "bool", "repr",
                            "abs", "round", "id", "hash", "ord", "chr", "hex", "bin", "oct",
                            "divmod", "pow", "complex", "ascii", "format", "callable",
                            "issubclass", "hasattr", "range"})


def _fresh_iterable(value: cst.BaseExpression) -> bool:
    """An argument a consuming builtin (``set``, ``sorted``) cannot exhaust: a literal, a
    display of literals or ``range(...)``, not a name that may hold an iterator."""
    if isinstance(value, (cst.BaseNumber, cst.BaseString)):
        return True
    if isinstance(value, (cst.List, cst.Tuple, cst.Set)):
        return all(isinstance(e, cst.Element) and _fresh_iterable(e.value) for e in value.elements)
    return isinstance(value, cst.Call) and isinstance(value.func, cst.Name) \
        and value.func.value == "range"


def _string_method(value: cst.Call) -> bool:
    """A method of a string literal (``"->".join(parts)``): strings never change."""
    return isinstance(value.func, cst.Attribute) and isinstance(
        value.func.value, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString))


# numpy and math functions that compute a new value from their arguments and change nothing
_PURE_MATH = frozenset({"sqrt", "mean", "median", "std", "var", "sum", "prod", "abs", "exp", "log",
                        "log2", "log10", "round", "floor", "ceil", "max", "min", "argmax", "argmin",
                        "corrcoef", "cov", "dot", "percentile", "quantile", "cumsum", "diff",
                        "isclose", "allclose", "array", "asarray", "power", "square", "sin", "cos",
                        "tan", "pi", "e", "mod", "maximum", "minimum", "unique", "count_nonzero",
                        "nanmean", "nanstd", "nansum", "linalg", "norm", "inv", "det", "factorial",
                        "comb", "perm", "gcd", "isnan", "isinf", "hypot", "shape", "ndim", "size"})
_MATH_MODULES = frozenset({"np", "numpy", "math"})
# scipy.stats' distributions (and the module's usual names) and what of one only computes
_DISTRIBUTIONS = frozenset({"stats", "scipy", "st", "ss", "norm", "t", "chi2", "f", "binom",
                            "poisson", "expon", "uniform", "beta", "gamma", "lognorm",
                            "bernoulli", "geom", "nbinom", "hypergeom", "multinomial",
                            "multivariate_normal", "cauchy", "laplace", "logistic", "weibull_min"})
_DISTRIBUTION_METHODS = frozenset({"ppf", "cdf", "pdf", "pmf", "sf", "isf", "logpdf", "logcdf",
                                   "logpmf", "logsf", "interval", "mean", "median", "var",
                                   "std", "moment", "entropy"})
# os.path functions that only compute a path from their arguments
_PURE_PATH = frozenset({"join", "basename", "dirname", "splitext", "split", "normpath",
                        "normcase", "isabs", "commonpath", "commonprefix"})


def _pure_call(call: cst.Call) -> bool:
    if isinstance(call.func, cst.Name):
        return call.func.value in _NON_CONSUMING or (
            call.func.value in _PURE_BUILTINS
            and all(_fresh_iterable(arg.value) for arg in call.args))
    parts = []
    func: cst.BaseExpression = call.func
    while isinstance(func, cst.Attribute):
        parts.append(func.attr.value)
        func = func.value
    if func.__class__ is cst.Name and func.value == "os" and len(parts) == 2 \
            and parts[1] == "path" and parts[0] in _PURE_PATH:  # os.path.join(data_out, "x/")
        return not any(arg.star for arg in call.args)  # (`*parts` may be an iterator it uses up)
    if func.__class__ is cst.Name and parts and parts[0] in _DISTRIBUTION_METHODS and all(
            p in _DISTRIBUTIONS for p in [*parts[1:], func.value]):
        return True  # norm.ppf(0.975), stats.t.cdf(x, df): a number from numbers
    if func.__class__ is not cst.Name or func.value not in _MATH_MODULES \
            or not all(p in _PURE_MATH for p in parts):
        return False
    # math.prod(it) and math.fsum(it) use up an iterator; numpy makes an array of it
    return func.value != "math" or parts[0] not in {"prod", "fsum", "sumprod"} or all(
        _fresh_iterable(arg.value) for arg in call.args)


def pure_calls_only(value: cst.BaseExpression) -> bool:
    """Every call in ``value`` computes a value from arguments it leaves as they were (a
    consuming builtin only on literals: ``sorted([3, 1])``, not ``sorted(it)``)."""
    calls = [n for n in _walk(value) if isinstance(n, cst.Call)]
    return all(_pure_call(c) for c in calls) \
        and not any(isinstance(n, (cst.Await, cst.Yield, cst.NamedExpr)) for n in _walk(value))


def no_effect(value: cst.BaseExpression) -> bool:
    """A name, attribute, number or comparison without calls or subscripts (strings stay: they
    are often notes)."""
    if isinstance(value, cst.Attribute):  # `ax[0].title`: reading an attribute does nothing
        return not any(isinstance(n, (cst.Call, cst.Await, cst.Yield)) for n in _walk(value))
    return isinstance(value, (cst.Name, cst.BaseNumber, cst.Comparison,
                              cst.BinaryOperation, cst.Tuple)) and not any(
        isinstance(n, (cst.Call, cst.Subscript, cst.Await, cst.Yield)) for n in _walk(value))


def _display_only_receiver(value: cst.BaseExpression) -> bool:
    if isinstance(value, (cst.Name, cst.Attribute, cst.Subscript)):
        return True
    return isinstance(value, cst.Call) and display_only(value)


_ACTS = (cst.Call, cst.Await, cst.Yield, cst.NamedExpr)  # what makes an expression do something


def root_name(node: cst.BaseExpression) -> str:
    """``plt`` for ``plt.figure``, ``np`` for ``np.random.seed``; '' when a call or subscript
    starts the chain."""
    while isinstance(node, cst.Attribute):
        node = node.value
    return node.value if isinstance(node, cst.Name) else ""


def _walk(node: cst.CSTNode):
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(current.children)
