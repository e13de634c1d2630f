"""NB201-NB205 on small notebooks and on edits of a real one, plus the scope rules behind them."""

from __future__ import annotations

import pytest

from tests.helpers import code, findings, markdown, ran, real

# -- edits of a real notebook (t_test_clean: code cells run 1..10 top to bottom) ---------------


def test_real_clean_notebooks_have_no_hidden_state() -> None:
    assert findings(real("t_test_clean.ipynb"), "NB1,NB2") == []
    assert findings(real("tree_correlation.ipynb"), "NB1,NB2") == []


def test_deleted_definer_is_undefined_name() -> None:
    nb = real("t_test_clean.ipynb")
    del nb["cells"][5]  # `t_c = - 1.833`; cell 6 (`if t < t_c:`) becomes cell 5
    assert findings(nb, "NB20") == [("NB202", 5, 1)]


def test_definer_moved_below_its_reader_is_used_before_defined() -> None:
    nb = real("t_test_clean.ipynb")
    nb["cells"].insert(6, nb["cells"].pop(5))
    assert findings(nb, "NB20") == [("NB201", 5, 1)]


def test_definer_rerun_last_makes_reader_outputs_stale() -> None:
    nb = real("t_test_clean.ipynb")
    code_cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
    rerun = nb["cells"][3]  # defines x, s, se, t
    for n, cell in enumerate([c for c in code_cells if c is not rerun] + [rerun], 1):
        cell["execution_count"] = n
    # every cell with output that reads t, x or s; cells 5 and 10 read them too but show nothing
    assert findings(nb, "NB203") == [("NB203", 6, 1), ("NB203", 8, 2), ("NB203", 11, 1),
                                     ("NB203", 12, 1)]


# -- NB201 / NB202 -------------------------------------------------------------------------------


def test_used_before_defined_names_the_defining_cell() -> None:
    cells = [markdown("# t"), code("model.fit(X)", 2), code("model = object()\nX = 1", 1)]
    assert findings(cells, "NB20") == [("NB201", 1, 1), ("NB201", 1, 1)]  # model and X


def test_read_before_bind_in_the_same_cell_with_no_earlier_definition() -> None:
    assert findings(ran("total = total + 1"), "NB20") == [("NB202", 0, 1)]
    assert findings(ran("total = 0", "total = total + 1"), "NB20") == []


def test_late_binding_through_a_function_reports_the_call() -> None:
    cells = ran("def score(x):\n    return x * weight", "print(score(2))", "weight = 3")
    assert findings(cells, "NB20") == [("NB201", 1, 1)]


def test_late_binding_is_fine_when_the_global_is_bound_before_the_call() -> None:
    cells = ran("def score(x):\n    return x * weight", "weight = 3", "print(score(2))")
    assert findings(cells, "NB20") == []


def test_late_binding_follows_calls_between_functions() -> None:
    cells = ran("def inner():\n    return rate", "def outer():\n    return inner() * 2",
                "outer()", "rate = 0.1")
    assert findings(cells, "NB20") == [("NB201", 2, 1)]


def test_function_passed_as_callback_counts_as_called() -> None:
    cells = ran("def f(v):\n    return v + offset", "xs = list(map(f, [1, 2]))", "offset = 1")
    assert findings(cells, "NB20") == [("NB201", 1, 1)]


def test_function_writing_a_global_defines_it_when_called() -> None:
    cells = ran("def setup():\n    global df\n    df = 1", "setup()", "print(df)")
    assert findings(cells, "NB20") == []


@pytest.mark.parametrize("source", [
    "import os.path\nos.getcwd()",
    "import numpy as np\nnp.zeros(1)",
    "from math import pi as PI\nPI",
    "[x * 2 for x in range(3)]\n{k: v for k, v in [(1, 2)]}",
    "for i in range(3):\n    pass\nprint(i)",
    "with open('data.csv') as fh:\n    pass\nfh.close()",
    "try:\n    1 / 0\nexcept ZeroDivisionError as err:\n    print(err)",
    "if (n := 10) > 5:\n    print(n)",
    "def f(a, *args, b=1, **kw):\n    return a, args, b, kw\nf(1)",
    "g = lambda y: y + 1\ng(1)",
    "class A:\n    size = 1\n    double = size * 2\n    def m(self):\n        return self.size\nA().m()",
    "x: int = 1\nprint(x)",
    "match [1, 2]:\n    case [first, *rest]:\n        print(first, rest)",
    "match {'k': 1}:\n    case {'k': value, **others}:\n        print(value, others)",
    "display(1)\nget_ipython()\nIn, Out, _, __\n_i1\n____",
    "def outer():\n    z = 1\n    def inner():\n        nonlocal z\n        z += 1\n    inner()\nouter()",
    "try:\n    cached\nexcept NameError:\n    cached = 1",
    "prev = None\nfor v in range(3):\n    if v:\n        print(last)\n    last = v",
])
def test_scope_forms_define_what_they_bind(source: str) -> None:
    assert findings(ran(source), "NB20") == []


@pytest.mark.parametrize(("source", "line"), [
    ("def f(x=missing_default):\n    return x", 1),
    ("@missing_decorator\ndef f():\n    pass", 1),
    ("class B(MissingBase):\n    pass", 1),
    ("class C:\n    attr = missing_in_class_body", 2),
    ("[v for v in missing_iterable]", 1),
    ("x = 1\ndel x\nprint(x)", 3),
])
def test_definition_time_reads_are_reads(source: str, line: int) -> None:
    assert findings(ran(source), "NB20") == [("NB202", 0, line)]


def test_function_bodies_are_not_read_at_definition() -> None:
    assert findings(ran("def f():\n    return later", "later = 1", "f()"), "NB20") == []


def test_star_import_and_run_hide_bindings() -> None:
    assert findings(ran("from helpers import *", "plot(x)"), "NB20") == []
    # pylab's names are known, so a name it does not bind is still caught
    assert findings(ran("from pylab import *", "plot(x)"), "NB20") == [("NB202", 1, 1)]
    assert findings(ran("%run helpers.py", "helper()"), "NB20") == []
    assert findings(ran("exec('y = 1')", "print(y)"), "NB20") == []


def test_magic_bindings_count() -> None:
    assert findings(ran("%store -r model", "model.predict(1)"), "NB20") == []
    assert findings(ran("files = !ls", "print(files)"), "NB20") == []
    assert findings(ran("%%capture out\nprint(1)", "out.show()"), "NB20") == []


def test_extra_builtins_from_config_are_known() -> None:
    from nb2prod.api import check_notebook
    from nb2prod.config import Settings
    from tests.helpers import load

    notebook = load(ran("spark.read.csv('x')"))
    assert [f.code for f in check_notebook(notebook, Settings(frozenset({"NB202"})))] == ["NB202"]
    settings = Settings(frozenset({"NB202"}), extra_builtins=frozenset({"spark"}))
    assert check_notebook(notebook, settings) == ()


def test_broken_cell_bindings_are_guessed_so_readers_are_not_flagged() -> None:
    found = findings(ran("data = load(\ndef helper(:", "print(data)"), "NB")
    assert found == [("NB001", 0, 2)]


# -- NB203 / NB204 / NB205 -----------------------------------------------------------------------


def test_stale_output() -> None:
    out = [{"output_type": "stream", "name": "stdout", "text": "1\n"}]
    cells = [code("x = 1", 3), code("print(x)", 2, out)]
    assert findings(cells, "NB203") == [("NB203", 1, 1)]


def test_a_stale_output_read_through_a_call_names_the_function() -> None:
    import json

    from nb2prod.api import check_notebook
    from nb2prod.config import Settings
    from nb2prod.notebook import loads_ipynb
    from tests.helpers import notebook_dict, stream

    cells = [code("def report():\n    print(threshold)", 1), code("threshold = 0.5", 5),
             code("report()", 3, [stream("0.5\n")])]
    notebook = loads_ipynb(json.dumps(notebook_dict(cells)), "t.ipynb")
    (stale,) = check_notebook(notebook, Settings(frozenset({"NB203"})))
    assert stale.message == ("output is stale: it was saved at In [3], but cell 1, which defines "
                             "'threshold' (read by report() called here), ran later (In [5])")


def test_rerun_import_does_not_make_outputs_stale() -> None:
    out = [{"output_type": "stream", "name": "stdout", "text": "1\n"}]
    cells = [code("import math", 3), code("print(math.pi)", 2, out)]
    assert findings(cells, "NB203") == []


def test_overwritten_before_use() -> None:
    cells = [code("lr = 0.1", 1), code("model = train(lr)", 3), code("lr = 0.01", 2),
             code("def train(v):\n    return v", 0)]
    cells[3]["execution_count"] = None
    cells.insert(0, code("def train(v):\n    return v", None))
    assert ("NB204", 2, 1) in findings(cells, "NB204")


def test_no_overwrite_when_the_upper_binding_ran_last() -> None:
    cells = [code("lr = 0.1", 3), code("print(lr)", 4), code("lr = 0.01", 2)]
    assert findings(cells, "NB204") == []


def test_non_idempotent_cell_that_ran_out_of_order() -> None:
    cells = [code("df = 1", 1), code("df = df + 1", 5), code("print(df)", 2)]
    assert findings(cells, "NB205") == [("NB205", 1, 1)]
    assert findings(ran("df = 1", "df = df + 1", "print(df)"), "NB205") == []


def test_pylab_names_are_defined_not_hidden_state() -> None:
    cells = ["%pylab inline", "x = linspace(0, 1, 5)\nfigure()\nhist(random.rand(10))\nprint(np.mean(x))",
             "from pylab import *\nplot(arange(3))"]
    assert [f for f in findings(cells) if f[0] in {"NB201", "NB202"}] == []


def test_names_in_pandas_query_strings_are_reads_but_quoted_text_and_sql_are_not() -> None:
    # a name only a query string reads is still used before it is defined ...
    assert findings(ran("import pandas as pd\ndf = pd.DataFrame({'a': [1]})",
                        "print(df.query('a > @limit'))", "limit = 0"), "NB20") == [
        ("NB201", 1, 1)]
    # ... but an e-mail in quotes, an SQL query's parameters and a local_dict name nothing
    assert findings(ran("import pandas as pd\ndf = pd.DataFrame({'e': ['me@example.com']})",
                        "print(df.query(\"e == 'me@example.com'\"))\n"
                        "print(df.query('e == @v', local_dict={'v': 'x'}))",
                        "def fetch(client):\n"
                        "    return client.query('SELECT * FROM t WHERE user = @user_id')"),
                    "NB20") == []
