"""convert and pin replace or delete only their own unedited files, and never write where the
user's work is: the notebook's folder, its parents, /, home."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import ran, write

EXAMPLE = Path(__file__).resolve().parent.parent.parent / "examples" / "churn"


def nb2prod(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "nb2prod", *args], capture_output=True, text=True,
                          cwd=cwd, check=False, env={**os.environ, **env}, timeout=300)


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A notebook folder holding a user's other work."""
    folder = tmp_path / "analysis"
    folder.mkdir()
    write(folder, "nb.ipynb", ran("import json\nvalues = [1, 2, 3]", "print(json.dumps(values))"))
    (folder / "NOTES.md").write_text("my notes")
    (folder / "data.csv").write_text("a,b\n1,2\n")
    return folder


def listing(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


@pytest.mark.parametrize("output", [".", "analysis", "analysis/", "./analysis/../analysis", "..",
                                    "link"])
def test_refuses_the_notebooks_folder_and_its_parents(source: Path, output: str) -> None:
    (source.parent / "link").symlink_to(source)
    before = listing(source.parent)
    cwd = source if output == "." else source.parent
    result = nb2prod("convert", str(source / "nb.ipynb"), "-o", output, "--force", "--overwrite",
                     cwd=cwd)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert "notebook's own folder" in result.stderr and "Traceback" not in result.stderr
    assert listing(source.parent) == before


def test_refuses_root_and_home(source: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    for output, where in (("/", "root"), (str(home), "home")):
        result = nb2prod("convert", str(source / "nb.ipynb"), "-o", output, cwd=tmp_path, HOME=str(home))
        assert result.returncode == 2 and where in result.stderr, result.stderr
    assert list(home.iterdir()) == []


def test_reconverting_keeps_git_venv_and_notes(source: Path, tmp_path: Path) -> None:
    out = tmp_path / "project"
    for folder in (".git/objects", ".venv/lib"):
        (out / folder).mkdir(parents=True)
        (out / folder / "keep").write_text(folder)
    (out / "NOTES.md").write_text("mine")
    assert nb2prod("convert", str(source / "nb.ipynb"), "-o", str(out), cwd=tmp_path).returncode == 0
    again = nb2prod("convert", str(source / "nb.ipynb"), "-o", str(out), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert (out / ".git/objects/keep").read_text() == ".git/objects"
    assert (out / ".venv/lib/keep").read_text() == ".venv/lib"
    assert (out / "NOTES.md").read_text() == "mine"
    assert (out / ".nb2prod/manifest.json").is_file()
    assert oct(out.stat().st_mode & 0o777) != "0o700"


def test_an_edited_own_file_is_the_users(source: Path, tmp_path: Path) -> None:
    out = tmp_path / "project"
    assert nb2prod("convert", str(source / "nb.ipynb"), "-o", str(out), cwd=tmp_path).returncode == 0
    readme = out / "README.md"
    readme.write_text(readme.read_text() + "\nmy edit\n")
    refused = nb2prod("convert", str(source / "nb.ipynb"), "-o", str(out), cwd=tmp_path)
    assert refused.returncode == 2 and "README.md" in refused.stderr and "--overwrite" in refused.stderr
    assert "my edit" in readme.read_text()
    (out / "mine.txt").write_text("keep")
    replaced = nb2prod("convert", str(source / "nb.ipynb"), "-o", str(out), "--overwrite", cwd=tmp_path)
    assert replaced.returncode == 0, replaced.stderr
    assert "my edit" not in readme.read_text() and (out / "mine.txt").read_text() == "keep"


def test_own_files_no_longer_generated_are_removed_only_when_unedited(source: Path,
                                                                      tmp_path: Path) -> None:
    out = tmp_path / "project"
    assert nb2prod("convert", str(source / "nb.ipynb"), "-o", str(out), cwd=tmp_path).returncode == 0
    package = next((out / "src").iterdir()).name
    # a different project name: the old package's files are nb2prod's, unedited -> removed...
    edited = out / "src" / package / "cli.py"
    edited.write_text(edited.read_text() + "# mine\n")
    result = nb2prod("convert", str(source / "nb.ipynb"), "-o", str(out), "--name", "renamed",
                     cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert not (out / "src" / package / "pipeline.py").exists()
    # ...except the one a person edited, which is kept and named
    assert edited.read_text().endswith("# mine\n") and "kept" in result.stdout
    assert (out / "src" / "renamed" / "pipeline.py").is_file()


def test_two_converts_racing_into_one_folder_have_one_winner(source: Path, tmp_path: Path) -> None:
    out = tmp_path / "project"
    command = [sys.executable, "-m", "nb2prod", "convert", str(source / "nb.ipynb"), "-o", str(out)]
    racers = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
              for _ in range(2)]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in racers]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    assert any("another nb2prod run is writing" in err for _, err in results)
    assert not list(out.glob(".nb2prod-staging-*"))


def test_a_killed_runs_staging_folder_is_removed_next_time(source: Path, tmp_path: Path) -> None:
    out = tmp_path / "project"
    out.mkdir()
    leftover = out / ".nb2prod-staging-999-dead"
    (leftover / "src").mkdir(parents=True)
    assert nb2prod("convert", str(source / "nb.ipynb"), "-o", str(out), cwd=tmp_path).returncode == 0
    assert not leftover.exists()


def test_sigterm_during_conversion_leaves_nothing(source: Path, tmp_path: Path) -> None:
    out = tmp_path / "project"
    process = subprocess.Popen([sys.executable, "-m", "nb2prod", "convert", str(source / "nb.ipynb"),
                                "-o", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while not out.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)
    # no hidden leftovers: no staging folder, nothing beside the output folder
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    if out.exists():
        assert not list(out.glob(".nb2prod-staging-*"))
        contents = [p.name for p in out.iterdir()]
        assert contents == [] or (out / ".nb2prod" / "manifest.json").is_file(), contents


def test_a_symlinked_output_is_written_through(source: Path, tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "out").symlink_to(real)
    assert nb2prod("convert", str(source / "nb.ipynb"), "-o", "out", cwd=tmp_path).returncode == 0
    assert (tmp_path / "out").is_symlink() and (real / "README.md").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["analysis", "out", "real"]


def test_pin_replaces_only_its_own_unedited_files(source: Path) -> None:
    notebook = source / "nb.ipynb"
    assert nb2prod("pin", str(notebook), "--no-compile", "--no-env", cwd=source).returncode == 0
    requirements = source / "requirements.in"
    assert nb2prod("pin", str(notebook), "--no-compile", "--no-env", cwd=source).returncode == 0
    # an edit makes it the user's, even though it still says nb2prod
    requirements.write_text(requirements.read_text() + "django==4.2  # added by hand\n")
    refused = nb2prod("pin", str(notebook), "--no-compile", "--no-env", cwd=source)
    assert refused.returncode == 2 and "--overwrite" in refused.stderr
    assert "added by hand" in requirements.read_text()
    # a hand-written file that merely mentions nb2prod is the user's too
    requirements.write_text("# not from nb2prod pin\nflask\n")
    assert nb2prod("pin", str(notebook), "--no-compile", "--no-env", cwd=source).returncode == 2
    assert requirements.read_text() == "# not from nb2prod pin\nflask\n"
    assert nb2prod("pin", str(notebook), "--no-compile", "--no-env", "--overwrite",
                   cwd=source).returncode == 0
    assert "flask" not in requirements.read_text()


def test_never_deletes_through_a_parent_turned_symlink(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    write(first, "nb.ipynb", ran("print(open('x.csv').read())"))
    (first / "x.csv").write_text("precious")
    write(second, "nb.ipynb", ran("print(1)"))
    out = tmp_path / "out"
    assert nb2prod("convert", str(first / "nb.ipynb"), "-o", str(out), cwd=tmp_path).returncode == 0
    shipped = next(out.rglob("x.csv"))
    import shutil

    shutil.rmtree(shipped.parent)
    shipped.parent.symlink_to(first)  # tests/data/... now leads to the user's own folder
    result = nb2prod("convert", str(second / "nb.ipynb"), "-o", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (first / "x.csv").read_text() == "precious"
