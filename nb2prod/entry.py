"""The ``nb2prod`` console script: a fast path for the hot command, the full CLI for the rest.

A pre-commit hook runs ``nb2prod check FILES`` on every commit, mostly on notebooks its cache
already knows; loading the full command-line framework (typer, with pydantic) costs more than
answering from the cache. A plain ``check`` invocation, whose every argument is a path or one of
the options below, is parsed here and run directly; anything else (help, fixes, other commands,
an option this parser does not know) goes to :mod:`nb2prod.cli`, which parses it the usual way.
"""

from __future__ import annotations

import sys
from pathlib import Path

_VALUE_OPTIONS = {"--format": "output_format", "--select": "select", "--ignore": "ignore",
                  "--jobs": "jobs", "-j": "jobs", "--config": "config"}
_FLAGS = {"--exit-zero": "exit_zero", "--statistics": "statistics",
          "--show-source": "show_source", "--no-cache": "cache"}


def main(argv: list[str] | None = None) -> None:
    _closed_streams_to_devnull()
    if argv is None:  # the console script (a call with arguments is a caller's, in-process)
        _exit_at_once(lambda: _main(sys.argv[1:]))
    _main(argv)


def _closed_streams_to_devnull() -> None:
    """A process started with stdout or stderr closed (``nb2prod check x 2>&-``) has None for
    them: what would go there goes nowhere, and the command runs as it would otherwise."""
    import os

    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115


def _exit_at_once(run) -> None:
    """Run the command, then end the process without taking its heap apart: a convert of a
    large notebook holds hundreds of megabytes of syntax trees, and freeing them object by
    object at exit took most of a second. Exit handlers still run (temporary folders, logging),
    and every file was written and closed before."""
    import atexit
    import contextlib
    import os

    try:
        run()
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    if code is not None and not isinstance(code, int):
        sys.stderr.write(f"{code}\n")
        code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):  # (never None: see _closed_streams_to_devnull)
        # (a reader that went away, a stream closed)
        with contextlib.suppress(BrokenPipeError, ValueError):
            stream.flush()
    os._exit(code or 0)


def _main(args: list[str]) -> None:
    options = fast_check_options(args)
    if options is None:
        from nb2prod.cli import main as full

        full(args)
        return
    from nb2prod.commands.check import run_check
    from nb2prod.errors import run_guarded

    run_guarded(lambda: run_check(options), debug=False)


def fast_check_options(args: list[str]):
    """CheckOptions for a plain ``check`` invocation, or None for anything else."""
    if not args or args[0] != "check":
        return None
    values: dict = {"select": [], "ignore": []}
    paths: list[Path] = []
    tokens = iter(args[1:])
    for token in tokens:
        option, equals, inline = token.partition("=")
        if option in _VALUE_OPTIONS:
            value = inline if equals else next(tokens, None)
            if value is None or not _store(values, _VALUE_OPTIONS[option], value):
                return None
        elif token in _FLAGS and not equals:
            values[_FLAGS[token]] = token != "--no-cache"
        elif token.startswith("-") or not token:
            return None  # help, fixes, `--`, or an option only the full parser knows
        else:
            paths.append(Path(token))
    if not paths:
        return None
    from nb2prod.commands.check import CheckOptions

    return CheckOptions(paths=tuple(paths), select=tuple(values.pop("select")),
                        ignore=tuple(values.pop("ignore")), **values)


def _store(values: dict, field: str, value: str) -> bool:
    if field in {"select", "ignore"}:
        values[field].append(value)
    elif field == "jobs":
        if not value.lstrip("-").isdigit():
            return False  # the full parser words this error
        values[field] = int(value)
    elif field == "config":
        values[field] = Path(value)
    else:
        values[field] = value
    return True
