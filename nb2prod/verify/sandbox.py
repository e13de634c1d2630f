"""A throwaway environment for `verify`: what the notebook installs or starts does not outlive it.

Each run gets a virtual environment layered on the user's interpreter (``--system-site-packages``:
the user's packages are importable, nothing is installed into them), with ``pip`` shims that
install into the layer, its ``bin/`` first on PATH, ``HOME`` in the temporary folder,
``PYTHONNOUSERSITE=1`` and ``PIP_USER=0``. The kernel is started from the layer's interpreter
through a kernelspec of our own, never one that may point at the user's interpreter.

Every process of a run carries a marker in its environment; at the end (and on a timeout) the
run's process group and every process still carrying the marker are killed, so a child that
detached into its own session does not outlive `verify`.

Not isolated: writes to absolute paths outside the temporary folder, system package managers
(``!apt-get``), and the network.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from nb2prod.errors import UsageError

MARKER = "NB2PROD_VERIFY_RUN"
KERNEL_NAME = "nb2prod-verify"
PIP_SHIM = """#!{python}
import sys
from pip._internal.cli.main import main
sys.exit(main())
"""


@dataclass(frozen=True)
class Sandbox:
    python: str  # the layer's interpreter
    env: dict[str, str]  # environment for every process of the run
    marker: str

    def run(self, argv: list[str], cwd: Path, timeout: int, log: Path,
            extra_env: dict[str, str] | None = None) -> tuple[int | None, str, str]:
        """Run ``argv`` in its own session; returns (exit code or None on timeout, stdout, stderr).

        Output goes to files, not pipes: a detached grandchild holding a pipe open must not
        make us wait for it.
        """
        out_path, err_path = log.with_suffix(".out"), log.with_suffix(".err")
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            process = subprocess.Popen(argv, cwd=cwd, env={**self.env, **(extra_env or {})},
                                       stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                       start_new_session=True)
            try:
                code: int | None = process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                code = None
            finally:
                self.kill_all(process.pid)
        read = lambda p: p.read_text(encoding="utf-8", errors="replace")  # noqa: E731
        return code, read(out_path), read(err_path)

    def kill_all(self, group: int | None = None) -> None:
        """Kill the run's process group and every process that still carries its marker."""
        if group is not None:
            _signal_group(group)
        for _ in range(3):
            survivors = marked_processes(self.marker)
            if not survivors:
                return
            for pid in survivors:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.05)


def create_sandbox(python: str, folder: Path) -> Sandbox:
    """A virtual environment in ``folder`` layered on ``python``, and the environment to run in."""
    venv = folder / "venv"
    result = subprocess.run([python, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise UsageError(f"{python}: cannot create the throwaway environment verify runs in ({last})")
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    layer_python = str(bindir / ("python.exe" if os.name == "nt" else "python"))
    _layer_on(python, layer_python)
    _pip_shims(bindir, layer_python)
    kernels = folder / "jupyter"
    _kernelspec(kernels / "kernels" / KERNEL_NAME, layer_python)
    home = folder / "home"
    home.mkdir()
    marker = secrets.token_hex(8)
    env = {k: v for k, v in os.environ.items()
           if k not in {"PYTHONHOME", "PYTHONUSERBASE", "PIP_TARGET", "PIP_PREFIX", "CONDA_PREFIX"}}
    env.update({
        "PATH": f"{bindir}{os.pathsep}{env.get('PATH', '')}", "VIRTUAL_ENV": str(venv),
        "HOME": str(home), "PYTHONNOUSERSITE": "1", "PIP_USER": "0",
        "JUPYTER_PATH": str(kernels), "JUPYTER_DATA_DIR": str(kernels), "MPLBACKEND": "Agg",
        "JUPYTER_PLATFORM_DIRS": "1", MARKER: marker,
    })
    return Sandbox(layer_python, env, marker)


def _layer_on(python: str, layer_python: str) -> None:
    """Make the user's packages importable in the layer, after its own: ``--system-site-packages``
    reaches only the base interpreter's, not those of the virtual environment ``python`` may be.
    ``site.addsitedir`` also runs their ``.pth`` files (editable installs)."""
    purelib = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    where = subprocess.run([layer_python, "-c", purelib], capture_output=True, text=True, check=False)
    if where.returncode != 0:
        raise UsageError(f"{python}: cannot inspect the interpreter verify layers its environment on")
    lines = [f"import site; site.addsitedir({path!r})" for path in _site_dirs(python)]
    target = Path(where.stdout.strip())
    target.mkdir(parents=True, exist_ok=True)
    (target / "_nb2prod_user_packages.pth").write_text("\n".join(lines) + "\n", encoding="utf-8")


@functools.lru_cache(maxsize=4)
def _site_dirs(python: str) -> tuple[str, ...]:
    """The site-packages folders of ``python`` (asked once per interpreter: every run of one
    verify layers on the same one)."""
    probe = ("import json, sys; print(json.dumps([p for p in sys.path "
             "if p.endswith(('site-packages', 'dist-packages'))]))")
    found = subprocess.run([python, "-c", probe], capture_output=True, text=True, check=False)
    if found.returncode != 0:
        raise UsageError(f"{python}: cannot inspect the interpreter verify layers its environment on")
    return tuple(json.loads(found.stdout))


def _pip_shims(bindir: Path, python: str) -> None:
    """`!pip` and `pip3` resolve to the layer's pip (the user's pip package, run by the layer's
    interpreter, so it installs into the layer)."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    for name in ("pip", "pip3", f"pip{version}"):
        shim = bindir / name
        shim.write_text(PIP_SHIM.format(python=python), encoding="utf-8")
        shim.chmod(0o755)


def _kernelspec(folder: Path, python: str) -> None:
    folder.mkdir(parents=True)
    spec = {"argv": [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "nb2prod verify (throwaway environment)", "language": "python",
            "env": {}}
    (folder / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")


def marked_processes(marker: str) -> list[int]:
    """Processes whose environment carries ``marker`` (Linux: /proc; elsewhere none are found)."""
    needle = f"{MARKER}={marker}".encode()
    found = []
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _signal_group(group: int) -> None:
    with contextlib.suppress(OSError):
        os.killpg(group, signal.SIGKILL)
