"""`nb2prod pin` end to end, locking with pip-compile against a local folder of wheels (offline)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ran, ran_on, write
from tests.pin.wheels import make_wheel


def pin(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "nb2prod", "pin", *args], capture_output=True,
                          text=True, cwd=cwd, check=False)


@pytest.fixture
def wheels(tmp_path: Path) -> Path:
    folder = tmp_path / "wheels"
    folder.mkdir()
    make_wheel(folder, "fakepkg", "1.0", requires=("fakedep>=2",))
    make_wheel(folder, "fakepkg", "2.0")
    make_wheel(folder, "fakedep", "2.5")
    return folder


def test_lock_with_pip_compile_offline(tmp_path: Path, wheels: Path) -> None:
    notebook = write(tmp_path, "nb.ipynb", ran("!pip install fakepkg==1.0", "import fakepkg"))
    out = tmp_path / "out"
    result = pin(str(notebook), "-o", str(out), "--no-env", "--no-index", "--find-links",
                 str(wheels), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "fakepkg==1.0  # import fakepkg; pinned by pip install in cell 0" in (
        out / "requirements.in").read_text()
    lock = (out / "requirements.txt").read_text()
    assert "fakepkg==1.0" in lock and "fakedep==2.5" in lock  # the full tree, transitively
    assert str(tmp_path) not in lock  # no temporary paths leak into the lock


def test_resolution_failure_names_the_pin_and_keeps_requirements_in(tmp_path: Path, wheels: Path) -> None:
    notebook = write(tmp_path, "nb.ipynb", ran("!pip install fakepkg==3.0", "import fakepkg"))
    result = pin(str(notebook), "--no-env", "--no-index", "--find-links", str(wheels), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("error: pip-compile could not lock the requirements")
    assert "fakepkg==3.0" in result.stderr and result.stderr.count("\n") == 1
    assert (tmp_path / "requirements.in").is_file()
    assert not (tmp_path / "requirements.txt").exists()


def test_check_mode_fails_without_version_evidence_and_writes_nothing(tmp_path: Path) -> None:
    notebook = write(tmp_path, "nb.ipynb", ran("import fakepkg\nimport utils"))
    result = pin(str(notebook), "--check", "--no-env", cwd=tmp_path)
    assert result.returncode == 1
    assert "fakepkg: fakepkg has no version evidence" in result.stdout
    assert "utils: unresolved" in result.stdout
    assert not (tmp_path / "requirements.in").exists()
    pinned = write(tmp_path, "ok.ipynb", ran("!pip install fakepkg==1.0", "import fakepkg"))
    assert pin(str(pinned), "--check", "--no-env", cwd=tmp_path).returncode == 0


def test_refuses_to_overwrite_a_hand_written_requirements_file(tmp_path: Path) -> None:
    notebook = write(tmp_path, "nb.ipynb", ran("import fakepkg"))
    (tmp_path / "requirements.in").write_text("django\n")
    result = pin(str(notebook), "--no-compile", "--no-env", cwd=tmp_path)
    assert result.returncode == 2 and "requirements.in" in result.stderr and "--overwrite" in result.stderr
    assert (tmp_path / "requirements.in").read_text() == "django\n"
    assert pin(str(notebook), "--no-compile", "--no-env", "--overwrite", cwd=tmp_path).returncode == 0
    assert "fakepkg" in (tmp_path / "requirements.in").read_text()


def test_dry_run_and_text_report(tmp_path: Path) -> None:
    notebook = write(tmp_path, "nb.ipynb", ran("import sklearn\nimport google.colab"))
    result = pin(str(notebook), "--dry-run", "--no-env", "--no-compile", cwd=tmp_path)
    assert result.returncode == 0
    assert "scikit-learn" in result.stdout and "unresolved: google.colab" in result.stdout
    assert list(tmp_path.iterdir()) == [notebook]


def test_unreadable_notebook_is_a_one_line_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{")
    result = pin(str(bad), cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "not valid JSON" in result.stderr
    assert list(tmp_path.iterdir()) == [bad]


def test_kernel_interpreter_versions(tmp_path: Path) -> None:
    this = f"{sys.version_info[0]}.{sys.version_info[1]}.1"
    notebook = write(tmp_path, "nb.ipynb", ran("import pytest"), **ran_on(this))
    result = pin(str(notebook), "--python", sys.executable, "--no-compile", "--format", "json",
                 cwd=tmp_path)
    [requirement] = json.loads(result.stdout)["requirements"]
    assert requirement["distribution"] == "pytest" and requirement["version"]
    assert requirement["evidence"].startswith("installed in the environment of ")
    # the same interpreter says nothing about a notebook that last ran on another Python
    old = write(tmp_path, "old.ipynb", ran("import pytest"), **ran_on("3.6.9"))
    result = pin(str(old), "--python", sys.executable, "--no-compile", "--format", "json",
                 cwd=tmp_path)
    [requirement] = json.loads(result.stdout)["requirements"]
    assert requirement["version"] is None and requirement["evidence"] == "no version evidence"
    assert "the notebook last ran on Python 3.6" in json.loads(result.stdout)["environment_note"]
    missing = pin(str(notebook), "--python", str(tmp_path / "nope"), cwd=tmp_path)
    assert missing.returncode == 2 and "no such interpreter" in missing.stderr


def test_a_lock_is_made_only_on_the_notebooks_python(tmp_path: Path) -> None:
    from nb2prod.pin.lock import lock_interpreter

    this = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert lock_interpreter(this) == (sys.executable, "")
    assert lock_interpreter(None)[1].startswith("the notebook does not record its Python")
    python, note = lock_interpreter("3.1")  # no such Python here: no lock of another era
    assert python is None and note.startswith("no lock: the notebook last ran on Python 3.1")
    notebook = write(tmp_path, "old.ipynb", ran("import json"), **ran_on("3.1.5"))
    result = pin(str(notebook), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "note: no lock: the notebook last ran on Python 3.1" in result.stdout
    assert (tmp_path / "requirements.in").exists() and not (tmp_path / "requirements.txt").exists()


def test_the_kernel_the_notebook_names_is_its_environment(tmp_path: Path) -> None:
    kernels = tmp_path / "jupyter" / "kernels" / "analysis-env"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps(
        {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
         "display_name": "analysis", "language": "python"}))
    this = f"{sys.version_info[0]}.{sys.version_info[1]}.0"
    for kernel, label in [("analysis-env", f"installed in the environment of {sys.executable}"),
                          ("python3", "installed in the current environment")]:
        notebook = write(tmp_path, f"{kernel}.ipynb", ran("import pytest"), **ran_on(this),
                         kernelspec={"name": kernel, "language": "python"})
        result = subprocess.run([sys.executable, "-m", "nb2prod", "pin", str(notebook),
                                 "--no-compile", "--dry-run", "--format", "json"],
                                capture_output=True, text=True, cwd=tmp_path, check=False,
                                env={**os.environ, "JUPYTER_PATH": str(tmp_path / "jupyter")})
        [requirement] = json.loads(result.stdout)["requirements"]
        assert requirement["evidence"] == label, kernel


def test_hostile_notebook_text_never_becomes_requirements_lines_or_runs(tmp_path: Path) -> None:
    # an import_module() string with newlines would add `--index-url` lines to requirements.in
    notebook = write(tmp_path, "inject.ipynb", ran(
        'import importlib\nm = importlib.import_module("x\\n--index-url http://127.0.0.1:1/simple\\n#")\n'
        '!pip install "attrs==19.1.0 --hash=sha256:00" scipy==1.2.3junk tqdm=='))
    result = pin(str(notebook), "--no-compile", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "requirements.in").read_text()
    assert not [line for line in text.splitlines() if line.startswith("-")]
    assert "index-url" not in text and "hash" not in text and "junk" not in text
    # a kernelspec the notebook names runs only when it is a Python kernel
    spec = tmp_path / "jupyter" / "kernels" / "r-env"
    spec.mkdir(parents=True)
    marker = tmp_path / "ran"
    script = tmp_path / "fake-kernel"
    script.write_text(f"#!/bin/sh\ntouch {marker}\necho '{{}}'\n")
    script.chmod(0o755)
    (spec / "kernel.json").write_text(json.dumps({"argv": [str(script)], "language": "R"}))
    named = write(tmp_path, "named.ipynb", ran("import json"), kernelspec={"name": "r-env"})
    run = subprocess.run([sys.executable, "-m", "nb2prod", "pin", str(named), "--no-compile",
                          "--dry-run"], capture_output=True, text=True, cwd=tmp_path, check=False,
                         env={**os.environ, "JUPYTER_PATH": str(tmp_path / "jupyter")})
    assert run.returncode == 0 and not marker.exists()
    # --python that does not answer as Python does: exit 2, one line, no traceback
    garbage = pin(str(named), "--python", str(script), "--no-compile", "--dry-run", cwd=tmp_path)
    assert garbage.returncode == 2 and "Traceback" not in garbage.stderr
    assert len(garbage.stderr.strip().splitlines()) == 1
