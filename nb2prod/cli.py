"""The ``nb2prod`` command line: thin typer wrappers around :mod:`nb2prod.commands`.

Heavy modules (libcst, black, nbformat, nbclient, pip-tools) are imported inside the commands that
need them, so ``nb2prod --help`` and ``nb2prod --version`` stay instant.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from nb2prod import __version__
from nb2prod.errors import EXIT_USAGE, Nb2prodError, run_guarded

app = typer.Typer(
    name="nb2prod",
    help="Turn real Jupyter notebooks into production code.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: `[tool.nb2prod]` stays text, no `<bool>` type tags
    context_settings={"help_option_names": ["-h", "--help"]},
)
templates_app = typer.Typer(help="List and inspect project templates.", no_args_is_help=True,
                            rich_markup_mode=None)
app.add_typer(templates_app, name="templates")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"nb2prod {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show a traceback on internal errors.")
    ] = False,
) -> None:
    """Turn real Jupyter notebooks into production code.

    Exit codes: 0 clean, 1 findings or a refused conversion, 2 usage error or unreadable input,
    3 internal error.
    """


@app.command()
def check(
    paths: Annotated[list[Path], typer.Argument(help="Notebooks or folders (searched recursively).")],
    output_format: Annotated[
        str, typer.Option("--format", help="text, json, sarif or github.")
    ] = "text",
    select: Annotated[
        list[str] | None,
        typer.Option("--select", help="Only these code prefixes (repeatable or comma-separated)."),
    ] = None,
    ignore: Annotated[
        list[str] | None,
        typer.Option("--ignore", help="Skip these code prefixes (repeatable or comma-separated)."),
    ] = None,
    exit_zero: Annotated[
        bool, typer.Option("--exit-zero", help="Exit 0 even when there are findings.")
    ] = False,
    statistics: Annotated[
        bool, typer.Option("--statistics", help="Print a count per rule instead of each finding.")
    ] = False,
    show_source: Annotated[
        bool, typer.Option("--show-source", help="Print the offending source line under each finding.")
    ] = False,
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", "-j", help="Worker processes (0: one per core; default: one per "
                     "core from 64 files on, else 1)."),
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="pyproject.toml to read [tool.nb2prod] from.")
    ] = None,
    fix: Annotated[
        bool, typer.Option("--fix", help="Apply the safe fixes (see --fixes), then report what "
                           "is left.")
    ] = False,
    diff: Annotated[
        bool, typer.Option("--diff", help="Print the fixes as a diff and write nothing; exit 1 "
                           "if there are any.")
    ] = False,
    fixes: Annotated[
        str, typer.Option("--fixes", metavar="LIST", help="Fix categories, comma-separated: "
                          "reorder (cells so names are defined above their use, fewest moves), "
                          "outputs (clear stale outputs), seed (insert a seed cell; only when "
                          "asked).")
    ] = "reorder,outputs",
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Neither read nor write the .nb2prod_cache folder.")
    ] = False,
) -> int:
    """Lint notebooks for hidden state, out-of-order runs and unsafe habits."""
    from nb2prod.commands.check import CheckOptions, run_check

    options = CheckOptions(
        paths=tuple(paths),
        output_format=output_format,
        select=tuple(select or ()),
        ignore=tuple(ignore or ()),
        exit_zero=exit_zero,
        statistics=statistics,
        show_source=show_source,
        jobs=jobs,
        config=config,
        fix=fix,
        diff=diff,
        fixes=fixes,
        cache=not no_cache,
    )
    return run_check(options)


@app.command()
def rule(
    code: Annotated[str | None, typer.Argument(help="A rule code such as NB201.")] = None,
    show_all: Annotated[bool, typer.Option("--all", help="Print the docs of every rule.")] = False,
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print the table of rules as Markdown.")
    ] = False,
) -> int:
    """Explain a rule: what it finds, why it matters, and what to do instead."""
    from nb2prod.commands.rule import run_rule

    return run_rule(code, show_all, markdown)


@app.command()
def pin(
    notebooks: Annotated[list[Path], typer.Argument(help="Notebooks to read dependencies from.")],
    output_dir: Annotated[
        Path | None, typer.Option("--output-dir", "-o", help="Where to write requirements.in/.txt "
                                  "(default: the first notebook's folder).")
    ] = None,
    no_compile: Annotated[
        bool, typer.Option("--no-compile", help="Write requirements.in only; skip pip-compile.")
    ] = False,
    hashes: Annotated[bool, typer.Option("--hashes", help="Add hashes to the lock.")] = False,
    output_format: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
    python: Annotated[
        Path | None, typer.Option("--python", help="Interpreter of the notebook's kernel: take "
                                  "installed versions and import names from it.")
    ] = None,
    no_env: Annotated[
        bool, typer.Option("--no-env", help="Ignore the current environment's installed packages.")
    ] = False,
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 if a dependency has no version "
                           "evidence or an import is unresolved.")
    ] = False,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace requirement files that are yours (written "
                           "by you, or edited since nb2prod wrote them).")
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print, write nothing.")] = False,
    find_links: Annotated[
        list[str] | None,
        typer.Option("--find-links", help="Extra folder or URL of packages for pip-compile."),
    ] = None,
    no_index: Annotated[
        bool, typer.Option("--no-index", help="pip-compile uses --find-links only (offline).")
    ] = False,
    index_url: Annotated[
        str | None, typer.Option("--index-url", help="Package index for pip-compile.")
    ] = None,
    as_of: Annotated[
        str, typer.Option("--as-of", metavar="DATE", help="Lock unpinned requirements to the "
                          "releases uploaded before DATE (YYYY-MM-DD). Default 'auto': when the "
                          "notebook last ran, from its timestamps, %watermark or git; 'none' to "
                          "lock the latest.")
    ] = "auto",
) -> int:
    """Find a notebook's dependencies and versions, and lock them with pip-tools."""
    from nb2prod.commands.pin import PinOptions, run_pin
    from nb2prod.pin.lock import LockOptions

    return run_pin(PinOptions(
        notebooks=tuple(notebooks), output_dir=output_dir, compile=not no_compile,
        output_format=output_format, python=python, use_environment=not no_env, check=check,
        overwrite=overwrite, dry_run=dry_run, as_of=as_of,
        lock=LockOptions(hashes=hashes, no_index=no_index, find_links=tuple(find_links or ()),
                         index_url=index_url),
    ))


@app.command()
def convert(
    notebooks: Annotated[list[Path], typer.Argument(
        help="The notebook to convert; or several, or a folder of them, for one project.",
        metavar="NOTEBOOK...|FOLDER")],  # the help's label (see _plain_argument)
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Folder for the project: new, or one nb2prod "
                                  "wrote before (only its own unedited files are replaced).")
    ] = None,
    template: Annotated[
        str, typer.Option("--template", "-t", help="Template name or folder (see `templates list`).")
    ] = "default",
    name: Annotated[
        str | None, typer.Option("--name", help="Project name (default: the output folder's name).")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Convert despite NB001/NB201/NB202 (with TODOs).")
    ] = False,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace files at the paths the project needs even "
                           "when they are yours (edited, or not written by nb2prod); nothing else "
                           "is ever deleted.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the plan (steps, config, dependencies); write nothing.")
    ] = False,
    lock: Annotated[
        bool, typer.Option("--lock", help="Also lock requirements.txt with pip-compile (needs the index).")
    ] = False,
    output_format: Annotated[
        str, typer.Option("--format", help="Plan format for --dry-run: text or json.")
    ] = "text",
    verify: Annotated[
        bool, typer.Option("--verify", help="Run `nb2prod verify` on the new project right away.")
    ] = False,
    recursive: Annotated[
        bool, typer.Option("--recursive", "-r", help="With a folder: its subfolders' notebooks too.")
    ] = False,
) -> int:
    """Turn a notebook (or several: one project) into a packaged, tested project."""
    from nb2prod.commands.convert import ConvertOptions, run_convert

    return run_convert(ConvertOptions(notebooks[0], output, template, force, dry_run, name, lock,
                                      output_format, verify, overwrite,
                                      tuple(notebooks) if len(notebooks) > 1 else (), recursive))


@app.command()
def verify(
    notebook: Annotated[Path, typer.Argument(
        help="The original notebook (or the folder of notebooks the project was made from).")],
    project: Annotated[Path, typer.Argument(help="The project nb2prod convert generated.")],
    python: Annotated[
        str | None, typer.Option("--python", help="Interpreter to run both with (default: this one).")
    ] = None,
    cell_timeout: Annotated[int, typer.Option("--cell-timeout", help="Seconds per notebook cell.")] = 600,
    timeout: Annotated[int, typer.Option("--timeout", help="Seconds for each whole run.")] = 3600,
    rtol: Annotated[float, typer.Option("--rtol", help="Relative tolerance for numbers.")] = 1e-7,
    atol: Annotated[float, typer.Option("--atol", help="Absolute tolerance for numbers.")] = 1e-9,
    runs: Annotated[
        int, typer.Option("--runs", help="Notebook runs (2 detects non-deterministic values).")
    ] = 2,
    output_format: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
) -> int:
    """Run a notebook (or a folder of them) and its generated project and compare their values."""
    from nb2prod.commands.verify import VerifyOptions, run_verify
    from nb2prod.verify.compare import Tolerance

    return run_verify(VerifyOptions(notebook, project, python, cell_timeout, timeout,
                                    Tolerance(rtol, atol), runs, output_format))


@templates_app.command("list")
def templates_list() -> int:
    """List the project templates convert can use."""
    from nb2prod.commands.templates import run_templates_list

    return run_templates_list()


def main(argv: list[str] | None = None) -> None:
    """Run the full command line, turning every error into a one-line message and an exit code."""
    exits, aborts, usage_errors = _click_exceptions()
    args = sys.argv[1:] if argv is None else argv

    def invoke() -> int:
        try:
            command = _with_plain_metavars(typer.main.get_command(app))
            return command.main(args=args, prog_name="nb2prod", standalone_mode=False)
        except exits as exc:
            return exc.exit_code
        except aborts:
            raise Nb2prodError("aborted") from None
        except usage_errors as exc:
            exc.show()
            return EXIT_USAGE

    run_guarded(invoke, debug="--debug" in args)


_FORMATS = {"check": "[text|json|sarif|github]"}


def _with_plain_metavars(command, name: str = ""):
    """Help that reads like ruff's: `PATH...`, `--jobs N`, `--format [text|json]`, never the
    type tags (`<list[Path]>`, `{paths}...`) newer typer versions print."""
    for param in getattr(command, "params", ()):
        if "Argument" in type(param).__name__:
            _plain_argument(param)
            continue
        if getattr(param, "is_flag", False) or param.metavar:
            continue
        if param.name == "output_format":
            param.metavar = _FORMATS.get(name, "[text|json]")
        else:
            param.metavar = _TYPE_METAVARS.get(_value_type(param), "TEXT")
    for sub_name, sub in getattr(command, "commands", {}).items():
        _with_plain_metavars(sub, sub_name)
    return command


def _plain_argument(param) -> None:
    """``PATH...`` in the usage line and the help, with no type tag: newer typer prints
    ``{paths}...`` and ``<list[Path]>`` (hence the per-instance overrides)."""
    label = param.metavar or param.name.upper().rstrip("S") + ("..." if param.nargs == -1 else "")
    usage = label if param.required else f"[{label}]"
    param.metavar = label
    param.display_type = lambda ctx: ""
    param.get_usage_pieces = lambda ctx: [usage]


_TYPE_METAVARS = {"Path": "PATH", "int": "N", "float": "NUMBER", "str": "TEXT",
                  "path": "PATH", "integer": "N", "text": "TEXT"}


def _value_type(param) -> str:
    """The name of a parameter's value type: from typer's annotation (newer typer), else from
    click's type (older typer)."""
    annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)
    if annotation is None:
        return getattr(getattr(param, "type", None), "name", "")
    for inner in (*getattr(annotation, "__args__", ()), annotation):
        if isinstance(inner, type):
            return inner.__name__
    return ""


def _click_exceptions() -> tuple[tuple[type[Exception], ...], ...]:
    """(exit, abort, usage error) classes of click and of the copy of click that newer typer
    versions vendor (``typer._click``), whose exceptions are not click's."""
    import click

    exits: list[type[Exception]] = [click.exceptions.Exit, typer.Exit]
    aborts: list[type[Exception]] = [click.exceptions.Abort, typer.Abort]
    errors: list[type[Exception]] = [click.ClickException]
    try:
        from typer._click import exceptions as vendored
    except ImportError:  # typer uses click itself
        pass
    else:
        errors.append(vendored.ClickException)
    return tuple(exits), tuple(aborts), tuple(errors)


