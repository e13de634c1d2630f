"""Cell transforms as before/after pairs (the LibCST codemod way)."""

from __future__ import annotations

import pytest

from nb2prod.notebook import translate
from nb2prod.refactor.cells import transform_cell


def convert(source: str):
    translation = translate(source)
    return transform_cell(translation.python, 3, translation.original_line, set(), original=source)


CASES = [
    ("%matplotlib inline\nx = 1", "x = 1"),
    ("df.head()", ""),
    ("df", ""),
    ("df.shape", ""),
    ("counts['a']", "counts['a']"),
    ("display(df)\nprint(df)", "print(df)"),
    ("df.sort_values('a', inplace=True)", "df.sort_values('a', inplace=True)"),
    ("model.fit(X, y)", "model.fit(X, y)"),
    ("if x:\n    display(x)", ""),  # nothing left of the if: it goes whole
    ("if check(x):\n    display(x)", "if check(x):\n    pass"),  # its test may do something
    ("!ls -la data", "subprocess.run(['ls', '-la', 'data'], check=True)"),
    ("!echo {path}", "subprocess.run(f'echo {path}', shell=True, check=True)"),
    ("files = !ls", "files = subprocess.run('ls', shell=True, capture_output=True, text=True, "
                    "check=True).stdout.splitlines()"),
    ("%time y = f(x)", "y = f(x)"),
    ("%%time\ny = f(x)", "y = f(x)"),
    ("%%bash\necho hi", "subprocess.run(['bash', '-c', 'echo hi'], check=True)"),
    ("%%writefile out.txt\nhello", "with open('out.txt', 'w') as _file:\n    _file.write('hello\\n')"),
    ("%cd data", "os.chdir('data')"),
    ("%env MODE=fast", "os.environ['MODE'] = 'fast'"),
    ("plt.plot(x)\nplt.show()", "plt.plot(x)\nsave_figure(figures_dir)"),
    ("api_key = 'f8a9d0c1b2e3f4a5'", "api_key = os.environ['API_KEY']"),
    ("df = pd.read_csv('/Users/ana/churn.csv')", "df = pd.read_csv(churn_csv_path)"),
    ("print(f'done {{x}}')\nprint(f'{n} rows')", "print('done {x}')\nprint(f'{n} rows')"),
]


@pytest.mark.parametrize(("before", "after"), CASES)
def test_before_after(before: str, after: str) -> None:
    assert convert(before).module.code.strip() == after


def test_installs_move_to_dependencies_with_a_warning() -> None:
    result = convert("!pip install pandas==2.2.2\n%pip install seaborn")
    assert result.module.code.strip() == ""
    assert [(s.name, s.specifier) for s in result.installs] == [("pandas", "==2.2.2"), ("seaborn", "")]
    assert [(c.line, c.what, c.why) for c in result.changes] == [
        (1, "removed `!pip install pandas==2.2.2`",
         "installs moved to the project's dependencies"),
        (2, "removed `%pip install seaborn`",
         "installs moved to the project's dependencies"),
    ]


def test_unknown_magics_leave_a_todo_and_a_warning() -> None:
    result = convert("x = 1\n%store x")
    assert "# TODO(nb2prod): IPython magic %store x (not converted)" in result.module.code
    assert result.warnings[0].line == 2 and "%store x" in result.warnings[0].message


def test_secrets_and_paths_are_recorded() -> None:
    result = convert("token = 'ghp_" + "a" * 36 + "'\ndf = pd.read_csv('/home/jo/x.csv')")
    assert result.secrets == ["TOKEN"]
    assert result.path_fields == {"x_csv_path": "'/home/jo/x.csv'"}
    assert {"os"} <= result.needed_imports


def test_unknown_cell_magic_is_a_todo() -> None:
    result = convert("%%sql\nselect 1")
    assert "# TODO(nb2prod): cell magic %%sql (not converted)" in result.module.code
