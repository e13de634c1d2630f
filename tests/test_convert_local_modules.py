"""The notebook's own modules (``helpers.py`` beside it) travel with the project, as they are;
a module the code uses that no cell imports any more is imported again, and said so."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import DATA, code, markdown, write
from tests.test_convert import convert
from tests.test_convert_quality import generated_tests

MONKEY = DATA / "real" / "monkey_patch"


def _lint(project: Path) -> subprocess.CompletedProcess[str]:
    """ruff and black as the project configures them (its own files only)."""
    ruff = subprocess.run([sys.executable, "-m", "ruff", "check", "--select", "F,I,E9", "."],
                          cwd=project, capture_output=True, text=True, check=False)
    if ruff.returncode:
        return ruff
    return subprocess.run([sys.executable, "-m", "black", "--check", "-q", "."], cwd=project,
                          capture_output=True, text=True, check=False)


def test_a_module_beside_a_real_notebook_is_shipped_as_it_is(tmp_path: Path) -> None:
    # shawlu95/Data-Science-Toolbox data_structure/monkey_patch.ipynb: `import monk`, monk.py
    # beside it, neither formatted nor sorted as black and ruff would
    folder = tmp_path / "nb"
    shutil.copytree(MONKEY, folder)
    result = convert(str(folder / "monkey_patch.ipynb"), "-o", str(tmp_path / "project"))
    assert result.returncode == 0, result.stderr
    project = tmp_path / "project"
    assert (project / "src" / "monk.py").read_bytes() == (MONKEY / "monk.py").read_bytes()
    pyproject = (project / "pyproject.toml").read_text()
    assert 'py-modules = ["monk"]' in pyproject
    assert 'extend-exclude = ["src/monk.py"]' in pyproject
    assert "no dependency provides" not in result.stdout
    readme = (project / "README.md").read_text()
    assert "## The notebook's own modules" in readme and "- `src/monk.py`" in readme
    run = generated_tests(project)
    assert run.returncode == 0, run.stdout[-3000:]
    assert "monk" not in run.stdout  # no test skips for want of it
    lint = _lint(project)
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_the_modules_a_shipped_module_imports_come_too_and_their_packages_are_dependencies(
        tmp_path: Path) -> None:
    (tmp_path / "helpers.py").write_text("import extra\nimport numpy\n\n"
                                         "def double(x):\n    return extra.TWO * numpy.int64(x)\n")
    (tmp_path / "extra.py").write_text("TWO = 2\n")
    (tmp_path / "unused.py").write_text("X = 1\n")
    (tmp_path / "utils").mkdir()
    (tmp_path / "utils" / "__init__.py").write_text("")
    (tmp_path / "utils" / "text.py").write_text("from .core import up\n\n\ndef shout(s):\n"
                                                "    return up(s) + '!'\n")
    (tmp_path / "utils" / "core.py").write_text("def up(s):\n    return s.upper()\n")
    notebook = write(tmp_path, "demo.ipynb", [
        markdown("# Demo"),
        code("# doubling comes from our helpers\nfrom helpers import double\n"
             "import utils.text as ut", 1),
        code("print([int(double(i)) for i in range(3)], ut.shout('a'))", 2,
             outputs=[{"output_type": "stream", "name": "stdout", "text": "[0, 2, 4] A!\n"}]),
    ])
    result = convert(str(notebook), "-o", str(tmp_path / "project"))
    assert result.returncode == 0, result.stderr
    src = tmp_path / "project" / "src"
    shipped = sorted(p.relative_to(src).as_posix() for p in src.rglob("*.py")
                     if p.parent.name != "project")
    assert shipped == ["extra.py", "helpers.py", "utils/__init__.py", "utils/core.py",
                       "utils/text.py"]
    assert "numpy" in (tmp_path / "project" / "requirements.in").read_text()
    # one import block as isort lays it out: the notebook's modules are the project's own
    pipeline = (src / "project" / "pipeline.py").read_text()
    assert "# doubling comes from our helpers\nfrom helpers import double\n" \
           "from project.config import Config\n" in pipeline
    run = generated_tests(tmp_path / "project")
    assert run.returncode == 0, run.stdout[-3000:]
    assert "provide" not in run.stdout  # no test skips for want of a module
    lint = _lint(tmp_path / "project")
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_a_module_holding_a_secret_is_not_shipped_and_the_tests_skip(tmp_path: Path) -> None:
    key = "sk-" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0"
    (tmp_path / "client.py").write_text(f"API_KEY = {key!r}\n\ndef ask():\n    return 1\n")
    notebook = write(tmp_path, "demo.ipynb", [code("import client\nprint(client.ask())", 1)])
    result = convert(str(notebook), "-o", str(tmp_path / "project"))
    assert result.returncode == 0, result.stderr
    assert "its own module 'client', which is not shipped: it holds a secret" in result.stdout
    project = tmp_path / "project"
    assert not (project / "src" / "client.py").exists()
    assert not any(key in p.read_text(errors="replace") for p in project.rglob("*") if p.is_file())
    assert "- `client`" in (project / "README.md").read_text()  # under Modules to provide
    run = generated_tests(project)
    assert run.returncode == 0, run.stdout[-3000:]
    assert "provide the module client" in run.stdout


def test_the_script_template_keeps_the_module_beside_the_script(tmp_path: Path) -> None:
    folder = tmp_path / "nb"
    shutil.copytree(MONKEY, folder)
    result = convert(str(folder / "monkey_patch.ipynb"), "-o", str(tmp_path / "project"),
                     "--template", "script")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "project" / "monk.py").is_file()
    run = generated_tests(tmp_path / "project")
    assert run.returncode == 0, run.stdout[-3000:]
    lint = _lint(tmp_path / "project")
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_a_standard_module_whose_import_cell_is_gone_is_imported_again_under_force(
        tmp_path: Path) -> None:
    notebook = write(tmp_path, "demo.ipynb", [
        markdown("# Timing"),
        code("values = [i for i in range(3)]", 1),
        code("# when it ran\nstamp = time.time()\nprint(os.sep, values, test)", 3),
    ])
    refused = convert(str(notebook), "-o", str(tmp_path / "refused"))
    assert refused.returncode == 1  # NB202: a top-down run would fail
    result = convert(str(notebook), "-o", str(tmp_path / "project"), "--force")
    assert result.returncode == 0, result.stderr
    assert "cell 2, line 2: added `import time`" in result.stdout
    assert "cell 2, line 3: added `import os`" in result.stdout
    pipeline = (tmp_path / "project" / "src" / "project" / "pipeline.py").read_text()
    assert "import os\nimport time\n" in pipeline
    assert "config.time" not in pipeline and "config.os" not in pipeline
    assert "NB202 'time'" not in pipeline
    # a variable some deleted cell made is no module: it stays a required, flagged input
    assert "test = config.test" in pipeline and "NB202 'test'" in pipeline
    readme = (tmp_path / "project" / "README.md").read_text()
    assert "added `import time`" in readme


def _notebook_importing(folder: Path, *cells: str) -> Path:
    return write(folder, "nb.ipynb", [code(source, i + 1) for i, source in enumerate(cells)])


SECRET_SHAPES = [
    "# -*- coding: latin-1 -*-\n# caf\xe9\nAWS_KEY = 'AKIAIOSFODNN7EXAMPLE'\n",
    'DB_PASSWORD: str = "hunter22secret"\n', 'password = """hunter22secret"""\n',
    'import os\npassword = os.environ.get("DB_PW", "hunter22secret")\n',
    'password = b"hunter22secret"\n', 'PASSWORDS = ["hunter22secret"]\n',
    'password = \\\n    "hunter22x"\n',
]


@pytest.mark.parametrize("shape", SECRET_SHAPES)
def test_a_module_holding_a_secret_in_any_spelling_stays_behind(tmp_path: Path, shape: str) -> None:
    (tmp_path / "helpers.py").write_bytes((shape + "\n\ndef a():\n    return 1\n").encode("latin-1"))
    notebook = _notebook_importing(tmp_path, "import helpers", "print(helpers.a())")
    result = convert(str(notebook), "-o", str(tmp_path / "project"))
    assert result.returncode == 0, result.stderr
    assert "'helpers', which is not shipped: it holds a secret" in result.stdout
    assert not (tmp_path / "project" / "src" / "helpers.py").exists()


def test_a_module_reading_its_secret_from_the_environment_is_shipped(tmp_path: Path) -> None:
    (tmp_path / "helpers.py").write_text('import os\n\nPASSWORD = os.environ["DB_PASSWORD"]\n'
                                         'TOKEN = os.environ.get("API_TOKEN")\n')
    notebook = _notebook_importing(tmp_path, "import helpers", "print(helpers.TOKEN)")
    result = convert(str(notebook), "-o", str(tmp_path / "project"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "project" / "src" / "helpers.py").is_file()


def test_modules_that_are_no_plain_files_are_listed_never_read(tmp_path: Path) -> None:
    (tmp_path / "utils").mkdir()
    (tmp_path / "utils" / "__init__.py").write_text("x = 1\n")
    os.mkfifo(tmp_path / "utils" / "extra.py")  # reading it would block forever
    (tmp_path / "helpers.py").symlink_to(tmp_path / "gone.py")  # dangling
    notebook = _notebook_importing(tmp_path, "import utils\nimport helpers",
                                   "print(utils.x, helpers.x)")
    result = subprocess.run([sys.executable, "-m", "nb2prod", "convert", str(notebook), "-o",
                             str(tmp_path / "project")], capture_output=True, text=True,
                            timeout=120, check=False)  # (a read of the pipe would never end)
    assert result.returncode == 0, result.stderr
    assert "'utils', which is not shipped: utils/extra.py: not a regular file" in result.stdout
    assert "'helpers', which is not shipped: not a regular file" in result.stdout
    readme = (tmp_path / "project" / "README.md").read_text()
    assert "- `helpers`" in readme and "- `utils`" in readme


def test_local_files_named_like_the_standard_library_or_the_package(tmp_path: Path) -> None:
    (tmp_path / "json.py").write_text("import requests\n")  # Jupyter had the real json already
    notebook = _notebook_importing(tmp_path, "import json", "print(json.dumps(1))")
    result = convert(str(notebook), "-o", str(tmp_path / "project"))
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "project" / "src" / "json.py").exists()
    assert "requests" not in (tmp_path / "project" / "requirements.in").read_text()
    (tmp_path / "helpers.py").write_text("def double(v):\n    return 2 * v\n")
    same = _notebook_importing(tmp_path, "import helpers", "print(helpers.double(3))")
    refused = convert(str(same), "-o", str(tmp_path / "helpers"))
    assert refused.returncode == 2 and "has the name of the package" in refused.stderr
    assert refused.stderr.count("\n") == 1 and not (tmp_path / "helpers").exists()


def test_two_notebooks_with_different_helpers_of_one_name_are_refused(tmp_path: Path) -> None:
    for folder, value in (("a", "A"), ("b", "B")):
        (tmp_path / "p" / folder).mkdir(parents=True)
        (tmp_path / "p" / folder / "helpers.py").write_text(f"def v():\n    return {value!r}\n")
        _notebook_importing(tmp_path / "p" / folder, "import helpers", "print(helpers.v())")
    result = convert(str(tmp_path / "p"), "-r", "-o", str(tmp_path / "project"))
    assert result.returncode == 2
    assert "a/helpers.py and b/helpers.py would both be the module helpers" in result.stderr
    assert not (tmp_path / "project").exists()


def test_force_imports_only_a_module_whose_attributes_the_code_uses(tmp_path: Path) -> None:
    # `time.head()`: a DataFrame a deleted cell made, not the module
    notebook = write(tmp_path, "demo.ipynb", [code("import pandas as pd", 1),
                                              code("print(time.head())", 2)])
    result = convert(str(notebook), "-o", str(tmp_path / "project"), "--force")
    assert result.returncode == 0, result.stderr
    assert "added `import time`" not in result.stdout
    pipeline = (tmp_path / "project" / "src" / "project" / "pipeline.py").read_text()
    assert "time = config.time" in pipeline and "NB202 'time'" in pipeline


def test_star_imports_of_the_notebook_s_own_modules_name_what_they_provide(tmp_path: Path) -> None:
    # read from the shipped files (their __all__, else their public top-level names), never run
    (tmp_path / "helpers.py").write_text("def a():\n    return 1\n\n\nC = 3\n_hidden = 2\n")
    (tmp_path / "utils").mkdir()
    (tmp_path / "utils" / "__init__.py").write_text(
        '__all__ = ["b"]\n\n\ndef b():\n    return 1\n\n\ndef c():\n    return 2\n')
    notebook = _notebook_importing(tmp_path, "from helpers import *\nfrom utils import *",
                                   "print(a(), b(), C)")
    result = convert(str(notebook), "-o", str(tmp_path / "project"))
    assert result.returncode == 0, result.stderr
    pipeline = (tmp_path / "project" / "src" / "project" / "pipeline.py").read_text()
    assert "from helpers import C, a\n" in pipeline and "from utils import b\n" in pipeline
    assert "config." not in pipeline.split("def ", 1)[1]
    run = generated_tests(tmp_path / "project")
    assert run.returncode == 0, run.stdout[-3000:]


def test_a_shipped_module_that_writes_on_the_machine_makes_the_tests_ask(tmp_path: Path) -> None:
    # second hostile review: the notebook's own module wrote an absolute path, and the tests
    # (which run it) wrote there without asking; only the notebook's cells were checked
    victim = tmp_path / "victim"
    victim.mkdir()
    folder = tmp_path / "nb"
    folder.mkdir()
    (folder / "lithelp.py").write_text(
        f"def save(text):\n    open({str(victim / 'lit.txt')!r}, 'w').write(text)\n")
    notebook = write(folder, "lit.ipynb", [code("import lithelp", 1), code("lithelp.save('x')", 2)])
    result = convert(str(notebook), "-o", str(tmp_path / "project"))
    assert result.returncode == 0, result.stderr
    run = generated_tests(tmp_path / "project")
    assert f"open() writes '{victim / 'lit.txt'}' (lithelp.py, line 2)" in run.stdout
    assert not (victim / "lit.txt").exists()
