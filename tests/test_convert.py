"""`nb2prod convert` end to end: refusals, dry runs, determinism, templates, and the example
project installed in a fresh virtual environment, run, and tested."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import code, install_in_fresh_venv, markdown, write

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "churn"


def convert(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "nb2prod", "convert", *args], capture_output=True,
                          text=True, cwd=cwd, check=False, env={"SOURCE_DATE_EPOCH": "1700000000",
                                                                 "PATH": "/usr/bin:/bin"})


def test_refuses_notebooks_that_break_top_down_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "project"
    result = convert(str(EXAMPLE / "churn_messy.ipynb"), "-o", str(out))
    assert result.returncode == 1
    assert "NB201 'TEST_SIZE' is used before cell 15 defines it" in result.stdout
    assert result.stderr.startswith("error: ") and "--force" in result.stderr
    assert not out.exists()


def test_force_converts_with_todos(tmp_path: Path) -> None:
    out = tmp_path / "project"
    result = convert(str(EXAMPLE / "churn_messy.ipynb"), "-o", str(out), "--force")
    assert result.returncode == 0, result.stderr
    pipeline = (out / "src" / "project" / "pipeline.py").read_text()
    assert "# TODO(nb2prod): NB201 'TEST_SIZE' is used before cell 15 defines it" in pipeline
    assert "warning: cell 10" in result.stdout


def test_dry_run_prints_the_plan_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "project"
    result = convert(str(EXAMPLE / "churn.ipynb"), "-o", str(out), "--dry-run")
    assert result.returncode == 0
    assert "train(config, X, y) -> X_test, y_test, model" in result.stdout
    assert "TEST_SIZE: float = 0.25   (parameters cell, cell 2)" in result.stdout
    assert "  cell 4, line 3: removed `df.head()` (it only displayed a value in the notebook)" \
        in result.stdout
    assert not out.exists()
    data = json.loads(convert(str(EXAMPLE / "churn.ipynb"), "--dry-run", "--format", "json").stdout)
    assert [s["name"] for s in data["steps"]][:2] == ["load_data", "clean"]


def test_refuses_a_users_file_at_a_generated_path(tmp_path: Path) -> None:
    out = tmp_path / "project"
    out.mkdir()
    (out / "README.md").write_text("mine")
    result = convert(str(EXAMPLE / "churn.ipynb"), "-o", str(out))
    assert result.returncode == 2 and "README.md" in result.stderr and "--overwrite" in result.stderr
    assert [p.name for p in out.iterdir()] == ["README.md"]
    assert (out / "README.md").read_text() == "mine"


def test_output_is_deterministic(tmp_path: Path) -> None:
    first, second = tmp_path / "a" / "churn", tmp_path / "b" / "churn"
    assert convert(str(EXAMPLE / "churn.ipynb"), "-o", str(first)).returncode == 0
    assert convert(str(EXAMPLE / "churn.ipynb"), "-o", str(second)).returncode == 0
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for relative in files:
        assert (first / relative).read_bytes() == (second / relative).read_bytes(), relative


def test_generated_code_is_pyflakes_clean(tmp_path: Path) -> None:
    for template in ("default", "script"):
        out = tmp_path / template
        assert convert(str(EXAMPLE / "churn.ipynb"), "-o", str(out), "-t", template).returncode == 0
        flakes = subprocess.run([sys.executable, "-m", "pyflakes", str(out)], capture_output=True,
                                text=True)
        assert flakes.returncode == 0, flakes.stdout


def test_messy_real_notebook_without_headings_converts_and_runs(tmp_path: Path) -> None:
    notebook = write(tmp_path, "analysis.ipynb", [
        code("%matplotlib inline\nimport math", 1),
        code("def area(r):\n    return math.pi * r ** 2 * SCALE", 2),
        code("SCALE = 2\nradii = [1, 2, 3]\nprint(area(1))", 3),
        code("!echo shell\nareas = [area(r) for r in radii]\nareas", 4),
        code("print(round(sum(areas), 3))", 5),
    ])
    out = tmp_path / "project"
    assert convert(str(notebook), "-o", str(out)).returncode == 0
    run = subprocess.run([sys.executable, "-m", "project"], capture_output=True, text=True,
                         cwd=tmp_path, env={"PYTHONPATH": str(out / "src"), "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr
    assert run.stdout == "6.283185307179586\nshell\n87.965\n"


def test_template_errors_name_the_file_and_line(tmp_path: Path) -> None:
    template = tmp_path / "broken"
    template.mkdir()
    (template / "template.toml").write_text('name = "broken"\ndescription = "x"\n')
    (template / "README.md.j2").write_text("# {{ plan.title }}\n{{ plan.no_such_field }}\n")
    result = convert(str(EXAMPLE / "churn.ipynb"), "-o", str(tmp_path / "out"), "-t", str(template))
    assert result.returncode == 2
    assert f"{template / 'README.md.j2'}:2:" in result.stderr and "no_such_field" in result.stderr
    assert not (tmp_path / "out").exists()
    unknown = convert(str(EXAMPLE / "churn.ipynb"), "-o", str(tmp_path / "out"), "-t", "nope")
    assert unknown.returncode == 2
    assert ("unknown template 'nope' (available: default, airflow, dagster, kubeflow, prefect, "
            "script") in unknown.stderr


@pytest.fixture(scope="module")
def installed_example(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The example converted, then installed with pip into a fresh virtual environment that
    borrows this environment's packages (so no network is needed)."""
    base = tmp_path_factory.mktemp("e2e")
    out = base / "churn-model"
    result = convert(str(EXAMPLE / "churn.ipynb"), "-o", str(out))
    assert result.returncode == 0, result.stderr
    bindir = install_in_fresh_venv(base, out)
    return {"out": out, "bin": bindir, "base": base}


def test_installed_console_script_writes_the_notebooks_metrics(installed_example: dict) -> None:
    work = installed_example["base"] / "work"
    shutil.copytree(EXAMPLE, work, ignore=shutil.ignore_patterns("outputs", "*.ipynb"))
    run = subprocess.run([str(installed_example["bin"] / "churn-model"), "run"], cwd=work,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    notebook = json.loads((EXAMPLE / "churn.ipynb").read_text())
    printed = "".join(notebook["cells"][12]["outputs"][0]["text"])
    assert json.loads((work / "outputs" / "metrics.json").read_text()) == json.loads(printed)
    steps = subprocess.run([str(installed_example["bin"] / "churn-model"), "steps"],
                           capture_output=True, text=True)
    assert steps.stdout.splitlines()[0].split() == ["load_data", "Load", "the", "data"]


def test_generated_test_suite_passes(installed_example: dict) -> None:
    result = subprocess.run([str(installed_example["bin"] / "python"), "-m", "pytest", "-q",
                             "-p", "no:cacheprovider", str(installed_example["out"])],
                            capture_output=True, text=True, cwd=installed_example["out"])
    assert result.returncode == 0, result.stdout[-2000:]
    assert "passed" in result.stdout and "failed" not in result.stdout


def test_parallel_formatting_gives_what_black_gives_the_whole_file(monkeypatch: pytest.MonkeyPatch) -> None:
    import black

    from nb2prod.render import formatting

    definitions = "\n".join(f"# helper {i}\n@decorate\ndef f{i}(x = {i}):\n    return x*{i}\n# after {i}\n"
                            for i in range(60))
    code = f'"""Module."""\nimport os\nVALUE = os.sep\n{definitions}\nclass C :\n  pass\n'
    monkeypatch.setattr(formatting, "PARALLEL_FROM", 100)
    assert len(formatting._pieces(code)) > 1
    assert formatting.format_python(code, "m.py") == black.format_str(code, mode=black.Mode(line_length=100))
    # hostile review: black's second pass (a trailing comma its first pass added) changes this
    items = ", ".join(f'"item{i:02d}xxxxxxxxxx"' for i in range(5))
    annotated = f"def ann() -> Set[{items}]:\n    return 1\n" + definitions
    assert black.format_str(annotated, mode=black.Mode(line_length=100)) != black._format_str_once(
        annotated, mode=black.Mode(line_length=100))  # (the case: one pass is not enough)
    assert formatting.format_python(annotated, "m.py") == black.format_str(
        annotated, mode=black.Mode(line_length=100))
    # second hostile review: a string whose lines look like a definition is no place to cut
    quoted = ('def make():\n    y = {"a": 1}\n    return """\ndef a():\n  return f(\n        x,\n    )\n'
              '@end\n"""\n' + annotated)
    assert formatting.format_python(quoted, "m.py") == black.format_str(
        quoted, mode=black.Mode(line_length=100))


def test_a_long_function_is_formatted_in_parts_as_black_formats_it_whole(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A step of thousands of cells (late binding keeps them in one function) is cut between its
    statements for the workers; the parts joined are what black makes of the whole file, also
    where a cut would not be plain (after an import or a nested def, before a string or a
    comment, inside a string or brackets whose lines look like statements)."""
    import black

    from nb2prod.render import formatting

    statements = []
    for i in range(40):
        statements += [f"    value_{i} = compute( {i},{i} )", f"    print( value_{i} )"]
        if i % 7 == 0:
            statements += ["    import os", "    path = os.sep"]
        if i % 9 == 0:
            statements += [f"    def inner_{i}(x):", "        return x", f"    inner_{i}(1)"]
        if i % 5 == 0:
            statements += [f'    """note {i}"""', "    # a comment", "", f"    total = {i}"]
        if i % 6 == 0:
            statements += ['    text = """', "    looks_like = a_statement", '    """',
                           "    call(first,", "    second)", "    ..."]
    long_function = ('def step(config):\n    """Docstring."""\n' + "\n".join(statements) + "\n")
    code = f"import os\n\n\ndef small():\n    return 1\n\n\n{long_function}\n\ndef after():\n    pass\n"
    monkeypatch.setattr(formatting, "PARALLEL_FROM", 100)
    assert any(len(unit) > 2 for unit in formatting._pieces(code))  # the function in parts
    for requires in ("", ">=3.11"):
        assert formatting.format_python(code, "m.py", requires) == black.format_str(
            code, mode=formatting.black_mode(requires))


def test_code_black_parses_and_python_does_not_is_an_error_naming_its_file(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Hostile review: in a large project a raw SyntaxError from a worker named no file."""
    from nb2prod.render import formatting

    monkeypatch.setattr(formatting, "PARALLEL_FROM", 10)
    files = {"ok.py": "x = 1\n" * 20, "bad.py": "f() = 1\n" + "\n\ndef g():\n    pass\n" * 20}
    with pytest.raises(formatting.FormatError) as raised:
        formatting.format_files(files, ">=3.11")
    assert raised.value.name == "bad.py"


def test_code_is_formatted_for_the_python_the_project_declares() -> None:
    """black reads the project's requires-python (or target-version): formatted for a guess of
    its own instead, a long `with` is split another way and `black --check` there fails."""
    import black

    from nb2prod.render import formatting

    code = ("with open('a_rather_long_file_name_for_this.csv') as first, "
            "open('another_long_file_name_for_that.csv') as second:\n    pass\n")
    formatted = formatting.format_python(code, "m.py", ">=3.11")
    assert formatted.startswith("with (\n")
    assert formatted == black.format_str(code, mode=black.Mode(
        line_length=100, target_versions={v for v in black.TargetVersion if v.value >= 11}))
    assert formatting.black_target_versions(">=3.11")[:2] == ["py311", "py312"]
    assert formatting.black_target_versions("not a specifier") == []


def test_a_notebook_of_no_cells_is_refused_and_one_of_prose_converts(tmp_path: Path) -> None:
    # hostile review: a notebook of no cells converted, exit 0, into a 14-file project
    notebook = write(tmp_path, "zero.ipynb", [])
    result = convert(str(notebook), "-o", str(tmp_path / "zero-project"))
    assert (result.returncode, result.stderr) == (
        2, f"error: {notebook}: nothing to convert: the notebook has no cells\n")
    assert not (tmp_path / "zero-project").exists()
    # a README.ipynb of prose, or of magics and comments, still converts (a repository's
    # notebooks converted one by one must not stop at it): no steps, and a warning says so
    for name, cells in (("prose.ipynb", [markdown("# Notes\n\nNo code.")]),
                        ("magic.ipynb", [code("%matplotlib inline\n# a comment", 1)])):
        notebook = write(tmp_path, name, cells)
        result = convert(str(notebook), "-o", str(tmp_path / f"{name}-project"))
        assert result.returncode == 0, result.stderr
        assert name == "magic.ipynb" or (
            "the notebook has no code to convert: the project has no steps" in result.stdout)


def test_a_cell_whose_saved_output_is_an_error_is_a_warning_at_that_cell(tmp_path: Path) -> None:
    """New-user review (CS109A lab 1): `float_list[10]` showed an IndexError; converted without a
    word, the project's tests then failed with it. Not refused: the error may be stale (the
    notebook may run top to bottom now)."""
    error = {"output_type": "error", "ename": "IndexError", "evalue": "list index out of range",
             "traceback": ["IndexError: list index out of range"]}
    notebook = write(tmp_path, "lab.ipynb", [code("float_list = [1.0, 2.0]", 1),
                                             code("float_list[10]", 2, [error]),
                                             code("print(sum(float_list))", 3)])
    result = convert(str(notebook), "-o", str(tmp_path / "lab"))
    assert result.returncode == 0, result.stderr
    assert ("warning: cell 1, line 1: the notebook showed an error here when it last ran "
            "(IndexError: list index out of range); if the cell still raises, the project's run "
            "stops here and its tests fail: fix or remove it in the notebook") in result.stdout
    assert "showed an error here" in (tmp_path / "lab" / "README.md").read_text()


FILLER = "".join(f"\n\ndef filler{i}():\n    return {i}\n" for i in range(6))


@pytest.mark.parametrize("code", [
    "def f(): ...\n@dec\ndef g():\n    pass\n" + FILLER,  # black keeps no blank line after a stub
    "class P:\n    def m(self): ...\ndef g():\n    pass\n" + FILLER,
    "@overload\ndef f(x: int) -> int: ...\n@overload\ndef f(x: str) -> str: ...\ndef f(x):\n"
    "    return x\n" + FILLER,
    "x = 1\n\x0c\ndef f(a,):\n    return a\n" + FILLER,  # a form feed stays where it is
    "x = 'a\x0cb'\n\n\ndef step(config):\n" + "    w = foo(a, b,)\n" * 30 + FILLER,
    "s = 'a\u2028b'\n\n\ndef step(config):\n" + "    v = compute( 1 )\n" * 30 + FILLER,
    "x = 1\r\n\r\n\r\ndef f():\r\n    return  1\r\n" + FILLER.replace("\n", "\r\n"),
    "\n\n\n",
    '"""Module docstring."""\n\n@decorator\ndef f():\n    pass\n' + FILLER,  # one blank line
    "# fmt: off\ndef f(a,\n      b):\n    return a\n# fmt: on\n" + FILLER,
])
def test_hostile_shapes_are_formatted_in_parts_as_black_formats_them_whole(
        monkeypatch: pytest.MonkeyPatch, code: str) -> None:
    """Second hostile review: after a stub black keeps the user's missing blank line, a form
    feed stays, `str.splitlines` cut at a U+2028 inside a string, CRLF files were joined with
    LF, a file of blank lines asked for no workers at all, black puts one blank line between a
    module docstring and a decorator, and `# fmt: off` reaches past a definition."""
    import black

    from nb2prod.render import formatting

    monkeypatch.setattr(formatting, "PARALLEL_FROM", 10)
    monkeypatch.setattr(formatting, "PIECES_PER_WORKER", 40)
    assert formatting.format_python(code, "m.py", ">=3.11") == black.format_str(
        code, mode=formatting.black_mode(">=3.11"))
