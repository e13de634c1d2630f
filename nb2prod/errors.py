"""The one exception family of nb2prod: every error a user can cause, with a message for them.

The CLI catches :class:`Nb2prodError` once and prints ``error: <message>`` on one line with the
exit code the subclass names. Anything else escaping a command is an internal error (exit 3).
"""

from __future__ import annotations

import errno

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
# what a machine runs out of (disk space, quota, a read-only file system): the user's to fix
_MACHINE_LIMITS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS})


class Nb2prodError(Exception):
    """Base class: a problem the user can fix, described in one line."""

    exit_code = EXIT_USAGE


class UsageError(Nb2prodError):
    """Bad command-line arguments or configuration."""


class NotebookReadError(Nb2prodError):
    """A file that cannot be read as a notebook."""

    def __init__(self, path: object, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


class UnsupportedNotebookError(NotebookReadError):
    """A readable notebook nb2prod does not handle (for example a non-Python kernel)."""


class ConfigError(Nb2prodError):
    """An invalid ``[tool.nb2prod]`` table or option value."""


def run_guarded(call, debug: bool) -> None:
    """Run a command and exit with its code; every error becomes one line on stderr and an exit
    code (2: the user's to fix, 3: nb2prod's bug), never a traceback unless ``debug``."""
    import sys

    try:
        code = call()
    except Nb2prodError as exc:
        _fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    except BrokenPipeError:
        sys.exit(0)
    except OSError as exc:
        if exc.errno not in _MACHINE_LIMITS:
            _internal(exc, debug)
        where = (f" ({exc.filename}): make room or choose another folder" if exc.filename
                 else ": make room")
        _fail(f"{exc.strerror}{where}, and run again", EXIT_USAGE)
    except Exception as exc:  # the one place an unexpected error becomes a message
        _internal(exc, debug)
    sys.exit(code if isinstance(code, int) else 0)


def _internal(exc: Exception, debug: bool) -> None:
    if debug:
        raise exc
    _fail(f"internal error: {type(exc).__name__}: {exc}. This is a bug in nb2prod; please "
          "report it with the notebook that triggered it (run again with --debug for a "
          "traceback)", EXIT_INTERNAL)


def write_output(text: str) -> None:
    """Write a command's report to stdout. A reader that went away (``nb2prod check | head -1``)
    is no error: the rest of the report goes nowhere, and the command still exits with the code
    its findings give, not with one that depends on how fast the reader closed."""
    import os
    import sys

    if sys.stdout is None:  # (started with stdout closed: `nb2prod check >&-`)
        return
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # (what is still buffered goes there too)
            os.close(devnull)
        except (OSError, ValueError, AttributeError):  # (a stream without a file: in-process)
            pass


def _fail(message: str, code: int) -> None:
    import sys

    sys.stderr.write(f"error: {message}\n")
    sys.exit(code)
