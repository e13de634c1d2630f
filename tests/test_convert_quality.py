"""Generated projects as the engineer who receives them runs them: their own tests, ruff, black."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import DATA, code, markdown, stream, write
from tests.test_convert import convert

REAL = sorted((DATA / "real").glob("*.ipynb"))


def generated_tests(project: Path, env: dict[str, str] | None = None, verbose: bool = False
                    ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "-v" if verbose else "-q", "-rs",
                           "-p", "no:cacheprovider"],
                          cwd=project, capture_output=True, text=True, check=False,
                          env={**os.environ, **(env or {})})


def test_a_later_step_changing_a_frame_in_place_does_not_break_the_replay_tests(tmp_path: Path) -> None:
    (tmp_path / "scores.csv").write_text("a,b\n1,2\n3,4\n5,6\n")
    notebook = write(tmp_path, "inplace.ipynb", [
        markdown("# Scores"), code("import pandas as pd", 1),
        markdown("## Load"), code("scores = pd.read_csv('scores.csv')", 2),
        markdown("## Add a total"), code("scores['total'] = scores['a'] + scores['b']", 3),
        markdown("## Report"), code("print(scores.shape, int(scores['total'].sum()))", 4),
    ])
    result = convert(str(notebook), "-o", str(tmp_path / "project"))
    assert result.returncode == 0, result.stderr
    run = generated_tests(tmp_path / "project")
    assert run.returncode == 0, run.stdout[-3000:]
    assert "skipped" not in run.stdout


def test_missing_input_files_are_named_once_and_the_tests_skip(tmp_path: Path) -> None:
    notebook = write(tmp_path, "missing.ipynb", [
        code("import pandas as pd\ntrain = pd.read_csv('data/train.csv')\nprint(len(train))", 1),
    ])
    result = convert(str(notebook), "-o", str(tmp_path / "project"))
    assert result.returncode == 0, result.stderr
    assert "data/train.csv" in result.stdout and "not beside it" in result.stdout
    readme = (tmp_path / "project" / "README.md").read_text()
    assert "## Input files to provide" in readme and "- `data/train.csv`" in readme
    run = generated_tests(tmp_path / "project")
    assert run.returncode == 0, run.stdout[-3000:]
    assert "FileNotFoundError" not in run.stdout
    assert "provide tests/data/data/train.csv (the notebook reads data/train.csv" in run.stdout


def test_a_helper_module_found_through_sys_path_is_named_and_the_tests_skip(
        tmp_path: Path) -> None:
    # gabors-data-analysis case studies: sys.path.append(".../ch00-tech-prep/") then
    # `from da_helper_functions import *`; the helper folder is not beside the notebook
    notebook = write(tmp_path, "helpers.ipynb", [
        code("import sys\nsys.path.append('../ch00-tech-prep/')\n"
             "from da_helper_functions import seq\nprint(seq(3))", 1),
    ])
    result = convert(str(notebook), "-o", str(tmp_path / "project"))
    assert result.returncode == 0, result.stderr
    assert "no dependency provides da_helper_functions" in result.stdout
    readme = (tmp_path / "project" / "README.md").read_text()
    assert "## Modules to provide" in readme and "- `da_helper_functions`" in readme
    run = generated_tests(tmp_path / "project")
    assert run.returncode == 0, run.stdout[-3000:]
    assert "ModuleNotFoundError" not in run.stdout
    assert "provide the module da_helper_functions" in run.stdout
    assert_clean(tmp_path / "project")  # the conftest that names the module is isort-clean


def test_changes_to_user_code_are_listed_in_the_readme(tmp_path: Path) -> None:
    notebook = write(tmp_path, "changes.ipynb", [
        code("values = [3, 1, 2]\nvalues", 1),
        code("!pip install numpy==1.26.4\nprint(sorted(values))", 2),
    ])
    result = convert(str(notebook), "-o", str(tmp_path / "project"))
    assert result.returncode == 0, result.stderr
    readme = (tmp_path / "project" / "README.md").read_text()
    assert "## What nb2prod changed" in readme
    # cells are numbered as `nb2prod check` numbers them
    assert "| 0 | 2 | removed `values` | it only displayed a value in the notebook |" in readme
    assert "| 1 | 1 | removed `!pip install numpy==1.26.4` |" in readme
    assert "cell 0, line 2: removed `values`" in result.stdout


@pytest.mark.parametrize("path", REAL, ids=lambda p: p.stem)
def test_generated_package_is_clean_under_ruff_and_black(tmp_path: Path, path: Path) -> None:
    out = tmp_path / "project"
    result = convert(str(path), "-o", str(out), "--force")
    assert result.returncode == 0, result.stderr
    assert_clean(out)


def test_a_notebook_of_only_magics_keeps_its_notes_without_an_invented_pass(
        tmp_path: Path) -> None:
    # shawlu95 handy_syntax/question_mark.ipynb: `accuracy_score??` and `%pycat?`; the step was
    # its comments and a `pass` the notebook never wrote
    notebook = shutil.copy(DATA / "real" / "help_magics_only.ipynb", tmp_path / "help.ipynb")
    result = convert(str(notebook), "--force", "-o", str(tmp_path / "project"))
    assert result.returncode == 0, result.stderr
    pipeline = next((tmp_path / "project" / "src").glob("*/pipeline.py")).read_text()
    step = pipeline.split("def setup(config: Config):\n", 1)[1].split("\n\n\n", 1)[0]
    assert "# show the sources of train_test_split function in the pop-up window" in step
    assert "# TODO(nb2prod): IPython magic %pycat ?" in step
    assert "pass" not in step
    run = generated_tests(tmp_path / "project")
    assert run.returncode == 0, run.stdout[-3000:]


def test_a_template_without_step_docstrings_still_gets_a_valid_step_of_notes(
        tmp_path: Path) -> None:
    # a platform team's template whose step function has no docstring: the step's body is its
    # only statement, so a step of only notes keeps its `pass`
    template = tmp_path / "plain"
    shutil.copytree(Path(__file__).resolve().parent.parent / "templates" / "default", template)
    pipeline = template / "src" / "{{ package }}" / "pipeline.py.j2"
    text = pipeline.read_text()
    docstring = next(line for line in text.splitlines(keepends=True)
                     if line.startswith('    """{{ step.title'))
    pipeline.write_text(text.replace(docstring, "").replace(" | under_docstring", ""))
    (template / "template.toml").write_text('name = "plain"\ndescription = "no docstrings"\n')
    notebook = write(tmp_path, "notes.ipynb", [code("", 1), code("# a note", 2)])
    result = convert(str(notebook), "-o", str(tmp_path / "project"), "-t", str(template))
    assert result.returncode == 0, result.stderr
    pipeline = next((tmp_path / "project" / "src").glob("*/pipeline.py")).read_text()
    assert "    # a note\n    pass\n" in pipeline


def test_timings_and_pip_output_are_not_expected_of_the_pipeline(tmp_path: Path) -> None:
    # `%time` printed CPU and wall times and `!pip install` pip's progress: the project's stdout
    # test expected both, and failed on every notebook with either
    notebook = write(tmp_path, "timed.ipynb", [
        code("!pip install numpy", 1, [stream("Requirement already satisfied: numpy in "
                                              "/usr/lib/python3/dist-packages (1.26.4)\n")]),
        code("%time total = sum(range(10))", 2, [stream("CPU times: user 3 µs, sys: 0 ns, "
                                                       "total: 3 µs\nWall time: 5.2 µs\n")]),
        code("print(total)", 3, [stream("45\n")]),
        code("%timeit total + 1", 4, [stream("10.2 ns ± 0.1 ns per loop (mean ± std. dev. of 7 "
                                             "runs, 100,000,000 loops each)\n")]),
    ])
    result = convert(str(notebook), "-o", str(tmp_path / "project"))
    assert result.returncode == 0, result.stderr
    tests = (tmp_path / "project" / "tests" / "test_pipeline.py").read_text()
    assert 'EXPECTED_STDOUT = "45\\n"' in tests
    run = generated_tests(tmp_path / "project")
    assert run.returncode == 0, run.stdout[-3000:]
    assert "test_output_matches_the_notebook PASSED" in generated_tests(
        tmp_path / "project", verbose=True).stdout


def test_a_figure_the_notebooks_own_function_draws_is_saved_when_its_cell_ends(
        tmp_path: Path) -> None:
    # shawlu95 simulation/random_walk: `plotLocs(...)` and `traceWalk(...)` drew with pylab
    # inside the notebook's functions; the project saved two of the notebook's four figures
    shown = {"output_type": "display_data", "metadata": {},
             "data": {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure size 640x480>"}}
    notebook = write(tmp_path, "walks.ipynb", [
        code("import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt", 1),
        code("def plot_walk(steps):\n    plt.plot(range(steps))\n    plt.title('walk')", 2),
        code("def plot_and_show(steps):\n    plt.plot(range(steps))\n    plt.show()", 3),
        code("plot_walk(5)", 4, [shown]),
        code("plot_walk(7)", 5, [shown]),
        code("print(len('walk'))", 6, [stream("4\n")]),
    ])
    result = convert(str(notebook), "-o", str(tmp_path / "project"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("drawn by its own `plot_walk`") == 2
    project = tmp_path / "project"
    run = subprocess.run([sys.executable, "-m", "project"], cwd=project, capture_output=True,
                         text=True, env={**os.environ, "PYTHONPATH": str(project / "src")})
    assert run.returncode == 0, run.stderr
    assert len(list((project / "figures").glob("*.png"))) == 2
    assert_clean(project)
    # the second hostile review: a comment that names matplotlib is no plotting, and an
    # image IPython displayed is no figure
    shown_logo = write(tmp_path, "logo.ipynb", [
        code("# matplotlib was too slow here\nfrom IPython.display import Image, display", 1),
        code("def show_logo(path):\n    display(Image(filename=path))", 2),
        code("show_logo('logo.png')\nprint(1)", 3, [shown, stream("1\n")]),
    ])
    result = convert(str(shown_logo), "-o", str(tmp_path / "logo"))
    assert result.returncode == 0, result.stderr
    assert "save_figure" not in next((tmp_path / "logo" / "src").glob("*/pipeline.py")).read_text()


def test_output_printed_by_code_left_as_a_todo_is_not_expected_of_the_pipeline(
        tmp_path: Path) -> None:
    # shawlu95 handy_syntax/%run.ipynb: `%run zenofpython.py` printed the Zen of Python; the
    # project's test expected that output from a pipeline that cannot print it
    notebook = shutil.copy(DATA / "real" / "run_magic_only.ipynb", tmp_path / "zen.ipynb")
    result = convert(str(notebook), "--force", "-o", str(tmp_path / "project"))
    assert result.returncode == 0, result.stderr
    tests = (tmp_path / "project" / "tests" / "test_pipeline.py").read_text()
    assert "EXPECTED_STDOUT" not in tests and "Zen of Python" not in tests
    readme = (tmp_path / "project" / "README.md").read_text()
    assert "cell 0 printed through `%run`, which the pipeline does not print" in readme
    run = generated_tests(tmp_path / "project")
    assert run.returncode == 0, run.stdout[-3000:]


def test_output_of_a_cell_with_a_line_kept_as_a_comment_is_not_expected(tmp_path: Path) -> None:
    # under --force, a line that does not parse becomes a comment: what it printed is gone
    notebook = write(tmp_path, "broken.ipynb", [
        code("print('kept')\nshow = = 'lost'", 1, [stream("kept\n")])])
    result = convert(str(notebook), "--force", "-o", str(tmp_path / "project"))
    assert result.returncode == 0, result.stderr
    readme = (tmp_path / "project" / "README.md").read_text()
    assert "cell 0 printed output through code left as a TODO" in readme
    run = generated_tests(tmp_path / "project")
    assert run.returncode == 0, run.stdout[-3000:]


def test_a_probe_under_a_bare_except_keeps_its_form_and_passes_ruff(tmp_path: Path) -> None:
    # aws-samples 04a: `pipeline_name` is read in a try whose bare except catches the NameError,
    # and bound after it; in the step, ruff saw F821
    notebook = write(tmp_path, "probe.ipynb", [
        code("import time", 1),
        code("runs = 0\ntry:\n    print(\n        'last',\n        pipeline_name,\n    )\n"
             "except:\n    pass\nif runs == 0:\n    pipeline_name = f'p-{int(time.time())}'", 2),
        code("print(pipeline_name[:2])", 3, [stream("p-\n")]),
    ])
    result = convert(str(notebook), "-o", str(tmp_path / "project"))
    assert result.returncode == 0, result.stderr
    assert "the line reading `pipeline_name` got `# noqa: F821`" in result.stdout
    pipeline = next((tmp_path / "project" / "src").glob("*/pipeline.py")).read_text()
    assert "        pipeline_name,  # noqa: F821\n" in pipeline
    assert_clean(tmp_path / "project")
    run = generated_tests(tmp_path / "project")
    assert run.returncode == 0, run.stdout[-3000:]


@pytest.mark.parametrize("helper_import", ["from da_helper_functions import *",
                                           "import da_helper_functions as da"])
def test_the_comment_on_an_unused_helper_import_stays_where_it_was(
        tmp_path: Path, helper_import: str) -> None:
    # gabors-data-analysis ch01/ch02: "# Import the prewritten helper functions" above a helper
    # import no name of which the notebook used; the import went, and its comment with it
    notebook = write(tmp_path, "helpers.ipynb", [
        code("import sys\nimport pandas as pd", 1),
        code("sys.path.append('../ch00-tech-prep/')", 2),
        code(f"# Import the prewritten helper functions\n{helper_import}", 3),
        code("# load the data\ndf = pd.DataFrame({'a': [1, 2]})\nprint(len(df))", 4),
    ])
    result = convert(str(notebook), "-o", str(tmp_path / "project"))
    assert result.returncode == 0, result.stderr
    pipeline = next((tmp_path / "project" / "src").glob("*/pipeline.py")).read_text()
    assert f"    # Import the prewritten helper functions\n    # (nb2prod: removed `{helper_import}`:" \
        in pipeline
    assert pipeline.index("prewritten") < pipeline.index("# load the data")
    assert_clean(tmp_path / "project")


def test_noqa_comments_on_imports_reach_the_generated_module(tmp_path: Path) -> None:
    # the plan's `# noqa: F401` on an import a model formula uses, and `# noqa: F403` on star
    # imports whose modules are unknown, were dropped when the template laid its own imports
    # in: ruff failed on the project, and `ruff --fix` would have removed the import
    notebook = write(tmp_path, "formula.ipynb", [
        code("import numpy as np\nimport pandas as pd\nfrom statsmodels.formula.api import ols\n"
             "from unknown_a import *\nfrom unknown_b import *", 1),
        code("df = pd.DataFrame({'a': [1.0, 2.0, 3.0], 'b': [3.0, 4.0, 6.0]})\n"
             "m = ols('b ~ np.log(a)', data=df)\nprint(m, helper(df))", 2),
    ])
    result = convert(str(notebook), "-o", str(tmp_path / "project"))
    assert result.returncode == 0, result.stderr
    pipeline = (tmp_path / "project" / "src" / "project" / "pipeline.py").read_text()
    assert "import numpy as np  # noqa: F401\n" in pipeline
    assert "from unknown_a import *  # noqa: F403\n" in pipeline
    assert "helper(df))  # noqa: F405" in pipeline  # from a star import, not a config field
    assert "config.helper" not in pipeline and "required config field" not in result.stdout
    assert "`from unknown_b import *` got `# noqa: F403`" in result.stdout
    assert_clean(tmp_path / "project")


def assert_clean(project: Path) -> None:
    """The generated package passes ruff (F, I, E9, B) and black as they are."""
    ruff = subprocess.run([sys.executable, "-m", "ruff", "check", "--isolated", "--select",
                           "F,I,E9,B", "--output-format", "concise", "src", "tests"],
                          cwd=project, capture_output=True, text=True)
    assert ruff.returncode == 0, ruff.stdout
    black = subprocess.run([sys.executable, "-m", "black", "--check", "-q", "src", "tests"],
                           cwd=project, capture_output=True, text=True)
    assert black.returncode == 0, black.stderr


def test_strings_keep_their_text_and_output_folders_are_made(tmp_path: Path) -> None:
    # shawlu95 concepts/confidence_interval.ipynb: a triple-quoted report printed from a step,
    # figures saved into an outputs/ folder the repository does not have, unseeded sampling
    notebook = write(tmp_path, "report.ipynb", [
        markdown("# Report"), code("import random", 1),
        markdown("## Sample"),
        code('values = [random.random() for _ in range(3)]\nprint("""\nMean: %.3f\n""" % '
             '(sum(values) / 3))', 2, [stream("\nMean: 0.512\n")]),
        markdown("## Save"),
        code("with open('outputs/summary.txt', 'w') as handle:\n    handle.write('done')", 3),
        markdown("## Save each"),  # shawlu95 case_study/gdp/visual.ipynb: "./pie/%i.png" % year
        code("for n in range(2):\n    with open(f'runs/{n}.txt', 'w') as handle:\n"
             "        handle.write('%i' % n)\n    open('./logs/%i.log' % n, 'w').close()", 4),
    ])
    result = convert(str(notebook), "-o", str(tmp_path / "project"))
    assert result.returncode == 0, result.stderr
    assert "creates the folder it writes into" in result.stdout
    pipeline = next((tmp_path / "project" / "src").glob("*/pipeline.py")).read_text()
    assert '    print("""\nMean: %.3f\n""" % (sum(values) / 3))' in pipeline  # its text as written
    assert "os.makedirs(os.path.dirname(summary_txt_path) or \".\", exist_ok=True)" in pipeline
    assert "os.makedirs(runs_dir or \".\", exist_ok=True)" in pipeline and 'f"{runs_dir}/{n}.txt"' in pipeline
    assert 'open(os.path.join(logs_dir, "%i.log" % n), "w")' in pipeline
    tests = (tmp_path / "project" / "tests" / "test_pipeline.py").read_text()
    assert "every number masked" in tests
    run = generated_tests(tmp_path / "project")
    assert run.returncode == 0, run.stdout[-3000:]
    assert "skipped" not in run.stdout


def test_a_pipeline_that_writes_to_a_database_runs_in_tests_only_when_asked(
        tmp_path: Path) -> None:
    # shawlu95 case_study/shutterfly/split.ipynb replaces tables with df.to_sql(engine, ...);
    # here a client posting to a service (offline: the notebook's own stand-in class)
    notebook = write(tmp_path, "store.ipynb", [
        markdown("# Store"),
        code("class Client:\n    def post(self, url, json):\n        self.sent = json", 1),
        markdown("## Send"),
        code("client = Client()\nrows = [1, 2]\nclient.post('https://example.invalid/api', "
             "json=rows)\nprint(len(rows))", 2, [stream("2\n")]),
    ])
    result = convert(str(notebook), "-o", str(tmp_path / "project"))
    assert result.returncode == 0, result.stderr
    readme = (tmp_path / "project" / "README.md").read_text()
    assert "## Writes outside the project" in readme
    assert "- `client.post()` (cell 3, line 3)" in readme
    run = generated_tests(tmp_path / "project")
    assert run.returncode == 0, run.stdout[-3000:]
    assert "set PROJECT_TESTS_MAY_WRITE=1 to run it" in run.stdout
    allowed = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider"],
                             cwd=tmp_path / "project", capture_output=True, text=True, check=False,
                             env={**os.environ, "PROJECT_TESTS_MAY_WRITE": "1"})
    assert allowed.returncode == 0 and "writes outside" not in allowed.stdout, allowed.stdout[-3000:]
    skips = [line for line in allowed.stdout.splitlines() if line.startswith("SKIPPED")]
    assert all("has no configuration" in line for line in skips), allowed.stdout[-3000:]


def test_files_read_by_a_computed_name_ship_with_the_tests(tmp_path: Path) -> None:
    # second review: read_csv(f"data/{name}.csv") in a loop left tests/data empty
    (tmp_path / "data").mkdir()
    for name in ("x", "y"):
        (tmp_path / "data" / f"{name}.csv").write_text("a\n1\n2\n")
    notebook = write(tmp_path, "loop.ipynb", [
        markdown("# Loop"), code("import pandas as pd", 1), markdown("## Read"),
        code("frames = {n: pd.read_csv(f'data/{n}.csv') for n in ['x', 'y']}\n"
             "print(sum(len(f) for f in frames.values()))", 2, [stream("4\n")]),
    ])
    result = convert(str(notebook), "-o", str(tmp_path / "project"))
    assert result.returncode == 0, result.stderr
    shipped = sorted(p.name for p in (tmp_path / "project" / "tests" / "data").rglob("*.csv"))
    assert shipped == ["x.csv", "y.csv"]
    run = generated_tests(tmp_path / "project")
    assert run.returncode == 0 and "skipped" not in run.stdout, run.stdout[-3000:]


def test_absolute_paths_the_notebook_writes_stay_off_the_machine_in_tests(tmp_path: Path) -> None:
    # a notebook that saved its report to /home/<user>/...: the project keeps the path as the
    # config default, and its tests write inside their own folder, not at that path
    machine = tmp_path / "machine"
    (machine / "plots").mkdir(parents=True)
    (machine / "b").mkdir()
    notebook = write(tmp_path, "report.ipynb", [
        markdown("# Report"), code("from pathlib import Path\nrows = [1, 2, 3]", 1),
        markdown("## Save"),
        code(f"with open('{machine}/report.txt', 'w') as handle:\n    handle.write(str(rows))\n"
             f"for n in rows:\n    open(f'{machine}/plots/{{n}}.txt', 'w').close()\n"
             # hostile review: one file name in two folders, a folder, a path starting with //
             f"open('{machine}/b/report.txt', 'w').write('b')\n"
             f"(Path('{machine}/pdir') / 'f.txt').write_text('p')\n"
             f"open('/{machine}/slashes.txt', 'w').write('s')\n"
             f"OUT = '{machine}/const.txt'\nopen(OUT, 'w').write('c')\n"
             f"open(file='{machine}/kw.txt', mode='w').write('k')\n"
             f"print(open('{machine}/report.txt').read(), len(rows))", 2, [stream("[1, 2, 3] 3\n")]),
    ])
    result = convert(str(notebook), "-o", str(tmp_path / "project"))
    assert result.returncode == 0, result.stderr
    conftest = (tmp_path / "project" / "tests" / "conftest.py").read_text()
    assert ('HOST_PATHS = [\n    "report_txt_path",\n    "plots_dir",\n    "report_txt_path_2",\n'
            '    "pdir_path",\n    "slashes_txt_path",\n    "kw_txt_path",\n    "OUT",\n]') in conftest
    assert 'HOST_FOLDERS = ["plots_dir", "pdir_path"]' in conftest
    run = generated_tests(tmp_path / "project")
    assert run.returncode == 0, run.stdout[-3000:]
    assert "skipped" not in run.stdout
    assert sorted(p.name for p in machine.rglob("*")) == ["b", "plots"]  # nothing written there
    # read, then written (hostile review): a copy is changed; absent here: a skip naming it
    (machine / "count.txt").write_text("1")
    counter = write(tmp_path, "count.ipynb", [
        code(f"P = '{machine}/count.txt'\nn = int(open(P).read())\nopen(P, 'w').write(str(n + 1))\n"
             f"print(open('{machine}/count.txt').read())", 1, [stream("2\n")])])
    assert convert(str(counter), "-o", str(tmp_path / "counter")).returncode == 0
    run = generated_tests(tmp_path / "counter")
    assert run.returncode == 0 and "skipped" not in run.stdout, run.stdout[-3000:]
    assert (machine / "count.txt").read_text() == "1"
    (machine / "count.txt").unlink()
    run = generated_tests(tmp_path / "counter")
    assert run.returncode == 0, run.stdout[-3000:]
    assert f"the notebook read {machine}/count.txt on its own machine" in run.stdout


def test_a_host_file_read_through_a_path_builder_is_read_in_place_or_from_the_environment(
        tmp_path: Path) -> None:
    # new-user review: `read_csv(os.path.expanduser("~/..."))` was taken for a write, moved into
    # the tests' empty folder, and the tests died with FileNotFoundError; the skip's advice to set
    # the field did nothing, because the tests built Config() and never read the environment
    machine = tmp_path / "machine"
    notebook = write(tmp_path, "host_read.ipynb", [
        code("import os\nfrom pathlib import Path\nimport pandas as pd", 1),
        code("sales = pd.read_csv(os.path.expanduser('~/nb2prod-sales/sales.csv'))\n"
             f"costs = pd.read_csv(Path('{machine}/costs.csv'))\n"
             "print(len(sales), len(costs))", 2, [stream("1 1\n")])])
    assert convert(str(notebook), "-o", str(tmp_path / "project")).returncode == 0
    project = tmp_path / "project"
    conftest = (project / "tests" / "conftest.py").read_text()
    assert "HOST_PATHS = []" in conftest
    readme = (project / "README.md").read_text()
    assert "- `~/nb2prod-sales/sales.csv`: config field `sales_csv_path` " \
           "(`PROJECT_SALES_CSV_PATH`)" in readme
    home = tmp_path / "home"
    run = generated_tests(project, {"HOME": str(home)})
    assert run.returncode == 0 and " skipped" in run.stdout, run.stdout[-3000:]
    assert "put a copy there, or set PROJECT_SALES_CSV_PATH, PROJECT_COSTS_CSV_PATH to one" \
           in run.stdout
    (tmp_path / "copies").mkdir()
    for name in ("sales.csv", "costs.csv"):
        (tmp_path / "copies" / name).write_text("a\n1\n")
    run = generated_tests(project, {"HOME": str(home), **{
        f"PROJECT_{name.upper()}_CSV_PATH": repr(str(tmp_path / "copies" / f"{name}.csv"))
        for name in ("sales", "costs")}})
    assert run.returncode == 0 and "skipped" not in run.stdout, run.stdout[-3000:]
    assert not home.exists() and not machine.exists()


@pytest.mark.parametrize("template", ["default", "script"])
def test_temporary_files_and_clock_readings_stay_in_the_run_and_pass_the_replay(
        tmp_path: Path, template: str) -> None:
    # hostile review: mkdtemp()/gettempdir() writes were left in this machine's /tmp, and a step
    # that read the clock failed its replay test (its value differs on every run); the script
    # template's test wrote them all in this machine's /tmp
    notebook = write(tmp_path, "scratch.ipynb", [
        code("import os\nimport tempfile\nimport time\nstart = time.time()\n\n\n"
             "def save(text, folder=tempfile.gettempdir()):\n"  # (evaluated at import)
             "    open(os.path.join(folder, 'default.txt'), 'w').write(text)", 1),
        code("save('d')\nscratch = tempfile.mkdtemp()\n"
             "with open(os.path.join(tempfile.gettempdir(), 'left.txt'), 'w') as handle:\n"
             "    handle.write('x')", 2),
        code("elapsed = time.time() - start\nprint(elapsed >= 0, os.path.isdir(scratch))", 3,
             [stream("True True\n")])])
    result = convert(str(notebook), "-o", str(tmp_path / "project"), "--template", template)
    assert result.returncode == 0, result.stderr
    machine_tmp = tmp_path / "machine-tmp"
    machine_tmp.mkdir()
    run = generated_tests(tmp_path / "project", {"TMPDIR": str(machine_tmp)})
    assert run.returncode == 0 and "failed" not in run.stdout, run.stdout[-3000:]
    assert "writes outside" not in run.stdout, run.stdout[-3000:]  # (the run is not gated)
    # (pytest keeps its own folders there)
    left = [p.name for p in machine_tmp.iterdir() if not p.name.startswith("pytest-of-")]
    assert left == [], "the tests left files in TMPDIR"


@pytest.mark.parametrize("template", ["default", "script"])
def test_a_notebook_that_sets_tmpdir_is_asked_about_and_its_folder_is_never_removed(
        tmp_path: Path, template: str) -> None:
    # hostile review: `%env TMPDIR=...` / os.environ["TMPDIR"] = ... went unflagged, and the
    # tests' clean-up removed whatever folder TMPDIR named when they ended: the user's
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("mine")
    notebook = write(tmp_path, "settmp.ipynb", [
        code(f"import os\nimport tempfile\nos.environ['TMPDIR'] = {str(victim)!r}\n"
             "tempfile.tempdir = None\nprint(len(tempfile.gettempdir()) > 0)", 1,
             [stream("True\n")])])
    result = convert(str(notebook), "-o", str(tmp_path / "project"), "--template", template)
    assert result.returncode == 0, result.stderr
    gated = generated_tests(tmp_path / "project")
    assert "TMPDIR is set: temporary files go elsewhere (cell 0, line 3)" in gated.stdout
    ran = generated_tests(tmp_path / "project", {"PROJECT_TESTS_MAY_WRITE": "1"})
    assert ran.returncode == 0 and "failed" not in ran.stdout, ran.stdout[-3000:]
    assert (victim / "keep.txt").read_text() == "mine"


def test_host_paths_built_copied_or_opened_as_databases_stay_off_the_machine(
        tmp_path: Path) -> None:
    # third hostile review: the generated tests wrote BASE + "out.csv", os.path.join(OUT, ...),
    # shutil.copy's destination, sqlite3.connect's file and expanduser("~/...") on the machine
    machine, home = tmp_path / "machine", tmp_path / "home"
    (machine / "in").mkdir(parents=True)
    home.mkdir()
    (machine / "in" / "x.csv").write_text("a\n1\n")
    (tmp_path / "local.csv").write_text("a\n2\n")
    notebook = write(tmp_path, "host.ipynb", [
        code("import os\nimport shutil\nimport sqlite3\nimport pandas as pd", 1),
        code(f"BASE = '{machine}/'\nIN = '{machine}/in'\nOUT = '{machine}/out'\n"
             "df = pd.read_csv(os.path.join(IN, 'x.csv'))\ndf.to_csv(BASE + 'out.csv')\n"
             "path = os.path.join(OUT, 'b.csv')\nos.makedirs(OUT, exist_ok=True)\n"
             "df.to_csv(path)", 2),
        code(f"shutil.copy('local.csv', '{machine}/copied.csv')\n"
             f"con = sqlite3.connect('{machine}/db.sqlite')\n"
             "con.execute('create table if not exists t(x)')\ncon.commit()\ncon.close()\n"
             "df.to_csv(os.path.expanduser('~/home.csv'))\nprint(len(df))", 3, [stream("1\n")]),
    ])
    result = convert(str(notebook), "-o", str(tmp_path / "project"))
    assert result.returncode == 0, result.stderr
    conftest = (tmp_path / "project" / "tests" / "conftest.py").read_text()
    assert "EXTERNAL_WRITES = ()" in conftest
    host = conftest.split("HOST_PATHS = ")[1].split("COPY_LIMIT")[0]
    assert all(f in host for f in ("BASE", "OUT", "copied_csv_path", "db_sqlite_path",
                                   "home_csv_path")), host
    reads = host.split("HOST_READS = ")[1]
    assert '"IN"' in reads and '"db_sqlite_path"' in reads and "BASE" not in reads, reads
    assert '"IN"' not in host.split("HOST_FOLDERS")[0]  # only read: the tests read it there
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")
                    if not p.relative_to(tmp_path).parts[0].startswith("project"))
    run = generated_tests(tmp_path / "project", env={"HOME": str(home)})
    assert run.returncode == 0 and "skipped" not in run.stdout, run.stdout[-3000:]
    after = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")
                   if not p.relative_to(tmp_path).parts[0].startswith("project"))
    assert after == before  # nothing written on the machine, nor in its home
    # the script template's test ran the script with its defaults: on the machine
    result = convert(str(notebook), "-o", str(tmp_path / "project_script"), "--template", "script")
    assert result.returncode == 0, result.stderr
    run = generated_tests(tmp_path / "project_script", env={"HOME": str(home)})
    assert run.returncode == 0 and "1 passed" in run.stdout, run.stdout[-3000:]
    after = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")
                   if not p.relative_to(tmp_path).parts[0].startswith("project"))
    assert after == before


def test_a_write_that_starts_at_a_place_no_field_moves_is_asked_for(tmp_path: Path) -> None:
    # a default argument and the user's home cannot become config fields: the tests ask first
    machine = tmp_path / "machine"
    notebook = write(tmp_path, "defaults.ipynb", [
        code("from pathlib import Path\nimport pandas as pd\ndf = pd.DataFrame({'a': [1]})", 1),
        code(f"def save(d, p='{machine}/default.csv'):\n    d.to_csv(p)\n\n\nsave(df)\n"
             "(Path.home() / 'notes.txt').write_text('x')\n"
             "df.to_csv('/' + 'relative.csv'.strip('/'))\nprint(len(df))", 2, [stream("1\n")]),
    ])
    result = convert(str(notebook), "-o", str(tmp_path / "project"))
    assert result.returncode == 0, result.stderr
    readme = (tmp_path / "project" / "README.md").read_text()
    assert f"- `to_csv() writes '{machine}/default.csv'` (cell 1, line 2)" in readme
    assert "- `write_text() writes '~'` (cell 1, line 6)" in readme
    assert "- `to_csv() writes '/'` (cell 1, line 7)" in readme
    run = generated_tests(tmp_path / "project")
    assert run.returncode == 0 and "set PROJECT_TESTS_MAY_WRITE=1 to run it" in run.stdout
    assert not machine.exists()


def test_a_relative_write_above_the_notebook_lands_in_the_run_folder(tmp_path: Path) -> None:
    # hostile review: a write climbing out of the tests' run folder would land in pytest's base
    # folder or beyond; the run folder nests as deep as the notebook's relative paths climb
    notebook = write(tmp_path, "up.ipynb", [
        code("import pandas as pd\ndf = pd.DataFrame({'a': [1]})\n"
             "df.to_csv('../../../nb2prod-up.csv')\nprint(len(df))", 1, [stream("1\n")])])
    assert convert(str(notebook), "-o", str(tmp_path / "project")).returncode == 0
    conftest = (tmp_path / "project" / "tests" / "conftest.py").read_text()
    assert 'WORKDIR = "notebook/notebook/notebook"' in conftest
    base = tmp_path / "pytest-base"
    run = generated_tests(tmp_path / "project", {"PYTEST_ADDOPTS": f"--basetemp={base}"})
    assert run.returncode == 0 and "failed" not in run.stdout, run.stdout[-3000:]
    written = [p.relative_to(base) for p in base.rglob("nb2prod-up.csv")]
    assert written and all(p.parts[0].startswith("run") for p in written), written
    assert not list(tmp_path.glob("nb2prod-up.csv"))


def test_inputs_read_through_a_path_built_in_code_are_named_when_missing(tmp_path: Path) -> None:
    # hackoregon 1.0-jab-hawthorne: SEP_CSV = Path('../data/raw') / '01SEP2017.csv'; the tests
    # died with FileNotFoundError instead of skipping with the files to provide
    shutil.copytree(DATA / "real" / "hawthorne", tmp_path / "repo")
    result = convert(str(tmp_path / "repo" / "notebooks" / "hawthorne.ipynb"), "-o",
                     str(tmp_path / "project"))
    assert result.returncode == 0, result.stderr
    assert ("2 input files the notebook reads are not beside it: ../data/raw/01NOV2017.csv, "
            "../data/raw/01SEP2017.csv") in result.stdout
    readme = (tmp_path / "project" / "README.md").read_text()
    assert "- `../data/raw/01SEP2017.csv`, for the tests: `tests/data/data/raw/01SEP2017.csv`" \
        in readme
    run = generated_tests(tmp_path / "project")
    assert run.returncode == 0, run.stdout[-3000:]
    assert ("provide tests/data/data/raw/01NOV2017.csv, tests/data/data/raw/01SEP2017.csv (the "
            "notebook reads ../data/raw/01NOV2017.csv, ../data/raw/01SEP2017.csv") in run.stdout
    # provided where the README says, the files are found where the notebook looks
    (tmp_path / "small" / "nb").mkdir(parents=True)
    small = write(tmp_path / "small" / "nb", "small.ipynb", [
        code("from pathlib import Path\nimport pandas as pd\nDATA = '../data/'\n"
             "a = pd.read_csv(Path('../data/raw') / 'a.csv')\n"
             "b = pd.read_csv(DATA + 'b.csv')\nprint(len(a), len(b))", 1, [stream("1 1\n")])])
    assert convert(str(small), "-o", str(tmp_path / "small_project")).returncode == 0
    for name in ("raw/a.csv", "b.csv"):
        target = tmp_path / "small_project" / "tests" / "data" / "data" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("x\n1\n")
    run = generated_tests(tmp_path / "small_project")
    assert run.returncode == 0 and "skipped" not in run.stdout, run.stdout[-3000:]


def test_downloads_are_listed_and_the_tests_run_them_only_where_reachable(tmp_path: Path) -> None:
    # a notebook that reads a URL: its generated tests failed with a connection error offline
    import http.server
    import threading

    (tmp_path / "served").mkdir()
    (tmp_path / "served" / "data.csv").write_text("a\n1\n2\n")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler,
                                directory=str(tmp_path / "served"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    try:
        notebook = write(tmp_path, "fetch.ipynb", [
            code(f"import pandas as pd\nURL = 'http://127.0.0.1:{port}/data.csv?key=abc'\n"
                 "df = pd.read_csv(URL)\nprint(len(df))", 1, [stream("2\n")])])
        result = convert(str(notebook), "-o", str(tmp_path / "project"))
        assert result.returncode == 0, result.stderr
        assert "read_csv() reads from 127.0.0.1 over the network" in result.stdout
        readme = (tmp_path / "project" / "README.md").read_text()
        section = readme.split("## Downloads")[1].split("\n## ")[0]
        assert "- `127.0.0.1`: `read_csv()` (cell 0, line 3)" in section
        assert "key=abc" not in section  # (the host only: a query may carry a token)
        run = generated_tests(tmp_path / "project")
        assert run.returncode == 0 and "skipped" not in run.stdout, run.stdout[-3000:]
    finally:
        server.shutdown()
        server.server_close()
    run = generated_tests(tmp_path / "project")
    assert run.returncode == 0, run.stdout[-3000:]
    assert f"the pipeline downloads from 127.0.0.1:{port}, which cannot be reached" in run.stdout
    # a shell download, a guarded one (the code goes on without it), and a URL only printed
    offline = write(tmp_path, "offline.ipynb", [
        code("import urllib.request\nprint('see https://docs.example.invalid/')\n"
             "try:\n    urllib.request.urlretrieve('https://a.example.invalid/x', 'x')\n"
             "except OSError:\n    pass\n!wget -q https://files.example.invalid/y.csv\n"
             "print(1)", 1, [stream("see https://docs.example.invalid/\n1\n")])])
    result = convert(str(offline), "-o", str(tmp_path / "offline"))
    assert result.returncode == 0, result.stderr
    conftest = (tmp_path / "offline" / "tests" / "conftest.py").read_text()
    assert 'DOWNLOADS = ["files.example.invalid:443"]' in conftest
    run = generated_tests(tmp_path / "offline")
    assert run.returncode == 0 and "files.example.invalid:443, which cannot be reached" \
        in run.stdout, run.stdout[-3000:]


def test_magics_that_write_on_the_machine_are_moved_or_asked_for(tmp_path: Path) -> None:
    # hostile review: %%writefile /abs, %cd /abs then a relative write, !echo > /abs
    machine = tmp_path / "machine"
    machine.mkdir()
    (machine / "kept.txt").write_text("k")
    cells = [code(f"%%writefile {machine}/w.py\nprint('hi')", 1),
             code(f"%cd {machine}\nopen('rel.txt', 'w').write('x')", 2),
             code("print(1)", 3, [stream("1\n")])]
    moved = write(tmp_path, "moved.ipynb", cells)
    assert convert(str(moved), "-o", str(tmp_path / "project")).returncode == 0
    run = generated_tests(tmp_path / "project")
    assert run.returncode == 0 and "skipped" not in run.stdout, run.stdout[-3000:]
    assert sorted(p.name for p in machine.iterdir()) == ["kept.txt"]
    shell = write(tmp_path, "shell.ipynb", [code(f"!echo hi > {machine}/e.txt", 1), cells[2]])
    assert convert(str(shell), "-o", str(tmp_path / "shell")).returncode == 0
    readme = (tmp_path / "shell" / "README.md").read_text()
    assert f"- `!echo writes '{machine}/e.txt'` (cell 0, line 1)" in readme
    run = generated_tests(tmp_path / "shell")
    assert run.returncode == 0 and "set SHELL_TESTS_MAY_WRITE=1" in run.stdout
    assert sorted(p.name for p in machine.iterdir()) == ["kept.txt"]


HOSTILE_WRITES = {  # third hostile review: each changed a file on the machine from the tests
    "rename": "os.rename('{m}/log.txt', '{m}/log2.txt')",
    "move": "shutil.move('{m}/in.csv', 'moved.csv')",
    "loop": "for p in ['{m}/out.csv', '{m}/log.txt']:\n    df.to_csv(p)",
    "own_function": "def store(frame, where):\n    frame.to_csv(where)\n\n\nstore(df, '{m}/out.csv')",
    "getenv_default": "OUT = os.getenv('OUT_DIR', '{m}')\ndf.to_csv(os.path.join(OUT, 'out.csv'))",
    "home_from_environ": "df.to_csv(os.path.join(os.environ['HOME'], 'notes.txt'))",
    "subprocess_list": "subprocess.run(['rm', '-f', '{m}/log.txt'], check=True)",
    "sed": "!sed -i 's/log/NEW/' {m}/log.txt",
    "shell_variable": "P = '{m}/log.txt'\nos.system(f'rm -f {{P}}')",
    # fourth and fifth hostile reviews: a path object's own open(), a mode in a variable
    "path_open": "from pathlib import Path\nwith Path('{m}/log.txt').open('w') as f:\n"
                 "    f.write('x')",
    "mode_variable": "m = 'a'\nwith open('{m}/log.txt', m) as f:\n    f.write('x')",
    "path_open_mode_variable": "from pathlib import Path\nm = 'w'\n"
                               "with (Path('{m}') / 'out.csv').open(m) as f:\n    f.write('x')",
}


@pytest.mark.parametrize("case", sorted(HOSTILE_WRITES))
def test_writes_nb2prod_cannot_follow_are_moved_or_asked_for(tmp_path: Path, case: str) -> None:
    machine, home = tmp_path / "machine", tmp_path / "home"
    machine.mkdir()
    home.mkdir()
    for path, text in ((machine / "log.txt", "log"), (machine / "in.csv", "a\n1\n"),
                       (machine / "out.csv", "e"), (home / "notes.txt", "n")):
        path.write_text(text)
    notebook = write(tmp_path, "nb.ipynb", [
        code("import os\nimport shutil\nimport subprocess\nimport pandas as pd\n"
             "df = pd.DataFrame({'a': [1, 2]})", 1),
        code(HOSTILE_WRITES[case].format(m=machine), 2), code("print(1)", 3, [stream("1\n")])])

    def state() -> list:
        return sorted((str(p), p.read_text()) for p in tmp_path.rglob("*")
                      if p.is_file() and p.parts[len(tmp_path.parts)] in {"machine", "home"})

    before = state()
    assert convert(str(notebook), "-o", str(tmp_path / "project")).returncode == 0
    run = generated_tests(tmp_path / "project", env={"HOME": str(home)})
    assert run.returncode == 0, run.stdout[-3000:]
    assert state() == before


def test_python_m_with_a_required_field_unset_says_so_in_one_line(tmp_path: Path) -> None:
    # --force: a name no cell defines becomes a required config field; `python -m pkg` without
    # it printed a ValueError traceback where `pkg run` printed one line
    notebook = write(tmp_path, "needs.ipynb", [code("print(threshold * 2)", 1)])
    result = convert(str(notebook), "-o", str(tmp_path / "project"), "--force")
    assert result.returncode == 0, result.stderr
    run = subprocess.run([sys.executable, "-m", "project"], cwd=tmp_path, capture_output=True,
                         text=True, env={**os.environ, "PYTHONPATH": str(tmp_path / "project" / "src")})
    assert run.returncode == 2 and "Traceback" not in run.stderr, run.stderr
    assert run.stderr.startswith("error: ") and "threshold" in run.stderr and run.stderr.count("\n") == 1


def test_a_notebook_that_ran_out_of_order_converts_with_a_note(tmp_path: Path) -> None:
    # Harvard-IACS Lecture4_Ex1_solutions: `check` says NB101, convert said nothing
    notebook = write(tmp_path, "order.ipynb", [code("a = 1", 2), code("print(a + 1)", 1)])
    result = convert(str(notebook), "-o", str(tmp_path / "project"))
    assert result.returncode == 0, result.stderr
    assert ("warning: cell 1, line 1: the notebook ran out of order (cell ran as In [1], before "
            "cell 0 above it (In [2])); the project runs its cells top to bottom") in result.stdout
    readme = (tmp_path / "project" / "README.md").read_text()
    assert ("No test compares what the pipeline prints with the notebook's output: its recorded "
            "output is not from one top-down run") in readme  # shawlu95 tree_traversal, as saved
    clean = write(tmp_path, "clean.ipynb", [code("a = 1", 1), code("print(a + 1)", 2, [stream("2\n")])])
    assert convert(str(clean), "-o", str(tmp_path / "clean")).returncode == 0
    assert "The tests check that the pipeline prints what the notebook printed." in (
        tmp_path / "clean" / "README.md").read_text()


def test_files_read_through_a_join_on_a_computed_folder_are_named_when_missing(
        tmp_path: Path) -> None:
    # Harvard-IACS CS109A lecture 1 hubway-part-2: DATA_HOME = os.getcwd(), then
    # pd.read_csv(os.path.join(DATA_HOME, 'hubway_trips_sample.csv')) died in the tests
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "here.csv").write_text("a\n1\n")
    notebook = write(tmp_path, "hubway.ipynb", [
        code("import os\nimport pandas as pd\nDATA_HOME = os.getcwd()\n"
             "if 'ED_USER_NAME' in os.environ:\n    DATA_HOME = '/course/data'\n"
             "TRIPS = os.path.join(DATA_HOME, 'hubway_trips_sample.csv')\nDATA = 'data'", 1),
        code("trips = pd.read_csv(TRIPS)\nhere = pd.read_csv(os.path.join(DATA, 'here.csv'))\n"
             "print(len(trips), len(here))", 2),
    ])
    result = convert(str(notebook), "-o", str(tmp_path / "project"))
    assert result.returncode == 0, result.stderr
    conftest = (tmp_path / "project" / "tests" / "conftest.py").read_text()
    assert 'MISSING_INPUTS = ["hubway_trips_sample.csv"]' in conftest  # data/here.csv is there
    run = generated_tests(tmp_path / "project")
    assert run.returncode == 0, run.stdout[-3000:]
    assert "provide tests/data/hubway_trips_sample.csv" in run.stdout


def test_the_tests_never_delete_or_change_a_file_the_notebook_named_on_its_machine(
        tmp_path: Path) -> None:
    # second hostile review: os.remove, open(..., "r+"), ZipFile(..., "w"), a constant given by
    # keyword, Path(...).read_text() of a file that is there, pd.to_pickle(df, path)
    host = tmp_path / "host"
    host.mkdir()
    for name, text in {"victim.txt": "v", "rplus.txt": "r", "readonly.txt": "ro"}.items():
        (host / name).write_text(text)
    import zipfile

    with zipfile.ZipFile(host / "z.zip", "w") as archive:
        archive.writestr("orig.txt", "o")
    before = {p.name: p.read_bytes() for p in host.iterdir()}
    notebook = write(tmp_path, "host.ipynb", [code(
        f"import os\nimport pickle\nimport zipfile\nfrom pathlib import Path\nOUT = '{host}/kw.txt'\n"
        f"open(file=OUT, mode='w').write('k')\npickle.dump([1], open('{host}/p.pkl', 'wb'))\n"
        f"print(Path('{host}/readonly.txt').read_text())\n"
        f"with open('{host}/rplus.txt', 'r+') as handle:\n    handle.write('changed')\n"
        f"with zipfile.ZipFile('{host}/z.zip', 'w') as archive:\n    archive.writestr('a.txt', 'a')\n"
        f"os.remove('{host}/victim.txt')\nprint('done')", 1)])
    result = convert(str(notebook), "-o", str(tmp_path / "project"))
    assert result.returncode == 0, result.stderr
    generated_tests(tmp_path / "project")  # (replaying the step that deleted its copy fails)
    assert {p.name: p.read_bytes() for p in host.iterdir()} == before


def test_the_project_is_clean_under_its_own_ruff_config_whatever_ruff_defaults_to(
        tmp_path: Path) -> None:
    # new-user review: `[tool.ruff]` selected nothing, so a newer ruff's wider defaults (and the
    # pycodestyle rules on the notebook's own `x != None`) made `ruff check .` fail
    notebook = write(tmp_path, "style.ipynb", [
        code("import pandas as pd\nframe = pd.DataFrame({'a': [1, None]})\n"
             "kept = [v for v in frame.a if v != None]\nprint(len(kept))", 1, [stream("2\n")])])
    assert convert(str(notebook), "-o", str(tmp_path / "project")).returncode == 0
    pyproject = (tmp_path / "project" / "pyproject.toml").read_text()
    assert '[tool.ruff.lint]\n' in pyproject and 'select = ["E9", "F", "I"]' in pyproject
    lint = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=tmp_path / "project",
                          capture_output=True, text=True, check=False)
    assert lint.returncode == 0, lint.stdout


def test_a_figure_a_step_saved_itself_is_not_saved_again_by_the_next(tmp_path: Path) -> None:
    # new-user review (CS109A Lecture1): a cell ending in plt.savefig left its figure open, and
    # the next plotting step saved it again as its own (figures/when_001.png held "who")
    notebook = write(tmp_path, "figs.ipynb", [
        code("import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt", 1),
        code("plt.plot([1, 2])\nplt.savefig('who.png')", 2),
        code("plt.figure()\nplt.hist([1, 2, 2])\nplt.show()", 3)])
    assert convert(str(notebook), "-o", str(tmp_path / "project")).returncode == 0
    run = subprocess.run([sys.executable, "-c", "from project.pipeline import run; run()"],
                         cwd=tmp_path, capture_output=True, text=True, check=False,
                         env={**os.environ, "PYTHONPATH": str(tmp_path / "project" / "src")})
    assert run.returncode == 0, run.stderr
    assert [p.name for p in (tmp_path / "figures").iterdir()] == ["plot_hist_001.png"]


def test_a_step_that_deletes_a_file_is_not_replayed_and_the_skip_says_why(tmp_path: Path) -> None:
    # hostile review: os.remove / Path.unlink / shutil.rmtree failed the step's replay test with
    # FileNotFoundError: the whole run had already deleted the file
    notebook = write(tmp_path, "scratch.ipynb", [
        code("import os\nimport pandas as pd\nframe = pd.DataFrame({'a': [1]})\n"
             "frame.to_csv('scratch.csv')", 1),
        code("back = pd.read_csv('scratch.csv')\nos.remove('scratch.csv')\nprint(len(back))", 2,
             [stream("1\n")]),
        code("names = ['a', 'b']\nnames.remove('b')\nprint(names)", 3, [stream("['a']\n")])])
    assert convert(str(notebook), "-o", str(tmp_path / "project")).returncode == 0
    run = generated_tests(tmp_path / "project")
    assert run.returncode == 0 and "failed" not in run.stdout, run.stdout[-3000:]
    assert run.stdout.count("is not replayed: it deletes or moves files (os.remove())") == 1


def test_import_blocks_inside_the_notebooks_code_read_as_isort_would(tmp_path: Path) -> None:
    # ageron/handson-ml2 (Apache-2.0) ch. 12 cell 249: `from tqdm.notebook import trange` above
    # `from collections import OrderedDict` in a try: ruff's I001 failed on the project; and a
    # function importing `os` got a second, unused `import os` at the top (F401, F811)
    notebook = write(tmp_path, "nested.ipynb", [
        code("def load(path):\n    import pandas as pd\n    import os, json\n"
             "    # the counter\n    from collections import Counter, OrderedDict\n"
             "    return pd.read_csv(path), os.sep, json, Counter, OrderedDict", 1),
        code("try:\n    from tqdm.notebook import trange\n    from collections import OrderedDict\n"
             "    status = OrderedDict(epochs=list(trange(1, 3)))\nexcept ImportError as ex:\n"
             "    print('To run this cell, please install tqdm')", 2),
        code("print(load)", 3),
    ])
    result = convert(str(notebook), "-o", str(tmp_path / "project"))
    assert result.returncode == 0, result.stderr
    pipeline = (tmp_path / "project" / "src" / "project" / "pipeline.py").read_text()
    assert ("    import json\n    import os\n\n    # the counter\n"
            "    from collections import Counter, OrderedDict\n\n    import pandas as pd\n"
            in pipeline)
    assert "from collections import OrderedDict\n\n        from tqdm.notebook import trange\n" \
        in pipeline
    assert "\nimport os\n" not in pipeline
    assert "cell 0, line 2: sorted the imports in `load`" in result.stdout
    assert "cell 1, line 2: sorted the imports in the cell's code" in result.stdout
    assert_clean(tmp_path / "project")


@pytest.mark.parametrize("template", ["default", "prefect", "dagster", "airflow"])
def test_a_long_package_name_keeps_the_templates_imports_isort_clean(
        tmp_path: Path, template: str) -> None:
    # ageron/handson-ml2 ch. 12: `from {{ package }}.compare import EQUAL, NOT_COMPARABLE,
    # compare` went past 88 characters with the package `ag_12_custom_models_and_training_...`;
    # black wrapped it its own way and ruff's I001 failed on tests/ and conftest.py
    notebook = write(tmp_path, "nb.ipynb", [code("total = sum([1, 2, 3])\nprint(total)", 1)])
    out = tmp_path / "12_custom_models_and_training_with_tensorflow_and_keras"
    result = convert(str(notebook), "-o", str(out), "--template", template)
    assert result.returncode == 0, result.stderr
    tests = "\n".join(p.read_text() for p in (out / "tests").glob("*.py"))
    assert "_and_keras.compare import (\n" in tests
    assert_clean(out)
