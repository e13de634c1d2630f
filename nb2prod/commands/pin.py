"""``nb2prod pin``: a notebook's dependencies with versions, locked with pip-tools."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from nb2prod.errors import EXIT_FINDINGS, EXIT_OK, UsageError
from nb2prod.notebook import load_notebook
from nb2prod.ownership import OwnershipConflict, is_own_unedited, stamped
from nb2prod.pin.era import RunDate, git_commit_date, parse_date, run_date
from nb2prod.pin.lock import LockOptions, ResolutionError, compile_lock, lock_interpreter
from nb2prod.pin.resolve import PinResult, pin_notebooks, requirements_in
from nb2prod.write import write_files_atomically


@dataclass(frozen=True)
class PinOptions:
    notebooks: tuple[Path, ...]
    output_dir: Path | None = None
    compile: bool = True
    output_format: str = "text"
    python: Path | None = None
    use_environment: bool = True
    check: bool = False
    overwrite: bool = False
    dry_run: bool = False
    as_of: str = "auto"  # a date, "auto" (evidence from the notebook) or "none"
    lock: LockOptions = field(default_factory=LockOptions)


def run_pin(options: PinOptions) -> int:
    if options.output_format not in {"text", "json"}:
        raise UsageError(f"unknown --format {options.output_format!r} (choose text or json)")
    as_of = resolve_as_of(options.as_of)
    notebooks = [load_notebook(path) for path in options.notebooks]
    result = pin_notebooks(notebooks, _environment(options, notebooks), options.use_environment,
                           as_of if options.as_of != "auto" else notebook_run_date(notebooks))
    if options.check:
        return _check(result, options.output_format)
    files = {"requirements.in": requirements_in(result)}
    folder = options.output_dir or Path(options.notebooks[0]).parent
    failure = None
    lock_note = ""
    if options.compile:
        python, lock_note = lock_interpreter(result.python, options.python)
        try:
            if python is not None:
                lock_note = _dated_lock_note(result, python, options) or lock_note
                files["requirements.txt"] = compile_lock(files["requirements.in"], dataclasses.replace(
                    options.lock, python=python,
                    uploaded_prior_to=result.as_of.iso if result.as_of else None))
        except ResolutionError as exc:
            failure = _explained(exc, result, folder)
    if not options.dry_run:
        _refuse_foreign_files(folder, files, options.overwrite)
        write_files_atomically(folder, {name: stamped(text) for name, text in files.items()})
    _report(result, folder, sorted(files), options, lock_note)
    if failure is not None:
        raise ResolutionError(f"{failure}; {folder / 'requirements.in'} was written"
                              if not options.dry_run else str(failure))
    return EXIT_OK


def resolve_as_of(value: str) -> RunDate | None:
    """An explicit ``--as-of`` date (checked before anything is read), None for ``none``."""
    if value in {"auto", "none"}:
        return None
    parsed = parse_date(value, "--as-of")
    if parsed is None:
        raise UsageError(f"--as-of {value!r} is not a date between 2011-01-01 and today "
                         "(use YYYY-MM-DD, an ISO date-time, auto or none)")
    return parsed


def notebook_run_date(notebooks) -> RunDate | None:
    """When the notebooks last ran by their own records, else when they were last committed."""
    recorded = [found for nb in notebooks if (found := run_date(nb)) is not None]
    if not recorded:
        recorded = [found for nb in notebooks if (found := git_commit_date(nb.path)) is not None]
    return max(recorded, key=lambda found: found.when, default=None)


def _environment(options: PinOptions, notebooks):
    from nb2prod.pin.environment import evidence_environment, interpreter_environment
    from nb2prod.pin.mapping import Environment

    if options.python is not None:
        return interpreter_environment(options.python)
    return evidence_environment(notebooks) if options.use_environment else Environment()


def _check(result: PinResult, output_format: str) -> int:
    problems = [f"{', '.join(r.imports) or r.distribution}: {r.distribution} has no version evidence"
                for r in result.without_evidence]
    problems += [_unconfirmed(r) for r in result.requirements if r.guessed]
    problems += [f"{u.import_name}: unresolved ({u.reason})" for u in result.unresolved]
    if output_format == "json":
        sys.stdout.write(json.dumps({"problems": problems}, indent=2) + "\n")
    else:
        for problem in problems:
            sys.stdout.write(f"{', '.join(result.notebooks)}: {problem}\n")
        if not problems:
            sys.stdout.write("Every dependency has version evidence.\n")
    return EXIT_FINDINGS if problems else EXIT_OK


def _dated_lock_note(result: PinResult, python: str, options: PinOptions) -> str:
    """Why an as-of lock may still hold newer releases: pip's configuration adds sources whose
    files carry no upload time."""
    from nb2prod.pin.lock import undated_sources

    if result.as_of is None or options.lock.no_index:
        return ""
    extra = undated_sources(python)
    if not extra:
        return ""
    return (f"pip's configuration adds {', '.join(extra)}: files there carry no upload time, so "
            f"the lock may take releases newer than {result.as_of.day} from them")


def _explained(failure: ResolutionError, result: PinResult, folder: Path) -> ResolutionError:
    """The lock failed: say what in the notebook's evidence likely caused it, and that an older
    requirements.txt no longer matches."""
    hints = []
    from_environment = [r.line() for r in result.requirements if r.evidence.startswith("installed in")]
    if result.as_of and from_environment:
        hints.append(f"pins taken from an installed environment ({', '.join(from_environment[:3])}) "
                     f"may be newer than {result.as_of.day}, when the notebook last ran: pass "
                     "--no-env, or --as-of none")
    if (folder / "requirements.txt").exists():
        hints.append(f"{folder / 'requirements.txt'} was left as it was and does not lock the "
                     "new requirements.in")
    return ResolutionError("; ".join([str(failure), *hints]))


def _unconfirmed(requirement) -> str:
    """A distribution name no reviewed source gives: a stranger's project is one typo away."""
    source = ("only pigar's list of PyPI uploads names it" if requirement.mapped_by == "pigar"
              else "it is the import's own name, a guess")
    return (f"{', '.join(requirement.imports)}: {requirement.distribution} is unconfirmed "
            f"({source}); confirm it with `%pip install {requirement.distribution}==VERSION` "
            "in the notebook")


def _refuse_foreign_files(folder: Path, files: dict[str, str], overwrite: bool) -> None:
    """Replace only files nb2prod wrote and nobody edited since (their first line holds the hash
    of the rest); a person's file, or an edited one, needs --overwrite."""
    theirs = []
    for name in files:
        existing = folder / name
        if overwrite or not os.path.lexists(existing):
            continue
        try:
            own = existing.is_file() and not existing.is_symlink() and is_own_unedited(
                existing.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            own = False
        if not own:
            theirs.append(name)
    if theirs:
        raise OwnershipConflict(folder, tuple(theirs), "pass --overwrite to replace them, or -o to "
                                "write elsewhere")


def _report(result: PinResult, folder: Path, names: list[str], options: PinOptions,
            lock_note: str) -> None:
    if options.output_format == "json":
        data = {**_as_json(result, folder, names, options), "lock_note": lock_note}
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    rows = [(r.distribution + r.extras, r.version or r.specifier or "-", ", ".join(r.imports) or "-",
             _flags(r) + r.reason) for r in result.requirements]
    widths = [max([len(h), *(len(row[i]) for row in rows)]) for i, h in
              enumerate(("distribution", "version", "import"))]
    header = ("distribution", "version", "import", "evidence")
    for row in [header, *rows]:
        sys.stdout.write("  ".join(c.ljust(w) for c, w in zip(row[:3], widths, strict=True))
                         + "  " + row[3] + "\n")
    for unresolved in result.unresolved:
        sys.stdout.write(f"unresolved: {unresolved.import_name}: {unresolved.reason}\n")
    for req in result.requirements:
        if req.alternatives or req.mapped_by == "pigar":
            sys.stdout.write(f"check: {', '.join(req.imports)}: {req.mapping_note}\n")
    if result.environment_note:
        hint = (f" (pass --python with a Python {result.python} interpreter for its installed "
                "versions)" if result.python else "")
        sys.stdout.write(f"note: {result.environment_note}{hint}\n")
    for note in result.source_notes:
        sys.stdout.write(f"note: {note}\n")
    if result.as_of:
        sys.stdout.write(f"note: unpinned requirements resolve as of {result.as_of.day} "
                         f"({result.as_of.how})\n")
    if result.local_modules:
        sys.stdout.write(f"local modules (not dependencies): {', '.join(result.local_modules)}\n")
    if lock_note:
        sys.stdout.write(f"note: {lock_note}\n")
    if not options.dry_run:
        sys.stdout.write(f"wrote {', '.join(str(folder / n) for n in names)}\n")


def _flags(requirement) -> str:
    if requirement.alternatives:
        return f"AMBIGUOUS (also {', '.join(requirement.alternatives)}); "
    if requirement.mapped_by == "pigar":
        return "UNCHECKED name; "
    return "GUESSED name; " if requirement.guessed else ""


def _as_json(result: PinResult, folder: Path, names: list[str], options: PinOptions) -> dict:
    return {
        "python": result.python,
        "environment_note": result.environment_note,
        "as_of": {"date": result.as_of.iso, "how": result.as_of.how} if result.as_of else None,
        # one entry per import: the import -> distribution mapping is what users audit
        "requirements": [
            {"import": name, "distribution": r.distribution, "version": r.version,
             "specifier": r.specifier, "extras": r.extras, "evidence": r.evidence,
             "optional": r.optional, "guessed": r.guessed, "mapped_by": r.mapped_by,
             "ambiguous": bool(r.alternatives), "candidates": list(r.alternatives),
             "mapping_note": r.mapping_note, "needed_for": r.needed_for}
            for r in result.requirements for name in (r.imports or (None,))
        ],
        "unresolved": [{"import": u.import_name, "reason": u.reason, "candidates": list(u.candidates)}
                       for u in result.unresolved],
        "local_modules": list(result.local_modules),
        "other_install_sources": [{"kind": s.kind, "value": s.value, "cell": s.cell}
                                  for s in result.other_sources],
        "files": [] if options.dry_run else [str(folder / n) for n in names],
    }
