"""Render a conversion plan through a template folder into the files of a project.

Templates run in jinja2's sandbox with StrictUndefined, so a template error names the template
file and line. Every generated ``.py`` file is formatted with black and then compiled again: a
generated project that does not parse is nb2prod's bug, reported as such, never written.
"""

from __future__ import annotations

import json
import posixpath
import re
import traceback
from pathlib import Path, PurePosixPath
from typing import Any

from nb2prod.analysis.astutil import literal_value
from nb2prod.errors import Nb2prodError
from nb2prod.refactor.import_blocks import sort_module_imports
from nb2prod.refactor.imports import merged
from nb2prod.refactor.plan import ConversionPlan
from nb2prod.render.codeindent import indent_code, under_docstring
from nb2prod.render.formatting import black_target_versions
from nb2prod.render.manifest import MANIFEST, TemplateInfo

TEMPLATE_SUFFIX = ".j2"
MODULE_MARK = re.compile(r"\{\{-?\s*module\s*-?\}\}")


class TemplateError(Nb2prodError):
    """A template that does not render (syntax error, undefined variable)."""


class GeneratedCodeError(Nb2prodError):
    """Generated Python that does not parse: reported for the notebook (exit 1), never written."""

    exit_code = 1


def render_project(plan: ConversionPlan, template: TemplateInfo, data: dict[str, bytes],
                   modules: dict[str, bytes] | None = None) -> dict[str, str | bytes]:
    """Relative path -> content of every file of the generated project; ``data``: the input
    files for tests/data, ``modules``: the notebook's own modules, as they are."""
    environment = _environment(template)
    context = {**_context(plan, data), **_module_context(plan, template)}
    missing = [v for v in template.required_variables if v not in context]
    if missing:
        raise TemplateError(f"{template.path / MANIFEST}: needs variables nb2prod does not provide: "
                            f"{', '.join(missing)}")
    # a file named with {{ module }}: once per module of a project made from several notebooks
    module_contexts = [{**_context(part, data), **_module_context(plan, template),
                        "package": plan.package, "project": plan.project,
                        "module": part.module, "project_plan": context["plan"]}
                       for part in plan.parts]
    files: dict[str, str | bytes] = {}
    for relative, source, folder in template_files(template):
        for file_context in module_contexts if per_module(relative) else [context]:
            target = _safe_target(_render(environment, relative, file_context, folder),
                                  folder / relative)
            if relative.endswith(TEMPLATE_SUFFIX):
                target = target.removesuffix(TEMPLATE_SUFFIX)
            if target in files:
                raise TemplateError(f"{folder / relative}: renders to {target!r}, which another "
                                    "template file also renders to")
            if relative.endswith(TEMPLATE_SUFFIX):
                content: str | bytes = _render_file(environment, relative, file_context, folder)
            else:
                content = source.read_bytes()
            files[target] = content
    ours = {plan.package, *(f.module for f in plan.module_files), *_project_modules(files)}
    files.update(formatted_python({target: sort_module_imports(content, ours)
                                   for target, content in files.items()
                                   if target.endswith(".py") and isinstance(content, str)},
                                  plan.python_requires))
    for relative, blob in data.items():
        files[f"tests/data/{relative}"] = blob
    for relative, blob in (modules or {}).items():
        target = posixpath.normpath(posixpath.join(template.module_folder, relative))
        if target in files:
            raise TemplateError(f"the notebook's own module {relative} would replace the file "
                                f"{target} of template {template.name}; rename the module")
        files[target] = blob
    return files


def _project_modules(files) -> set[str]:
    """The top-level modules the project has where ruff looks for first-party code (its root and
    ``src/``): a template's ``common.py`` beside the scripts sorts with the project's own."""
    found = set()
    for target in files:
        parts = target.split("/")
        parts = parts[1:] if parts[0] == "src" and len(parts) > 1 else parts
        if len(parts) > 1 or parts[0].endswith(".py"):
            found.add(parts[0].removesuffix(".py"))
    return found


def _module_context(plan: ConversionPlan, template: TemplateInfo) -> dict[str, Any]:
    """What the templates say about the notebook's own modules, shipped as they are: names to
    install (a lone ``.py`` file is a py-module, a folder a package) and to keep out of the
    formatter's and linter's way (they are the user's code, not generated)."""
    folder = template.module_folder
    tops = sorted({f.top for f in plan.module_files})
    return {
        "module_folder": folder,
        "shipped_modules": [t.removesuffix(".py") for t in tops],
        "single_file_modules": [t.removesuffix(".py") for t in tops if t.endswith(".py")],
        "shipped_module_paths": [posixpath.normpath(posixpath.join(folder, t)) for t in tops],
    }


def per_module(relative: str) -> bool:
    """A template file rendered once per module of a project made from several notebooks (its
    name says ``{{ module }}``), with ``plan`` that module's own plan; never for one notebook."""
    return MODULE_MARK.search(relative) is not None


def template_files(template: TemplateInfo) -> list[tuple[str, Path, Path]]:
    """(relative path, file, its template folder) of every file the project gets: a template's
    own files, then those of the templates it extends that it does not replace. A file that
    resolves outside its template folder (a symlink) is an error: a template ships only itself."""
    found: dict[str, tuple[Path, Path]] = {}
    for layer in template.chain:
        root = layer.path.resolve()
        for source in sorted(p for p in layer.path.rglob("*") if p.is_file()):
            relative = source.relative_to(layer.path).as_posix()
            parts = relative.split("/")
            if relative == MANIFEST or "__pycache__" in parts or ".git" in parts:
                continue
            if not source.resolve().is_relative_to(root):
                raise TemplateError(f"{source}: links outside its template folder {layer.path}")
            found.setdefault(relative, (source, layer.path))
    return [(relative, source, folder) for relative, (source, folder) in sorted(found.items())]


def _safe_target(target: str, source: Path) -> str:
    """A rendered file name, which must stay inside the project: relative, no ``..``, no empty
    part (a template's names are code too)."""
    parts = target.replace("\\", "/").split("/")
    if target.startswith("/") or any(part in ("", ".", "..") for part in parts) or ":" in parts[0]:
        raise TemplateError(f"{source}: renders to {target!r}, which is not a path inside the "
                            "project")
    return "/".join(parts)


def formatted_python(sources: dict[str, str], python_requires: str) -> dict[str, str]:
    """black-format the generated files (name -> code) for the project's Python and prove
    they parse."""
    from nb2prod.render.formatting import FormatError, format_files

    try:
        return format_files(sources, python_requires)
    except FormatError as exc:
        raise GeneratedCodeError(f"not converted: generated {exc.name} {exc}; nothing was "
                                 "written (please report it with the notebook)") from None


def data_layout(plan: ConversionPlan) -> tuple[str, list[tuple[str, str]], list[str]]:
    """Where the notebook's folder sits under tests/data, (file, its place there), and the files
    too large to ship. A notebook reading ``../data/x.csv`` gets its folder one level down."""
    # (an input to provide counts too: the tests find it only where the notebook would)
    ups = max((_leading_ups(path) for path in [*(f.path for f in plan.data_files),
                                                 *plan.missing_inputs]), default=0)
    workdir = "/".join(["notebook"] * ups) or "."
    placed = [(f.path, posixpath.normpath(posixpath.join(workdir, f.path))
               + ("/" if f.path.endswith("/") else "")) for f in plan.data_files if f.copied]
    not_shipped = [f.path for f in plan.data_files if not f.copied and not f.path.endswith("/")]
    return workdir, placed, not_shipped


def _leading_ups(path: str) -> int:
    parts = posixpath.normpath(path).split("/")
    count = 0
    while count < len(parts) and parts[count] == "..":
        count += 1
    return count


def _context(plan: ConversionPlan, data: dict[str, bytes]) -> dict[str, Any]:
    workdir, _, not_shipped = data_layout(plan)
    sources, made_by = _makers(plan)
    produced: list[str] = []
    for step in plan.steps:
        produced += [name for name in step.outputs if name not in produced]
    return {
        "plan": plan.as_dict(),
        # the Python versions black formats the code for, as its configuration names them
        "black_target_versions": black_target_versions(plan.python_requires),
        "package": plan.package,
        "project": plan.project,
        "uses_figures": any(f.name == "figures_dir" for f in plan.config),
        "produced": produced,
        "workdir": workdir,
        "not_shipped": not_shipped,
        "left_out": [(f.path, f.reason) for f in plan.data_files if not f.copied],
        # what the notebook reads, and the folders it writes into (shipped empty: "pie/")
        "input_files": [f.path for f in plan.data_files if not f.path.endswith("/")],
        "output_folders": [f.path for f in plan.data_files if f.path.endswith("/")],
        # the project's stdout test redacts with nb2prod's own code, rendered from its one source
        "redact_source": (Path(__file__).parent.parent / "redact.py").read_text(encoding="utf-8"),
        # and compares step values with verify's comparison, from its one source too
        "compare_source": (Path(__file__).parent.parent / "verify" / "compare.py").read_text(
            encoding="utf-8"),
        "missing_inputs": list(plan.missing_inputs),
        # host:port of each place the pipeline downloads from (the tests skip when unreachable)
        "download_hosts": sorted({f"{d.host}:{d.port}" for d in plan.downloads}),
        # where each input to provide goes for the tests: tests/data/data/raw/x.csv for
        # ../data/raw/x.csv
        "test_places": {path: posixpath.normpath(posixpath.join("tests/data", workdir, path))
                        for path in [*plan.missing_inputs, *not_shipped]},
        "host_paths": [f.name for f in plan.config if f.host_write],
        "host_path_values": {f.name: literal_value(f.value) for f in plan.config if f.host_write},
        "host_reads": {f.name: literal_value(f.value) for f in plan.config if f.host_read},
        "host_folders": [f.name for f in plan.config if f.host_write and (
            f.folder or not PurePosixPath(str(literal_value(f.value))).suffix)],
        "local_modules": list(plan.local_modules),
        "random_steps": {s.name: s.nondeterministic for s in plan.steps if s.nondeterministic},
        "unreplayable_steps": {s.name: s.not_replayable for s in plan.steps if s.not_replayable},
        # for the engines: the step each step input comes from, and each value's last maker
        "sources": sources,
        "made_by": made_by,
        # step -> what an engine saves after it: its outputs, then the inputs it changed
        "saved": {step.name: [*step.outputs, *(n for n in step.changes if n not in step.outputs)]
                  for step in plan.steps},
        # and the one serialization layer of values that cross a process boundary
        "storage_source": (Path(__file__).parent.parent / "storage.py").read_text(encoding="utf-8"),
    }


def _makers(plan: ConversionPlan) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """(step -> {input -> the step that last made it or changed it in place before it (an engine
    that passes values as files gets it from there)}, value -> the last such step)."""
    last: dict[str, str] = {}
    found: dict[str, dict[str, str]] = {}
    for step in plan.steps:
        found[step.name] = {name: last[name] for name in step.inputs if name in last}
        last.update(dict.fromkeys((*step.outputs, *step.changes), step.name))
    return found, last


def _environment(template: TemplateInfo):
    """A sandbox whose loader finds a file in the nearest template that has it, and a base
    template's own version as ``BASE/path`` (``{% extends "default/README.md.j2" %}``)."""
    from jinja2 import ChoiceLoader, PrefixLoader, StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    loader = ChoiceLoader([
        *(_contained(layer.path) for layer in template.chain),
        PrefixLoader({base.name: _contained(base.path) for base in template.bases}),
    ])
    environment = SandboxedEnvironment(
        loader=loader, undefined=StrictUndefined, keep_trailing_newline=True,
        trim_blocks=True, lstrip_blocks=True, autoescape=False,
    )
    environment.filters["pyrepr"] = repr
    # jinja's own indent would shift the lines of a multi-line string in a step's code
    environment.filters["indent"] = indent_code
    environment.filters["under_docstring"] = under_docstring
    # a template's own imports laid into the plan's import block, as isort would
    environment.filters["with_imports"] = (
        lambda lines, *extra, first_party=(): merged(lines, extra, first_party))
    environment.filters["pyrepr_toml"] = lambda value: json.dumps(str(value))
    environment.filters["toml_list"] = lambda values: json.dumps([str(v) for v in values])
    environment.filters["regex_escape"] = re.escape
    environment.filters["docstring"] = lambda value: str(value).replace("\\", "\\\\").replace('"""', "'''")
    return environment


# what a template's own expressions can raise ({{ 1/0 }}, a missing key, endless recursion)
_TEMPLATE_CODE_ERRORS = (ArithmeticError, LookupError, TypeError, ValueError, RecursionError,
                         MemoryError)


def _contained(folder: Path):
    """A loader of ``folder``'s files that refuses one resolving outside it (a symlink)."""
    from jinja2 import FileSystemLoader, TemplateNotFound

    class ContainedLoader(FileSystemLoader):
        def get_source(self, environment, name):
            source, filename, uptodate = super().get_source(environment, name)
            if not Path(filename).resolve().is_relative_to(folder.resolve()):
                raise TemplateNotFound(f"{name} (links outside {folder})")
            return source, filename, uptodate

    return ContainedLoader(str(folder))


def _render_file(environment, relative: str, context: dict[str, Any], folder: Path) -> str:
    import jinja2

    try:
        template = environment.get_template(relative)
        return template.render(context)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"{folder / relative}:{exc.lineno}: {exc.message}") from None
    except jinja2.TemplateError as exc:
        raise TemplateError(f"{folder / relative}:{_template_line(exc, relative)}: {exc}") from None
    except UnicodeDecodeError:
        raise TemplateError(f"{folder / relative}: not UTF-8 text") from None
    except _TEMPLATE_CODE_ERRORS as exc:  # the template's own code failed: name it, not us
        raise TemplateError(f"{folder / relative}:{_template_line(exc, relative)}: "
                            f"{type(exc).__name__}: {exc}") from None


def _render(environment, text: str, context: dict[str, Any], folder: Path) -> str:
    import jinja2

    try:
        return environment.from_string(text).render(context)
    except (jinja2.TemplateError, *_TEMPLATE_CODE_ERRORS) as exc:
        raise TemplateError(f"{folder}: file name {text!r}: {exc}") from None


def _template_line(exc: Exception, relative: str) -> int | str:
    """The template line where rendering failed (jinja rewrites tracebacks to template lines)."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith(relative):
            return frame.lineno or "?"
    return "?"
