"""The one exception family of nb2prod: every error a user can cause, with a message for them.

The CLI catches :class:`Nb2prodError` once and prints ``error: <message>`` on one line with the
exit code the subclass names. Anything else escaping a command is an internal error (exit 3).
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


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
    except Exception as exc:  # the one place an unexpected error becomes a message
        if debug:
            raise
        _fail(f"internal error: {type(exc).__name__}: {exc}. This is a bug in nb2prod; please "
              "report it with the notebook that triggered it (run again with --debug for a "
              "traceback)", EXIT_INTERNAL)
    sys.exit(code if isinstance(code, int) else 0)


def _fail(message: str, code: int) -> None:
    import sys

    sys.stderr.write(f"error: {message}\n")
    sys.exit(code)
