"""Every IPython syntax form the translator handles, and the map back to original lines."""

from __future__ import annotations

import ast

import pytest

from nb2prod.notebook import translate

FORMS = [
    # (IPython source, translated Python)
    ("%matplotlib inline", "get_ipython().run_line_magic('matplotlib', 'inline')"),
    ("%load_ext autoreload", "get_ipython().run_line_magic('load_ext', 'autoreload')"),
    ("%pip install pandas==2.2", "get_ipython().run_line_magic('pip', 'install pandas==2.2')"),
    ("!pip install pandas", "get_ipython().system('pip install pandas')"),
    ("!!ls", "get_ipython().getoutput('ls')"),
    ("files = !ls *.csv", "files = get_ipython().getoutput('ls *.csv')"),
    ("a, b = !echo 1 2", "a, b = get_ipython().getoutput('echo 1 2')"),
    ("out = %sx ls", "out = get_ipython().getoutput('ls')"),
    ("%time y = f(2)", "y = f(2)"),
    ("%timeit -n 10 -r 3 g(x)", "g(x)"),
    ("t = %time slow()", "t = slow()"),
    ("x = %who_ls", "x = get_ipython().run_line_magic('who_ls', '')"),
    ("df.head?", "get_ipython().run_line_magic('pinfo', 'df.head')"),
    ("df.head??", "get_ipython().run_line_magic('pinfo2', 'df.head')"),
    ("?os.path", "get_ipython().run_line_magic('pinfo', 'os.path')"),
    ("??os.path", "get_ipython().run_line_magic('pinfo2', 'os.path')"),
    ("/f a b", "f(a, b)"),
    (",f a b", "f('a', 'b')"),
    (";f a b", "f('a b')"),
    ("pip install numpy", "get_ipython().run_line_magic('pip', 'install numpy')"),
    ("conda install -y scipy", "get_ipython().run_line_magic('conda', 'install -y scipy')"),
]


@pytest.mark.parametrize(("source", "expected"), FORMS)
def test_line_forms(source: str, expected: str) -> None:
    result = translate(source)
    assert result.python == expected
    ast.parse(result.python)
    assert result.line_map == (1,)
    assert len(result.magics) == 1


def test_plain_python_is_untouched() -> None:
    source = "x = 1\nif x != 2:\n    print('why?')  # really?\ny = x % 3\nz = '%s' % x"
    result = translate(source)
    assert result.python == source
    assert result.magics == ()


def test_indented_magics_keep_their_block() -> None:
    result = translate("for f in files:\n    !gzip {f}\n    %time process(f)")
    assert result.python.splitlines() == [
        "for f in files:",
        "    get_ipython().system('gzip {f}')",
        "    process(f)",
    ]
    assert result.magics[0].reads == ("f",)


def test_text_inside_strings_and_brackets_is_not_syntax() -> None:
    source = 'doc = """\n%not a magic\n!nor a command\n"""\nf(a,\n  ,b=1)'
    assert translate(source).python == source


def test_python_body_cell_magic_keeps_body_and_line_numbers() -> None:
    result = translate("%%time\nx = load()\n%matplotlib inline\ny = x + 1")
    lines = result.python.splitlines()
    assert lines[0] == "get_ipython().run_cell_magic('time', '', '')"
    assert lines[1] == "x = load()"
    assert lines[3] == "y = x + 1"
    assert result.line_map == (1, 2, 3, 4)
    assert [m.name for m in result.magics] == ["time", "matplotlib"]


def test_capture_cell_magic_binds_its_variable() -> None:
    result = translate("%%capture captured\nprint('hello')")
    assert result.python.startswith("captured = get_ipython().run_cell_magic('capture'")
    assert result.magics[0].binds == ("captured",)


def test_other_language_cell_magic_becomes_one_call() -> None:
    result = translate("\n%%bash\necho 'it''s'\nls -la")
    assert result.python == "get_ipython().run_cell_magic('bash', '', \"echo 'it''s'\\nls -la\")"
    assert result.line_map == (2,)
    ast.parse(result.python)


def test_backslash_continued_magic_maps_to_its_first_line() -> None:
    result = translate("x = 1\n!pip install \\\n    pandas\ny = 2")
    assert result.python.splitlines() == ["x = 1", "get_ipython().system('pip install  pandas')", "y = 2"]
    assert result.line_map == (1, 2, 4)
    assert result.original_line(3) == 4


def test_store_and_run_are_recorded_as_hidden_bindings() -> None:
    store = translate("%store -r model scaler").magics[0]
    assert store.binds == ("model", "scaler") and not store.opaque
    assert translate("%store -r").magics[0].opaque
    assert translate("%run helpers.py").magics[0].opaque


@pytest.mark.parametrize("source", [form for form, _ in FORMS])
def test_round_trip_line_map_on_mixed_cells(source: str) -> None:
    cell = f"a = 1\n{source}\nb = a\n"
    result = translate(cell)
    assert len(result.python.splitlines()) == len(result.line_map) == 3
    assert [result.original_line(n) for n in (1, 2, 3)] == [1, 2, 3]
    ast.parse(result.python)


def test_a_cell_whose_first_line_is_indented_runs_as_ipython_runs_it() -> None:
    # Harvard-IACS 2021 Lec2: ` df[['AveragePrice']].values` ran in Jupyter (IPython's
    # leading_indent) and was reported as NB001 "unexpected indent"
    result = translate("\n df[['AveragePrice']].values\n if x:\n     y = 1\nz = 2")
    assert result.python == "\ndf[['AveragePrice']].values\nif x:\n    y = 1\nz = 2"
    assert result.line_map == (1, 2, 3, 4, 5)
    assert translate("x = 1\n  y = 2").python == "x = 1\n  y = 2"  # only a leading indent
    assert translate("\t%time f()").python.startswith("f()")
