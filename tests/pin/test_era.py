"""When a notebook last ran, and locking its unpinned requirements as of then (--as-of)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from nb2prod.pin.era import git_commit_date, parse_date, run_date
from nb2prod.pin.lock import _pip_knows_upload_dates
from tests.helpers import code, load, ran, ran_on, stream, write
from tests.pin.simple_index import serve_index
from tests.pin.wheels import make_wheel

OWN_PYTHON = f"{sys.version_info[0]}.{sys.version_info[1]}"


def timed(source: str, count: int, when: str) -> dict:
    cell = code(source, count)
    cell["metadata"]["execution"] = {"iopub.execute_input": when, "iopub.status.idle": when,
                                     "shell.execute_reply": when}
    return cell


def test_the_latest_cell_timestamp_is_the_run_date() -> None:
    notebook = load([timed("import pandas", 1, "2019-03-04T10:01:02.123Z"),
                     timed("x = 1", 2, "2019-03-05T08:00:00.000Z"), "y = 2"])
    found = run_date(notebook)
    assert found is not None and found.iso == "2019-03-05T08:00:00Z"
    assert found.how == "execution timestamp of cell 1"


def test_watermark_and_papermill_dates() -> None:
    watermark = code("%load_ext watermark\n%watermark -v -p pandas", 1, [stream(
        "Last updated: 2018-06-01T12:30:00.665631+00:00\n\nPython implementation: CPython\n")])
    found = run_date(load([watermark]))
    assert found is not None and found.day == "2018-06-01"
    assert found.how == "date %watermark printed in cell 0"
    papermill = load(["x = 1"], papermill={"end_time": "2020-02-02T02:02:02.000000"})
    assert run_date(papermill).day == "2020-02-02"


def test_dates_printed_outside_watermark_and_impossible_dates_are_not_evidence() -> None:
    printed = code("print(df.date.max())", 1, [stream("2015-01-01 00:00:00\n")])
    assert run_date(load([printed])) is None
    assert parse_date("2031-01-01", "x") is None  # a clock in the future
    assert parse_date("1999-12-31", "x") is None
    assert parse_date("2019-02-30", "x") is None
    assert parse_date("yesterday", "x") is None


def _git(folder: Path, *args: str, date: str = "2017-08-09T10:00:00+00:00") -> None:
    environment = {**os.environ, "GIT_COMMITTER_DATE": date, "GIT_AUTHOR_DATE": date,
                   "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(folder)}
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-C",
                    str(folder), *args], check=True, capture_output=True, env=environment)


def test_git_commit_date_only_for_an_unmodified_committed_file(tmp_path: Path) -> None:
    notebook = write(tmp_path, "nb.ipynb", ran("import pandas"))
    assert git_commit_date(str(notebook)) is None  # not a repository
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "nb.ipynb")
    _git(tmp_path, "commit", "-q", "-m", "add")
    found = git_commit_date(str(notebook))
    assert found is not None and found.day == "2017-08-09"
    notebook.write_text(notebook.read_text() + "\n")
    assert git_commit_date(str(notebook)) is None  # edited since: it may have run later


def pin(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "nb2prod", "pin", *args], capture_output=True,
                          text=True, cwd=cwd, check=False)


def test_a_bad_as_of_is_a_one_line_usage_error(tmp_path: Path) -> None:
    notebook = write(tmp_path, "nb.ipynb", ran("import pandas"))
    result = pin(str(notebook), "--as-of", "last tuesday", "--no-compile", cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "--as-of 'last tuesday' is not a date" in result.stderr
    assert not (tmp_path / "requirements.in").exists()


@pytest.fixture
def dated_index(tmp_path: Path):
    folder = tmp_path / "wheels"
    folder.mkdir()
    wheels = {make_wheel(folder, "fakeera", "1.0"): "2018-05-01T00:00:00Z",
              make_wheel(folder, "fakeera", "2.0"): "2023-05-01T00:00:00Z"}
    with serve_index(wheels) as url:
        yield url


@pytest.mark.skipif(not _pip_knows_upload_dates(sys.executable),
                    reason="this environment's pip predates --uploaded-prior-to (pip 26); "
                    "nb2prod would install one in a temporary environment, which needs the network")
def test_unpinned_requirements_lock_to_the_release_current_when_the_notebook_ran(
        tmp_path: Path, dated_index: str) -> None:
    cells = [timed("import fakeera", 1, "2019-03-04T10:00:00Z")]
    notebook = write(tmp_path, "nb.ipynb", cells, **ran_on(OWN_PYTHON))
    result = pin(str(notebook), "--no-env", "--index-url", dated_index, "-o", "dated",
                 cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "resolve as of 2019-03-04 (execution timestamp of cell 0)" in result.stdout
    requirements_in = (tmp_path / "dated" / "requirements.in").read_text()
    assert "--uploaded-prior-to 2019-03-04T10:00:00Z" in requirements_in
    assert "fakeera==1.0" in (tmp_path / "dated" / "requirements.txt").read_text()
    latest = pin(str(notebook), "--no-env", "--index-url", dated_index, "--as-of", "none",
                 "-o", "latest", cwd=tmp_path)
    assert latest.returncode == 0, latest.stderr
    assert "fakeera==2.0" in (tmp_path / "latest" / "requirements.txt").read_text()
    chosen = pin(str(notebook), "--no-env", "--index-url", dated_index, "--as-of", "2024-01-01",
                 "-o", "chosen", cwd=tmp_path)
    assert chosen.returncode == 0, chosen.stderr
    assert "fakeera==2.0" in (tmp_path / "chosen" / "requirements.txt").read_text()


def test_without_a_date_check_fails_and_with_one_it_passes(tmp_path: Path) -> None:
    bare = write(tmp_path, "bare.ipynb", ran("import yaml"))
    assert pin(str(bare), "--check", "--no-env", cwd=tmp_path).returncode == 1
    dated = write(tmp_path, "dated.ipynb", [timed("import yaml", 1, "2019-03-04T10:00:00Z")])
    assert pin(str(dated), "--check", "--no-env", cwd=tmp_path).returncode == 0
    guessed = write(tmp_path, "guessed.ipynb", [timed("import fakeera", 1, "2019-03-04T10:00:00Z")])
    result = pin(str(guessed), "--check", "--no-env", cwd=tmp_path)
    assert result.returncode == 1 and "fakeera is unconfirmed" in result.stdout
