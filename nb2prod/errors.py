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
