"""`verify` runs untrusted notebooks: their installs and children must not outlive it, and the
user's environment (pip freeze) comes through unchanged."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import code, write
from tests.pin.wheels import make_wheel

pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")


def nb2prod(*args: str, cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "nb2prod", *args], capture_output=True, text=True,
                          cwd=cwd, check=False, timeout=timeout)


def freeze() -> str:
    return subprocess.run([sys.executable, "-m", "pip", "freeze", "--all"], capture_output=True,
                          text=True, check=True).stdout


def convert(tmp_path: Path, cells) -> tuple[Path, Path]:
    (tmp_path / "nb").mkdir()
    notebook = write(tmp_path / "nb", "analysis.ipynb", cells)
    project = tmp_path / "project"
    result = nb2prod("convert", str(notebook), "-o", str(project), "--force", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return notebook, project


def test_installs_during_verify_leave_the_users_environment_unchanged(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    for name in ("nbsafetya", "nbsafetyb", "nbsafetyc"):
        make_wheel(wheels, name, "1.0")
    options = f"--no-index --find-links {wheels} -q"
    notebook, project = convert(tmp_path, [
        code(f"%pip install {options} nbsafetya", 1),
        code(f"!pip install {options} nbsafetyb", 2),
        code(f"!python -m pip install {options} nbsafetyc", 3),
        code("import subprocess, sys\n"
             "done = subprocess.run([sys.executable, '-c', 'import nbsafetyb, nbsafetyc'])"
             ".returncode\nprint(done)", 4),
    ])
    before = freeze()
    result = nb2prod("verify", str(notebook), str(project), "--runs", "1", cwd=tmp_path)
    after = freeze()
    assert after == before
    assert "nbsafety" not in after
    # the installs did happen, inside the throwaway environment: the notebook could import both
    # (0); the project, which installs nothing, could not (1)
    assert "0 vs 1" in result.stdout, result.stdout + result.stderr


def test_a_detached_child_is_dead_soon_after_verify(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    notebook, project = convert(tmp_path, [code(
        "import subprocess, sys\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'], "
        "start_new_session=True)\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\nprint('started')", 1)])
    started = time.monotonic()
    nb2prod("verify", str(notebook), str(project), "--runs", "1", cwd=tmp_path, timeout=120)
    assert time.monotonic() - started < 100  # verify did not wait for the child
    pid = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.1)
    alive = _alive(pid)
    if alive:
        os.kill(pid, signal.SIGKILL)
    assert not alive


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie is dead, only not yet reaped
