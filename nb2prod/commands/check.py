"""``nb2prod check``: lint notebooks and print findings in the chosen format."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from nb2prod import api, report
from nb2prod.cache import CACHE_FOLDER
from nb2prod.config import build_settings, find_pyproject, load_table
from nb2prod.errors import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, UsageError, write_output
from nb2prod.findings import INFO
from nb2prod.rules import ALL_RULES

PROGRESS_THRESHOLD = 20  # files; fewer finish before a bar is worth drawing


@dataclass(frozen=True)
class CheckOptions:
    paths: tuple[Path, ...]
    output_format: str = "text"
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    exit_zero: bool = False
    statistics: bool = False
    show_source: bool = False
    jobs: int | None = None
    config: Path | None = None
    fix: bool = False
    diff: bool = False
    fixes: str = "reorder,outputs"
    cache: bool = True


def run_check(options: CheckOptions) -> int:
    if options.output_format not in report.FORMATS:
        raise UsageError(f"unknown --format {options.output_format!r} "
                         f"(choose from {', '.join(report.FORMATS)})")
    if options.jobs is not None and options.jobs < 0:
        raise UsageError("--jobs must be 0 (one per core) or more")
    if options.fixes != CheckOptions.fixes and not (options.fix or options.diff):
        raise UsageError("--fixes chooses what --fix or --diff does: add one of them")
    settings = _settings(options)
    fix_failed = False
    if options.fix or options.diff:
        changed, fix_failed = _fix(options)
        if options.diff:
            return EXIT_USAGE if fix_failed else EXIT_FINDINGS if changed else EXIT_OK
    progress = _progress_bar() if sys.stderr.isatty() else None
    folders = _folders(options.paths, settings)
    results = api.check_paths(options.paths, settings, options.jobs, progress,
                              settings.root / CACHE_FOLDER if options.cache else None,
                              exchange=bool(folders))
    findings = [f for r in results for f in r.findings] + _folder_findings(folders, results,
                                                                         settings)
    errors = [r.error for r in results if r.error]
    for message in errors:
        sys.stderr.write(f"error: {message}\n")
    _print(options, findings, len(results), len(errors))
    if errors or fix_failed:  # a file that could not be read, or a fix not written
        return EXIT_USAGE
    failing = any(f.severity != INFO for f in findings)
    return EXIT_FINDINGS if failing and not options.exit_zero else EXIT_OK


def _folders(paths: tuple[Path, ...], settings) -> list[Path]:
    """The folder arguments, when a rule that sees a whole folder is on (never for the single
    files a pre-commit hook passes)."""
    from nb2prod.rules.project import CODES

    if not settings.codes & CODES:
        return []
    return [path for path in paths if path.is_dir()]


def _folder_findings(folders: list[Path], results, settings) -> list:
    """NB501-NB503 over each folder argument's notebooks (subfolders included, as checked)."""
    import os

    from nb2prod.findings import Finding
    from nb2prod.rules.project import check_folder

    found: list = []
    for folder in folders:
        root = Path(os.path.abspath(folder))
        exchanges = {r.path: r.files for r in results if r.files is not None
                     and Path(os.path.abspath(r.path)).is_relative_to(root)}
        found += [f for f in check_folder(folder, exchanges)
                  if f.code in settings.codes_for(f.path)]
    # a folder inside another folder argument: each problem once, as the outer folder sees it
    unique = {(os.path.abspath(f.path), f.cell, f.line, f.code): f for f in reversed(found)}
    return sorted(unique.values(), key=Finding.sort_key)


def _fix(options: CheckOptions) -> tuple[bool, bool]:
    """Apply (``--fix``) or print (``--diff``) the safe fixes; whether any notebook changed,
    and whether any could not be read or written."""
    from nb2prod.commands.fix import fix_file, parse_categories, report_fixes

    categories = parse_categories(options.fixes)
    results = [fix_file(path, categories, write=options.fix and not options.diff)
               for path in api.discover(options.paths)]
    report_fixes(results, write=options.fix and not options.diff)
    return any(r.changes for r in results), any(r.error for r in results)


def _settings(options: CheckOptions):
    config = options.config or find_pyproject(Path.cwd())
    if options.config is not None and not options.config.is_file():
        raise UsageError(f"{options.config}: config file not found")
    table = load_table(config) if config else {}
    return build_settings(ALL_RULES, table, options.select, options.ignore,
                          root=config.parent if config else Path.cwd(),
                          source=str(config or "pyproject.toml"))


def _print(options: CheckOptions, findings, files: int, unreadable: int) -> None:
    if options.statistics:
        text = report.render_statistics(findings)
    else:
        sources = _sources(findings) if options.show_source else {}
        text = report.render(options.output_format, findings, sources, options.show_source)
    if options.output_format == "text" and not options.statistics:
        text = "\n".join(t for t in (text, report.summary_line(findings, files - unreadable,
                                                                unreadable)) if t)
    if text:
        write_output(text + "\n")


def _sources(findings) -> dict[str, list[list[str]]]:
    """Cell source lines of the files with findings, for --show-source snippets."""
    from nb2prod.notebook import load_notebook

    sources = {}
    for path in sorted({f.path for f in findings}):
        notebook = load_notebook(path)
        sources[path] = [cell.source_lines for cell in notebook.cells]
    return sources


def _progress_bar():
    def show(done: int, total: int) -> None:
        if total < PROGRESS_THRESHOLD:
            return
        width = 30
        filled = width * done // total
        sys.stderr.write(f"\rchecking [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        if done == total:
            sys.stderr.write("\r" + " " * (width + 30) + "\r")
        sys.stderr.flush()

    return show
