"""The `policyfactory` command line: the composition root above the core and the Keras side.

Only what a command uses is imported, lazily: `validate`, `explain`, `graph`,
`export`, `rules`, `schema`, `--help` and `audit` of saved `.keras`/`.h5` files
import neither TensorFlow nor Keras (the file audit needs numpy and h5py);
`build` and `audit` of a model YAML import the Keras side when they run.

Exit codes: 0 nothing found, 1 policy findings, 2 invalid input.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Any

from .core.findings import (
    EXIT_INVALID,
    EXIT_OK,
    EXIT_POLICY,
    Finding,
    InvalidInput,
    PolicyfactoryError,
    exit_code,
    sorted_findings,
)
from .core.formats import FORMATS, format_text, render
from .core.limits import Limits
from .core.rules.files import FILE_UNREADABLE
from .core.rules.tools import AUDIT_INPUT, KERAS_ERROR, OUTPUT_PATH
from .core.text import escape, plural, shown
from .core.version import VERSION

if TYPE_CHECKING:
    from .core.sources import Source
from .tfquiet import quiet_tensorflow

GRAPH_SUFFIXES = (".dot", ".gv", ".svg", ".png", ".pdf")
PATH_COMMANDS = ("validate", "explain", "graph", "build", "audit")  # take several paths, folders and `-`
MODEL_COMMANDS = ("explain", "graph", "build", "audit")  # read model files only (folders: kind: model)


class UsageError(Exception):
    """A bad command line that argparse cannot see (exit 2, one `policyfactory: error:` line)."""


def _bounded(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text[:40]!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected a number from {low} to {high}, got {value}")
        return value
    return parse


class _Ignored:
    """Stands in for the subparser of a command that is not being run: its arguments are not built."""

    def add_argument(self, *args: Any, **kwargs: Any) -> None:
        pass


class _Subcommands:
    """`add_subparsers()` that builds only the command being run (every command when `only` is None)."""

    def __init__(self, action: Any, only: str | None) -> None:
        self.action, self.only = action, only

    def add_parser(self, name: str, **kwargs: Any) -> Any:
        if self.only is None or name == self.only:
            return self.action.add_parser(name, formatter_class=_formatter(), **kwargs)
        return _Ignored()


def _formatter() -> Any:
    """argparse's help formatter, told the terminal's width once: argparse makes one for every argument it adds
    (to check its metavar), and each would ask for the width anew and import shutil to do it."""
    try:
        columns = int(os.environ.get("COLUMNS", ""))  # as shutil.get_terminal_size reads it
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns if sys.__stdout__ else 0
        except (AttributeError, ValueError, OSError):
            columns = 0
    return functools.partial(argparse.HelpFormatter, width=(columns or 80) - 2)


def _common(sp: Any, command: str, exit_zero: bool = True) -> None:
    """The options of the commands that read model files: the settings' flags, then the run's own."""
    from .core.settings import fields

    for setting in fields():  # every setting with a flag, as filemodels.SettingsFile defines it
        if setting.flag_in(command):
            sp.add_argument(f"--{setting.name}", **_flag_options(setting, command))
    if exit_zero:
        sp.add_argument("--exit-zero", action="store_true",
                        help="report only: exit 0 even when there are findings (2 still for bad arguments)")
    sp.add_argument("-q", "--quiet", action="store_true", help="print findings only (no 'ok' lines, no totals)")
    sp.add_argument("--statistics", action="store_true",
                    help="print how many findings of each rule there are, instead of the findings")
    sp.add_argument("--output-file", metavar="FILE",
                    help="write the report to FILE instead of standard output (written whole, then renamed)")
    sp.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                    help="colours in text output: auto (on a terminal, unless NO_COLOR is set; FORCE_COLOR "
                         "forces them), always, never")
    sp.add_argument("--no-color", action="store_true",
                    help="no colours in text output (colours are used only on a terminal, and never with NO_COLOR)")
    sp.add_argument("--config", metavar="FILE",
                    help="read settings from this pyproject.toml or policyfactory.toml instead of the nearest ones")
    sp.add_argument("--stdin-filename", metavar="NAME",
                    help="the name of the file read from '-' (standard input): used in findings, and its "
                         "folder anchors relative policy: paths")


class _Version(argparse.Action):
    """`--version`: policyfactory's version, then Keras's and the backend's, read from installed metadata (Keras is
    not imported) with the backend found as for a command run here (settings included)."""

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        from .core.backend import keras_line, resolve_backend
        from .core.settings import load_settings

        settings, _findings = load_settings(".")
        backend = resolve_backend(settings.values["backend"], settings.origins["backend"])
        print(f"policyfactory {VERSION}\n{keras_line(backend)}")
        parser.exit()


def _parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; with `only`, just that command's subparser (start-up: a run builds one, not nine)."""
    p = argparse.ArgumentParser(
        prog="policyfactory", formatter_class=_formatter(),
        description="Make sharing of Keras initializers, regularizers and constraints deliberate.",
        epilog="Exit codes: 0 nothing found, 1 policy findings, 2 invalid input. Settings: [tool.policyfactory] "
               "in pyproject.toml or policyfactory.toml files, the nearest winning (policyfactory config shows them).",
    )
    p.add_argument("--version", action=_Version, nargs=0, help="show the version, and Keras's version and backend")
    sub = _Subcommands(p.add_subparsers(dest="command", metavar="COMMAND"), only)

    v = sub.add_parser("validate", help="check policy and model files, Python sources and notebooks "
                                        "(read, never run; no Keras needed)")
    v.add_argument("paths", nargs="+", metavar="PATH",
                   help="files, folders (walked for YAML files that declare kind: policy|model, and *.py, "
                        "*.ipynb) or - (stdin; --stdin-filename x.py reads Python)")
    v.add_argument("--only-declared", action="store_true",
                   help="skip YAML files without a top-level 'kind: policy' or 'kind: model' line (for hooks over all YAML; "
                        ".py and .ipynb files are always judged)")
    v.add_argument("--fix", action="store_true",
                   help="repair what has one safe answer (a unique did-you-mean name, a denied {shared:} group written "
                        "inline), keeping the rest of the file as written; then report what remains (stdin: the fixed "
                        "text on stdout, the report on stderr)")
    v.add_argument("--diff", action="store_true",
                   help="show what --fix would change as a unified diff on stdout and write nothing "
                        "(exit 1 when there is something to fix, else 0)")
    v.add_argument("--no-cache", action="store_true",
                   help="check every file again: do not use or keep the results of earlier runs (kept in "
                        "~/.cache/policyfactory, or $POLICYFACTORY_CACHE_DIR, for files unchanged since)")
    _common(v, "validate")

    b = sub.add_parser("build", help="validate model files, then build each with Keras and save a .keras file")
    b.add_argument("paths", nargs="+", metavar="MODEL.yaml", help="model files, folders or - (stdin)")
    b.add_argument("-o", "--output", metavar="OUT.keras",
                   help="where to write the model (one input), or an existing folder (default: NAME.keras beside "
                        "each model file)")
    b.add_argument("--overwrite", action="store_true",
                   help="replace an existing output that build did not write (a trained model, say); without it "
                        "such a file is refused unless -o names it")
    b.add_argument("--summary", action="store_true", help="print the Keras model summary")
    _common(b, "build", exit_zero=False)

    e = sub.add_parser("explain", help="table of every slot, its component, seed and sharing group with the verdict")
    e.add_argument("paths", nargs="+", metavar="MODEL.yaml", help="model files, folders or - (stdin)")
    _common(e, "explain")

    a = sub.add_parser("audit", help="find shared components and weights drawn from one random stream in saved "
                                     "models (.keras, .h5: no Keras needed) or model YAML files")
    a.add_argument("paths", nargs="+", metavar="PATH",
                   help="a .keras or .h5 file (read as data: nothing is deserialized or run), a model YAML "
                        "(built with Keras, then audited), a folder of them, or - (a model YAML on stdin)")
    a.add_argument("--allow", metavar="FILE",
                   help="YAML file of allow entries ({rule, weights or slots, reason}) that accept named groups")
    _common(a, "audit")

    g = sub.add_parser("graph", help="draw the sharing groups of model files (DOT, or SVG/PNG/PDF with Graphviz)")
    g.add_argument("paths", nargs="+", metavar="MODEL.yaml", help="model files, folders or - (stdin)")
    g.add_argument("-o", "--output", metavar="OUT", default="-",
                   help="OUT.dot or OUT.gv (DOT), OUT.svg/.png/.pdf (rendered with Graphviz's dot when it is on the "
                        "PATH, else DOT is written beside), an existing folder (NAME.dot for each model), or - "
                        "(DOT on stdout; the default)")
    _common(g, "graph")

    x = sub.add_parser("export", help="write a .keras model as model YAML (config.json read as data; no Keras)")
    x.add_argument("path", metavar="MODEL.keras", help="a saved .keras model (its config.json is read as data; nothing "
                                                      "is deserialized or run)")
    x.add_argument("-o", "--output", metavar="OUT.yaml", help="where to write the model file (default: stdout)")
    x.add_argument("--policy", metavar="NAME_OR_PATH", default="strict",
                   help="the policy the exported file names (default: strict)")
    x.add_argument("--seed", type=int, metavar="N", help="write seed: N (reproducible, distinct seeds per slot)")
    x.add_argument("--format", choices=FORMATS, default="text", help="format of the findings, on stderr (default: text)")
    x.add_argument("--no-color", action="store_true", help="no colours in text output")

    r = sub.add_parser("rules", help="list every rule (finding id), or explain one: policyfactory rules ID")
    r.add_argument("rule", nargs="?", metavar="ID", help="one rule id to explain")
    r.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")

    c = sub.add_parser("config", help="print the settings in force here and where each comes from")
    c.add_argument("--config", metavar="FILE", help="read this pyproject.toml or policyfactory.toml instead")
    c.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")

    d = sub.add_parser("declare", help="declare your own layer classes as data, so validate reads files that use "
                                       "them without importing anything")
    d.add_argument("classes", nargs="+", metavar="MODULE:CLASS", help="a layer class of yours, e.g. mypkg.layers:Scale "
                                                                       "(imported from the current folder)")
    d.add_argument("--write", action="store_true",
                   help="write the declarations into the nearest settings file (pyproject.toml's [tool.policyfactory] "
                        "or policyfactory.toml; a new policyfactory.toml here when there is none)")
    d.add_argument("--config", metavar="FILE", help="write into this pyproject.toml or policyfactory.toml")
    d.add_argument("--format", choices=FORMATS, default="text", help="format of the findings (default: text)")
    d.add_argument("--no-color", action="store_true", help="no colours in text output")
    d.add_argument("-q", "--quiet", action="store_true", help=argparse.SUPPRESS)

    s = sub.add_parser("schema", help="print the JSON Schema of a policy or model file")
    s.add_argument("what", choices=("policy", "model"), metavar="policy|model", help="which file format")
    return p


def _flag_options(setting: Any, command: str) -> dict:
    """argparse options of a setting's flag; its default is None, so a flag not given leaves the settings be."""
    cli = setting.cli
    options: dict = {"default": None, "help": setting.help}
    if "metavar" in cli:
        options["metavar"] = cli["metavar"]
    if "action" in cli:
        options["action"] = cli["action"]
    elif setting.kind["type"] == "int":
        options["type"] = _bounded(setting.kind["ge"], setting.kind["le"])
    if setting.choices(command):
        options["choices"] = setting.choices(command)
    return options


# -- settings ----------------------------------------------------------------------------------

def _settings(args: argparse.Namespace) -> Any:
    """The effective settings: command-line flags over the project files over the defaults."""
    from .core.settings import fields, load_settings

    settings, problems = load_settings(".", getattr(args, "config", None),
                                       allow_outside=bool(getattr(args, "allow_outside", None)))
    if problems:
        raise InvalidInput(problems)
    for setting in fields():  # config's --format is how it prints, not a setting: config takes no setting's flag
        value = getattr(args, setting.dest, None) if setting.flag_in(args.command) else None
        if value and (setting.cli or {}).get("action") == "append":  # --exclude adds to the files' globs
            value = list(settings.values[setting.name]) + value
        settings.override(setting.name, value)
    return settings


def _apply_settings(args: argparse.Namespace) -> None:
    """Fill the flags a user did not give from the settings, so every command reads `args` alone."""
    from .core.settings import fields

    settings = _settings(args)
    args.settings = settings
    _use_backend(args, settings)
    if args.command == "config":
        return
    if settings.values["layers"]:  # the project's own classes, as data: nothing is imported here
        from .core.catalog import activate, catalog, with_declared

        activate(with_declared(catalog(), settings.values["layers"]))
    for setting in fields():
        if setting.flag_in(args.command):
            value = settings.values[setting.name]
            choices = setting.choices(args.command)  # a project's sarif is text for explain
            setattr(args, setting.dest, value if not choices or value in choices else setting.default)
    from .core.settings import selection_problem

    for key in ("select", "extend-select", "ignore"):
        problem = selection_problem(settings.values[key]) if settings.origins[key] == "command line" else None
        if problem:
            raise UsageError(f"--{key}: {problem}")
    if settings.origins["policy"] == "command line":
        from .core.references import policy_problem

        problem = policy_problem(args.policy)
        if problem:
            raise UsageError(f"--policy: {problem}")


def _use_backend(args: argparse.Namespace, settings: Any) -> None:
    """Check for the Keras backend found as Keras finds it (core/backend.py), and have the commands that import
    Keras build on that one."""
    from .core.backend import resolve_backend, set_backend

    backend = resolve_backend(settings.values["backend"], settings.origins["backend"])
    set_backend(backend)
    args.backend_in_use = backend
    if args.command in KERAS_COMMANDS and "keras" not in sys.modules:
        os.environ["KERAS_BACKEND"] = backend.name  # read by Keras when it is imported, after this


def _color(args: argparse.Namespace, out: IO[str] | None = None) -> bool:
    """Colours in text output: `--color always|never`, else (auto) FORCE_COLOR forces them, and otherwise only
    on a terminal, never with --no-color or NO_COLOR set (the conventions of no-color.org and force-color.org)."""
    choice = getattr(args, "color", "auto")
    if choice != "auto" or getattr(args, "no_color", False):
        return choice == "always" and not getattr(args, "no_color", False)
    if os.environ.get("FORCE_COLOR"):
        return True
    stream = out or sys.stdout
    return not os.environ.get("NO_COLOR") and hasattr(stream, "isatty") and stream.isatty()  # empty: not set


# -- output ------------------------------------------------------------------------------------

def _emit(findings: list[Finding], fmt: str, ok_lines: list[str] | None = None, out: IO[str] | None = None, *,
          quiet: bool = False, color: bool = False, extra: dict | None = None) -> None:
    findings = sorted_findings(findings)
    if fmt == "json" and extra:
        print(json.dumps({"findings": [f.as_json() for f in findings], **extra}, indent=2), file=out)
        return
    if fmt != "text":
        print(render(findings, fmt), file=out)
        return
    if findings:
        print(format_text(findings, color=color), file=out)
        if not quiet:  # by what a finding does to the exit code (a project may raise or lower a rule)
            counts = {"invalid": sum(1 for f in findings if f.category == "invalid"),
                      "policy": sum(1 for f in findings if f.severity == "error" and f.category != "invalid"),
                      "warning": sum(1 for f in findings if f.severity != "error")}
            parts = [plural(n, word) for c, word in (("invalid", "invalid input"), ("policy", "policy finding"),
                                                     ("warning", "warning")) if (n := counts[c])]
            files = len({f.file for f in findings})
            print(f"{plural(len(findings), 'finding')} ({', '.join(parts)}) in {plural(files, 'file')}",
                  file=sys.stderr)
    if not quiet:
        for line in ok_lines or []:
            print(line, file=out)


def _judged(args: argparse.Namespace, findings: list[Finding]) -> list[Finding]:
    """Findings at the project's rule severities (`[tool.policyfactory.severity]`), then `select`, `extend-select`
    and `ignore` (a rule that is off by default is turned on by naming it in `select` or `extend-select`)."""
    from .core.rules import RULES
    from .core.settings import apply_per_file_ignores, apply_selection, apply_severity

    values = args.settings.values
    select, extend, ignore = (values.get(k) or [] for k in ("select", "extend-select", "ignore"))
    overrides = {r: RULES[r].severity for r in [*select, *extend] if r in RULES and not RULES[r].enabled}
    chosen = apply_selection(apply_severity(findings, {**overrides, **values["severity"]}), select, extend, ignore)
    return apply_per_file_ignores(chosen, values["per-file-ignores"])


def _finish(args: argparse.Namespace, findings: list[Finding], ok_lines: list[str] | None = None,
            out: IO[str] | None = None,
            extra: dict | None = None) -> int:
    """Apply the project's rule severities, print, and return the exit code: the end of every command."""
    findings = _judged(args, findings)
    code = exit_code(findings)
    if getattr(args, "statistics", False):
        _statistics(findings, args.format, out)
        return code
    target = getattr(args, "output_file", None)
    if target is None:
        _emit(findings, args.format, ok_lines, out, quiet=args.quiet, color=_color(args, out), extra=extra)
        return code
    from .core.atomic import atomic_output

    inputs = tuple(p for p in getattr(args, "paths", ()) if p != "-")
    with atomic_output(target, inputs=inputs) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        _emit(findings, args.format, ok_lines, fh, quiet=args.quiet, color=False, extra=extra)
    return code


def _statistics(findings: list[Finding], fmt: str, out: IO[str] | None) -> None:
    """`--statistics`: findings counted by rule, most frequent first (as ruff prints them)."""
    from .core.rules import RULES

    counts: dict[str, int] = {}
    for f in findings:
        counts[f.rule] = counts.get(f.rule, 0) + 1
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    if fmt == "json":
        print(json.dumps([{"rule": r, "count": n, "category": RULES[r].category, "summary": RULES[r].summary}
                          for r, n in rows], indent=2), file=out)
        return
    width = max((len(r) for r, _ in rows), default=0)
    for rule, n in rows:
        print(f"{n:>6}  {rule.ljust(width)}  {RULES[rule].summary}", file=out)


def _check_args(args: argparse.Namespace) -> dict:
    """The keyword arguments of `check_path` that come from the command line (and the settings)."""
    origin = args.settings.origins.get("policy", "") if hasattr(args, "settings") else ""
    return {"policy": args.policy, "limits": _limits(args), "allow_outside": args.allow_outside,
            "policy_origin": "--policy" if origin == "command line" else origin}


def _limits(args: argparse.Namespace) -> Limits:
    return Limits(max_bytes=args.max_bytes, max_params=args.max_params)


def _sources(args: argparse.Namespace) -> list[Source]:
    """The files a command reads: its paths, folders walked, `-` from standard input."""
    from .core.sources import SourceError, expand

    kinds = ("model",) if args.command in MODEL_COMMANDS else ("policy", "model")
    skipped: list[tuple[str, str]] = []
    try:
        sources = expand(args.paths, excludes=args.exclude, stdin_name=args.stdin_filename, limits=_limits(args),
                         kinds=kinds, saved=args.command == "audit", skipped=skipped,
                         python=args.command == "validate")
    except SourceError as exc:
        raise UsageError(str(exc)) from None
    for path, why in skipped:
        print(f"policyfactory {args.command}: warning: {shown(path)} skipped: {why}", file=sys.stderr)
    if args.stdin_filename is not None and "-" not in args.paths:
        raise UsageError("--stdin-filename names standard input: give '-' among the paths")
    what = {"audit": "saved models or model files",
            "validate": "policy or model files, Python sources or notebooks"}.get(args.command,
                                                                                             "model files")
    for p in args.paths:
        if p != "-" and os.path.isdir(p) and not any(s.origin == p for s in sources):
            print(f"policyfactory {args.command}: warning: no {what} found in {p}", file=sys.stderr)
    return sources


def _folder(out: str, suffixes: tuple[str, ...]) -> bool:
    """Whether `-o` names a folder to write into: an existing one whose name is not a file name of ours
    (a folder called `model.keras` is refused as an output, never written into)."""
    return os.path.isdir(out) and not out.lower().rstrip("/" + os.sep).endswith(suffixes)


def _several(args: argparse.Namespace) -> bool:
    """Whether the command line names more than one file (several paths, or a folder)."""
    return len(args.paths) > 1 or any(os.path.isdir(p) for p in args.paths)


# -- commands ------------------------------------------------------------------------------------

def cmd_validate(args: argparse.Namespace) -> int:
    from .core.references import is_python

    findings: list[Finding] = []
    ok_lines: list[str] = []
    sources = _sources(args)
    fixer = _fixer(args, sources)
    unjudged = _validate_files(args, [s for s in sources if not is_python(s.path)], fixer, findings, ok_lines)
    _validate_python(args, [(s.path, s.data) for s in sources if is_python(s.path)], findings, ok_lines)
    code = fixer.finish(lambda out: _finish(args, findings, ok_lines, out))
    if unjudged and args.format == "text" and not args.quiet and not args.statistics:
        print(f"sharing not judged in {plural(unjudged, 'model file')} with errors: every error is listed above; "
              f"the sharing check runs once they are fixed", file=sys.stderr)
    return code


def _validate_files(args: argparse.Namespace, sources: list[Source], fixer: Any, findings: list[Finding],
                    ok_lines: list[str]) -> int:
    """Policy and model files: their findings and ok lines are added, and the number of model files whose sharing
    was not judged (errors of their own) is returned. Checked on every core when nothing is fixed and nothing comes
    from stdin (core/parallel.py), else one at a time through the fixer."""
    from .core.references import declares_kind

    unjudged = 0
    sources = [src for src in sources if not (args.only_declared and src.data is None and os.path.isfile(src.path)
                                              and declares_kind(src.path, _limits(args)) is None)]
    if isinstance(fixer, _NoFix) and all(src.data is None for src in sources):  # many files: on every core
        results = _checked_paths(args, [src.path for src in sources])
    else:
        from .core.validate import check_path

        results = [fixer.source(src.path, src.data, check_path(src.path, **_check_args(args), data=src.data))
                   for src in sources]
    for src, result in zip(sources, results):
        found = _judged(args, result.findings)
        findings.extend(found)
        unjudged += not result.judged
        if not any(f.severity == "error" for f in found) and result.summary:
            ok_lines.append(f"{src.path}: ok, {result.summary}")
    return unjudged


def _checked_paths(args: argparse.Namespace, paths: list[str]) -> list[Any]:
    """The result of each file: from the results of earlier runs (core/resultcache.py) where the file is as it was
    then, else checked (on every core when they are many). With every result known, no check is imported."""
    from .core.backend import current_backend
    from .core.resultcache import Store, cache_dir, run_key

    folder = None if args.no_cache else cache_dir()
    store = None
    if folder is not None:
        settings = args.settings
        try:
            store = Store(folder, run_key({"settings": settings.values, "origins": settings.origins,
                                           "backend": current_backend(), "check": _check_args(args)}))
        except OSError:  # the package or a library changing under the run (an install): no cache this time
            store = None
    known = [store.lookup(p, args.max_bytes) if store is not None else None for p in paths]
    todo = [p for p, r in zip(paths, known) if r is None]
    if todo:
        from .core.validate import check_paths

        fresh = iter(check_paths(todo, store, **_check_args(args)))
        known = [r if r is not None else next(fresh) for r in known]
    if store is not None:
        store.save()
    return known


def _validate_python(args: argparse.Namespace, python: list[tuple[str, bytes | None]], findings: list[Finding],
                     ok_lines: list[str]) -> None:
    """Python sources and notebooks, read together: an object made in one file may reach slots in another."""
    if not python:
        return
    from .core.validate import check_sources

    result = check_sources(python, **_check_args(args))
    found = _judged(args, result.findings)
    findings.extend(found)
    failed = {f.file for f in found if f.severity == "error"}
    for line in result.summary.splitlines():
        path, _, summary = line.partition(": ")
        if path not in failed:
            ok_lines.append(f"{path}: ok, {summary}")


class _NoFix:
    """validate without --fix or --diff: every file reported as it is."""

    def source(self, path: str, data: bytes | None, result: Any) -> Any:
        return result

    def finish(self, report: Callable[[IO[str] | None], int]) -> int:
        return report(None)


def _fixer(args: argparse.Namespace, sources: list[Source]) -> Any:
    """`validate --fix` / `--diff`: the Fixer that repairs (or shows) each file (core/fix.py, imported only then)."""
    if not (args.fix or args.diff):
        return _NoFix()
    from .core.fix import Fixer
    from .core.validate import check_path

    if args.fix and args.diff:
        raise UsageError("--fix and --diff: give one (--diff shows what --fix would write, and writes nothing)")
    if args.fix and any(s.data is not None for s in sources) and len(args.paths) > 1:
        raise UsageError("--fix reads standard input ('-') alone: its fixed text is written to stdout")
    return Fixer(lambda path, data: check_path(path, **_check_args(args), data=data), lambda fs: _judged(args, fs),
                 diff=args.diff, limits=_limits(args), quiet=args.quiet)


def cmd_schema(args: argparse.Namespace) -> int:
    from .core.jsonschema import schema_for

    print(json.dumps(schema_for(args.what), indent=2))
    return EXIT_OK


def cmd_config(args: argparse.Namespace) -> int:
    from .core.backend import keras_line
    from .core.settings import toml_value

    settings = args.settings
    backend = args.backend_in_use
    if args.format == "json":
        print(json.dumps({"file": settings.file, "files": settings.files, "settings": settings.values,
                          "origins": settings.origins, "backend": {"name": backend.name, "origin": backend.origin},
                          "keras": keras_line(backend)}, indent=2))
        return EXIT_OK
    if len(settings.files) > 1:
        print(f"# settings files, nearest first (merged field by field, the nearest wins): "
              f"{', '.join(settings.files)}")
    else:
        print(f"# settings file: {settings.file or 'none (defaults; no policyfactory.toml or [tool.policyfactory] found)'}")
    for key, value in settings.values.items():
        if value is None:
            print(f"# {key}: not set    # {settings.origins[key]}")
        else:
            print(f"{key} = {toml_value(value)}    # {settings.origins[key]}")
    print(f"# {keras_line(backend)} (validate checks models for this backend)")
    return EXIT_OK


def cmd_rules(args: argparse.Namespace) -> int:
    from .core.rules import RULES

    if args.rule is not None:
        info = RULES.get(args.rule)
        if info is None:
            from .core.text import did_you_mean

            raise UsageError(f"no rule {shown(args.rule)}{did_you_mean(args.rule, RULES)}; "
                             f"'policyfactory rules' lists them all")
        if args.format == "json":
            print(json.dumps(info.as_json(), indent=2))
            return EXIT_OK
        level = info.category if info.category == info.severity else f"{info.category}: {info.severity}, exit " \
            f"{EXIT_INVALID if info.category == 'invalid' else EXIT_POLICY}"
        off = "; off by default, on with [tool.policyfactory.severity]" if not info.enabled else ""
        parts = [f"{info.id} ({level}{off})", "", info.summary, "", info.explanation]
        for title, text in (("Example that triggers it:", info.bad), ("Fixed:", info.good), ("Fix:", info.fix)):
            if text:
                parts += ["", title, "    " + text.strip().replace("\n", "\n    ")]
        print("\n".join(parts))
        return EXIT_OK
    if args.format == "json":
        print(json.dumps([i.as_json() for i in RULES.values()], indent=2))
        return EXIT_OK
    width = max(len(i) for i in RULES)
    for info in RULES.values():
        print(f"{info.id.ljust(width)}  {info.category + ('' if info.enabled else ' (off)'):<13}  {info.summary}")
    return EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    from .core.explain import explain_document, explain_path
    from .core.validate import check_path

    findings: list[Finding] = []
    if args.format == "json":
        docs = []
        for src in _sources(args):
            result = check_path(src.path, **_check_args(args), expect="model", data=src.data)
            found = sorted_findings(_judged(args, result.findings))
            docs.append(explain_document(src.path, result, found))
            findings.extend(found)
        print(json.dumps(docs if _several(args) else docs[0] if docs else [], indent=2))
        return exit_code(findings)
    tables = []
    for src in _sources(args):
        found, text = explain_path(src.path, fmt="text", **_check_args(args), data=src.data)
        findings.extend(found)
        if text:
            tables.append(f"{src.path}: {text}" if _several(args) else text)
    if tables:
        print("\n\n".join(tables))
    return _finish(args, findings)


def _graph_target(args: argparse.Namespace, sources: list[Source]) -> str | None:
    """Where the graph of each model goes: None for stdout, a folder, or one file; refuses what cannot work."""
    out = args.output
    if out == "-":
        return None
    if _folder(out, GRAPH_SUFFIXES):
        return out
    if len(sources) > 1 or _several(args):
        raise UsageError(f"with several model files, -o must be an existing folder or - (got {shown(out)})")
    if not out.lower().endswith(GRAPH_SUFFIXES):
        raise UsageError(f"-o {shown(out)}: the output name must end in {', '.join(GRAPH_SUFFIXES)}, "
                         f"be an existing folder, or be - for DOT on stdout")
    return out


def cmd_graph(args: argparse.Namespace) -> int:
    from .core.atomic import atomic_output, check_output
    from .core.explain import rows_for
    from .core.graph import render as render_graph
    from .core.graph import to_dot
    from .core.validate import check_path

    sources = _sources(args)
    target = _graph_target(args, sources)
    if target is not None and _folder(target, GRAPH_SUFFIXES):
        _no_collisions([(src.path, os.path.join(target, os.path.splitext(os.path.basename(src.path))[0] + ".dot"))
                        for src in sources])
    findings: list[Finding] = []
    ok_lines = []
    for src in sources:
        result = check_path(src.path, **_check_args(args), expect="model", data=src.data)
        findings.extend(result.findings)
        if result.plan is None or result.spec is None:  # invalid input: nothing to draw
            continue
        dot_text = to_dot(rows_for(result.plan), f"{result.spec.name} under policy {result.plan.policy.name}")
        if target is None:
            sys.stdout.write(dot_text if dot_text.endswith("\n") else dot_text + "\n")
            continue
        out = (os.path.join(target, os.path.splitext(os.path.basename(src.path))[0] + ".dot")
               if _folder(target, GRAPH_SUFFIXES) else target)
        protected = (src.path, *result.plan.policy.sources)
        check_output(out, inputs=protected)
        stem, ext = os.path.splitext(out)
        data = dot_text.encode("utf-8")
        if ext.lower() not in (".dot", ".gv"):
            rendered = render_graph(dot_text, ext.lstrip(".").lower(), out)
            if rendered is None:  # what was asked for cannot be made: nothing is written, exit 2
                findings.append(Finding(out, 1, 1, OUTPUT_PATH, f"Graphviz 'dot' is not on the PATH, so {ext} cannot be "
                                        f"drawn: install Graphviz (apt-get install graphviz, brew install graphviz), "
                                        f"or write DOT with -o {os.path.basename(stem)}.dot"))
                continue
            data = rendered
        with atomic_output(out, inputs=protected) as tmp, open(tmp, "wb") as fh:
            fh.write(data)
        ok_lines.append(f"{src.path}: wrote {out}")
    return _finish(args, findings, ok_lines, out=sys.stderr if target is None else None)


def _build_output(args: argparse.Namespace, src: Source, several: bool) -> str | None:
    out = args.output
    if out is None:
        return None
    if _folder(out, (".keras",)):
        return os.path.join(out, os.path.splitext(os.path.basename(src.path))[0] + ".keras")
    if several:
        raise UsageError(f"with several model files, -o must be an existing folder (got {shown(out)})")
    if not out.lower().endswith(".keras"):
        raise UsageError(f"-o {shown(out)}: the output name must end in .keras, or be an existing folder")
    return out


def _no_collisions(outputs: list[tuple[str, str]]) -> None:
    """Refuse two inputs that would write one output (`a/m.yaml`, `b/m.yaml` into one -o folder; `a.yaml` and
    `a.yml` beside each other), before anything is written: the second would silently replace the first."""
    seen: dict[tuple[str, str], str] = {}
    for src_path, out in outputs:
        folder, name = os.path.split(os.path.abspath(out))
        key = (os.path.normcase(os.path.realpath(folder)), os.path.normcase(name))
        if key in seen:
            raise UsageError(f"{shown(seen[key])} and {shown(src_path)} would both write {escape(os.path.basename(out))} "
                             f"in {shown(os.path.dirname(out) or '.')}: "
                             f"build or draw them into different folders (-o FOLDER), or rename one")
        seen[key] = src_path


def _build_outputs(args: argparse.Namespace, sources: list[Source], several: bool) -> list[tuple[str, str]]:
    """(model file, output) of every model, each name checked, before anything is built."""
    outputs = []
    for src in sources:
        out = _build_output(args, src, several)
        if out is None:  # beside the model file (a model from - needs -o or --stdin-filename)
            out = os.path.join(os.path.dirname(src.path), os.path.splitext(os.path.basename(src.path))[0] + ".keras")
        outputs.append((src.path, out))
    _no_collisions(outputs)
    return outputs


def _import_declared(args: argparse.Namespace) -> None:
    """The project's declared layer classes, imported for a command that builds models (build, audit)."""
    from .core.catalog import catalog

    if not any(lt.declared for lt in catalog().layers.values()):
        return
    problems = _keras_side("registry", "import_declared", args.settings.file or ".")(args.settings.layer_files)
    if problems:
        raise InvalidInput(problems)


def cmd_build(args: argparse.Namespace) -> int:
    from .core.validate import check_path

    _import_declared(args)
    sources = _sources(args)
    several = len(sources) > 1 or _several(args)
    if args.output is None and args.stdin_filename is None and "-" in args.paths:
        raise UsageError("a model read from - is written where -o says, or beside its --stdin-filename")
    _build_outputs(args, sources, several)  # every output name is checked before anything is built
    # a name build chose (beside the model, in an -o folder) replaces only a file build wrote; -o FILE is the user's
    replace = args.overwrite or (args.output is not None and not _folder(args.output, (".keras",)))
    findings: list[Finding] = []
    ok_lines: list[str] = []
    built: list[dict] = []
    for src in sources:
        out = _build_output(args, src, several)
        result = check_path(src.path, **_check_args(args), expect="model", data=src.data)
        findings.extend(result.findings)
        # judged as reported: a rule the settings lower to a warning (or turn off) does not stop the build
        if exit_code(_judged(args, result.findings)) != EXIT_OK or result.plan is None or result.spec is None:
            print(f"{src.path}: not built, nothing written", file=sys.stderr)
            continue
        build_and_save = _keras_side("building", "build_and_save", src.path)
        try:
            written, model = build_and_save(result.spec, result.plan, out, replace=replace)
        except PolicyfactoryError as exc:
            findings.extend(exc.findings)
            print(f"{src.path}: not built, nothing written", file=sys.stderr)
            continue
        if args.summary:
            model.summary()
        params = int(model.count_params())
        backend = args.backend_in_use.name
        built.append({"file": src.path, "output": written, "model": model.name, "parameters": params,
                      "backend": backend})
        ok_lines.append(f"{src.path}: built model {shown(model.name)} ({plural(params, 'parameter')}, {backend} "
                        f"backend) -> {written} (uncompiled: compile it before training)")
    code = _finish(args, findings, ok_lines, extra={"built": built})
    if code == EXIT_OK and len(built) < len(sources):
        return EXIT_INVALID  # nothing found, yet a model was not built: never report success
    return code


def _audit_yaml(src: Source, args: argparse.Namespace, allows: tuple) -> tuple[Any, list[bool]]:
    """(report, which allows it used) for a model YAML: the plan's verdict, then the weights of its build."""
    from .core.plan import apply_allows
    from .core.validate import check_path

    # the audit engine needs numpy: a core-only install gets the install line, not an internal error
    AuditResult = _optional("fileaudit.engine", "AuditResult", src.path,
                            "auditing a model file builds it: it needs Keras", "keras")
    result = check_path(src.path, **_check_args(args), expect="model", data=src.data)
    if result.plan is None or result.spec is None:
        return AuditResult(list(result.findings)), [False] * len(allows)
    report = _keras_side("audit", "audit_planned", src.path)(result.spec, result.plan)  # imports Keras
    applied = apply_allows(report.findings, allows, report_unused=False)
    report.findings = applied.kept
    return report, applied.used


def _ok_line(path: str, report: Any) -> str:
    counts = f"{report.compared} weights compared; {report.skipped} skipped: deterministic, constant or tiny"
    if report.allowed:
        return f"{path}: ok, {plural(len(report.allowed), 'allowed sharing group')}: " + "; ".join(report.allowed) \
            + f" ({counts})"
    return f"{path}: ok, no shared components or correlated weights found ({counts})"


def cmd_audit(args: argparse.Namespace) -> int:
    allows: tuple = ()
    if args.allow:
        from .core.allowfile import load_allow_file

        allows = load_allow_file(args.allow, _limits(args))
    sources = _sources(args)
    if any(src.data is not None or src.path.endswith((".yaml", ".yml")) for src in sources):
        _import_declared(args)  # model files are built before they are audited
    saved = [src.path for src in sources if src.data is None and not src.path.endswith((".yaml", ".yml"))]
    policy = None
    if saved:
        from .core.policy import load_policy

        policy = load_policy(args.policy or "strict", _limits(args), allow_outside=args.allow_outside)
    used = [False] * len(allows)
    findings: list[Finding] = []
    ok_lines = []
    for src in sources:
        try:
            report, file_used = _audit_one(src, args, policy if src.path in saved else None, allows)
        except PolicyfactoryError as exc:
            findings.extend(exc.findings)
            continue
        used = [a or b for a, b in zip(used, file_used)]
        found = _judged(args, report.findings)
        findings.extend(found)
        if exit_code(found) == EXIT_OK:
            ok_lines.append(_ok_line(src.path, report))
    return _finish(args, findings + _unused_allows(allows, used, policy), ok_lines)


def _audit_one(src: Source, args: argparse.Namespace, policy: Any, allows: tuple) -> tuple[Any, list[bool]]:
    """(report, which allows it used) for one source: a saved model read as data (with `policy`), else a model YAML."""
    path = src.path
    if src.data is None and not os.path.isfile(path):
        why = ("is a directory, not a model file" if os.path.isdir(path)
               else "is not a regular file" if os.path.exists(path) else "no such file")
        raise InvalidInput(Finding(path, 1, 1, FILE_UNREADABLE, why))
    if policy is not None and src.data is None:
        audit_file = _optional("fileaudit.files", "audit_file", path,  # numpy and h5py, never Keras
                               "auditing a saved model needs numpy and h5py", "audit")
        return audit_file(path, policy, allows)
    return _audit_yaml(src, args, allows)


def _unused_allows(allows: tuple, used: list[bool], policy: Any) -> list[Finding]:
    """An `unused-allow` warning for every entry of an allow file that no audited model used."""
    if not allows:
        return []
    from .core.plan import unused_allow
    from .core.rules import RULES
    from .core.text import Suggester

    known = Suggester([*RULES, *(r.id for r in policy.rules)] if policy is not None else RULES)
    return [unused_allow(a, known) for a, was_used in zip(allows, used) if not was_used]


def _keras_side(module: str, name: str, path: str) -> Any:
    """A Keras-side function, or a finding (exit 2) that says how to install Keras when it is missing."""
    return _optional(f"keras_side.{module}", name, path, "this command needs Keras", "keras")


def _optional(module: str, name: str, path: str, needs: str, extra: str) -> Any:
    """A function from a part of the package that needs an extra, or a finding (exit 2) naming the extra."""
    import importlib

    from .core.backend import BACKEND_MODULES

    try:
        return getattr(importlib.import_module(f".{module}", __package__), name)
    except ImportError as exc:
        rule = KERAS_ERROR if extra == "keras" else AUDIT_INPUT
        if extra == "keras" and exc.name in BACKEND_MODULES:  # Keras is there, not its backend
            from .core.backend import missing_backend

            raise InvalidInput(Finding(path, 1, 1, rule, missing_backend(needs, exc.name))) from None
        raise InvalidInput(Finding(path, 1, 1, rule,
                                   f"{needs} ({exc.name or exc} is not installed): {INSTALL_HINTS[extra]}")) from None


INSTALL_HINTS = {  # Keras runs on TensorFlow, JAX or PyTorch: its extra has no backend, so the hint names one
    "keras": "pip install 'policyfactory[keras]' and a backend (jax, or torch, or tensorflow), "
             "or pip install 'policyfactory[tensorflow]'",
    "audit": "pip install 'policyfactory[audit]'",
}


KERAS_COMMANDS = ("build", "audit", "declare")  # may import TensorFlow: its start-up lines are filtered from stderr


def _export_reads(args: argparse.Namespace) -> tuple[str, ...]:
    """The files export reads, which it never writes over: the input, and the policy it names (a path is read
    from the current folder and, as written in the output, from the output's folder)."""
    from .core.references import builtin_path

    reads = [args.path]
    if args.policy and builtin_path(args.policy) is None and "\x00" not in args.policy:
        reads.append(args.policy)
        if args.output is not None:
            reads.append(os.path.join(os.path.dirname(os.path.abspath(args.output)), args.policy))
    return tuple(reads)


def _export_output(out: str, reads: tuple[str, ...]) -> None:
    """Refuse an output path that cannot be written, or that is a file export reads."""
    from .core.atomic import check_output

    if not out.endswith((".yaml", ".yml")):
        raise InvalidInput(Finding(out, 1, 1, OUTPUT_PATH, "the output file name must end in .yaml or .yml"))
    check_output(out, inputs=reads)  # not the input or its policy, a symlink, a directory or a FIFO


def cmd_export(args: argparse.Namespace) -> int:
    """YAML on stdout (or -o); findings and notes on stderr, so that stdout stays a model file."""
    from .core.atomic import atomic_output
    from .core.export_yaml import export_file

    out = args.output
    reads = _export_reads(args)
    try:
        if out is not None:
            _export_output(out, reads)
        result = export_file(args.path, policy=args.policy, seed=args.seed,
                             base_dir=os.path.dirname(os.path.abspath(out)) if out else os.getcwd())
    except InvalidInput as exc:
        _emit(exc.findings, args.format, out=sys.stderr)
        print(f"{args.path}: not exported, nothing written", file=sys.stderr)
        return EXIT_INVALID
    if out is None:
        sys.stdout.write(result.text)
    else:
        try:
            with atomic_output(out, inputs=reads) as tmp, open(tmp, "w", encoding="utf-8") as fh:
                fh.write(result.text)
        except OSError as exc:
            raise InvalidInput(Finding(out, 1, 1, OUTPUT_PATH, f"cannot write: {exc.strerror or exc}")) from None
    policy_findings = [f for f in result.findings if f.severity == "error"]
    print(f"{args.path}: exported model {shown(result.data['name'])} ({plural(result.layers, 'layer')}, "
          f"{plural(result.shared, 'shared component')}) -> {out or 'stdout'}", file=sys.stderr)
    if policy_findings:
        print(f"note: validate will report {len(policy_findings)} policy finding(s) in it "
              f"({', '.join(sorted({f.rule for f in policy_findings}))}): "
              f"policyfactory validate {out or 'OUT.yaml'}", file=sys.stderr)
    return EXIT_OK


def cmd_declare(args: argparse.Namespace) -> int:
    """Import the classes named on the command line (the user's own code) and print, or write, their declarations."""
    from .core.settings import declaration_toml, write_declarations

    declare = _keras_side("registry", "declare", args.classes[0])
    entries, findings = declare(args.classes, os.getcwd())
    if findings:
        return _finish(args, findings)
    if not args.write:
        print(declaration_toml(entries, nested=True), end="")
        return EXIT_OK
    target = args.settings.file or "policyfactory.toml"
    write_declarations(target, entries)
    for name, decl in entries.items():
        print(f"{target}: declared layer {name!r} ({decl['module']}:{decl['class']}, "
              f"{len(decl['slots'])} component slot{'s' if len(decl['slots']) != 1 else ''})")
    return EXIT_OK


COMMANDS = {"validate": cmd_validate, "schema": cmd_schema, "build": cmd_build, "explain": cmd_explain,
            "audit": cmd_audit, "graph": cmd_graph, "rules": cmd_rules, "export": cmd_export, "config": cmd_config,
            "declare": cmd_declare}
SETTINGS_COMMANDS = (*PATH_COMMANDS, "config", "export", "declare")  # read the project's settings


@contextmanager
def _gc_paused() -> Iterator[None]:
    """A command allocates many small objects that all stay alive until it ends; pausing the cyclic
    garbage collector meanwhile keeps validation linear in the file's size. Only the CLI does this:
    the library never changes process-wide state."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


class _Output:
    """stdout or stderr, remembering a write that failed (a full disk): argparse swallows such an error and
    Python's last flush misreports it, yet the run must end with exit 2. Everything else is the stream's own."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self.failed: OSError | None = None

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError as exc:
            self.failed = exc
            raise

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as exc:
            self.failed = exc
            raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def run() -> None:
    """The `policyfactory` command and `python -m policyfactory`: `main` in a process of its own.

    Its cyclic garbage collector stays off to the end (`main` pauses it for the command and turns it back on
    for callers in a process that goes on): turned on just before the process ends, it would walk every object
    the run made, a tenth of a small file's run, only for the process to free them all anyway.
    """
    gc.disable()
    sys.exit(main())


def main(argv: list[str] | None = None) -> int:
    """Run one command; its exit code. Output that cannot be written (a full disk, a closed pipe) ends the run
    with exit 2 (141 for a closed pipe) and one line on stderr when stderr still works, never a traceback, and
    never 1, which would read as "policy findings"."""
    saved = sys.stdout, sys.stderr
    out, err = _Output(sys.stdout), _Output(sys.stderr)
    sys.stdout, sys.stderr = out, err
    try:
        try:
            code = _main(argv)
        except SystemExit:  # argparse: --help, --version, a bad command line
            _flush(out, err)
            if out.failed or err.failed:
                return _output_failed(out, err)
            raise
        _flush(out, err)  # here, not in Python's last flush, whose failure would exit 120
        if out.failed or err.failed:
            return _output_failed(out, err)
        return code
    except OSError:  # _main lets out only the errors of writing stdout or stderr
        return _output_failed(out, err)
    finally:
        sys.stdout, sys.stderr = saved


def _flush(*streams: _Output) -> None:
    for stream in streams:
        with contextlib.suppress(OSError, ValueError):
            stream.flush()


def _output_failed(out: _Output, err: _Output) -> int:
    """End a run whose output cannot be written: point the broken streams at the null device (so the
    interpreter's last flush cannot fail again), say so on stderr if stderr works, and exit 2 (141: closed pipe)."""
    for stream, fd in ((out, 1), (err, 2)):
        if stream.failed is not None:
            with contextlib.suppress(OSError):
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, fd)
                os.close(devnull)
    exc = out.failed or err.failed
    if isinstance(exc, BrokenPipeError):
        return 141  # 128 + SIGPIPE, as a shell reports a process killed by a closed pipe
    if err.failed is None and exc is not None:
        with contextlib.suppress(OSError, ValueError):
            print(f"policyfactory: error: cannot write standard output: {exc.strerror or exc}", file=err)
            err.flush()
    return EXIT_INVALID


def _stream_failed() -> bool:
    """Whether stdout or stderr failed to write during this run."""
    return any(isinstance(s, _Output) and s.failed is not None for s in (sys.stdout, sys.stderr))


def _unknown_argument(parser: argparse.ArgumentParser, args: argparse.Namespace, unknown: list[str]) -> None:
    """An argument no command takes: the command's usage and, for a misspelt flag, the flag it looks like."""
    from .core.text import did_you_mean

    sub = None
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and getattr(args, "command", None) in action.choices:
            sub = action.choices[args.command]
    target = sub or parser
    bad = unknown[0]
    hint = did_you_mean(bad.split("=", 1)[0], target._option_string_actions) if bad.startswith("-") else ""
    target.error(f"unrecognized argument {bad!r}{hint}")


_SHORT_USAGE = """usage: policyfactory COMMAND [options] [PATH ...]

commands: {commands}
  policyfactory validate .          check every policy, model file and Python source here (no TensorFlow)
  policyfactory COMMAND --help      a command's options
  policyfactory --help              every command in one page"""


_TOP_LEVEL_FLAGS = ("-h", "--help", "--version")


def _top_level(word: str) -> bool:
    """-h, --help, --version, or an abbreviation argparse takes for one (--he, --vers)."""
    name = word.split("=", 1)[0]
    return name in _TOP_LEVEL_FLAGS or (len(name) > 2 and name.startswith("--")
                                        and any(f.startswith(name) for f in _TOP_LEVEL_FLAGS[1:]))


def _options_of(names: list[str]) -> dict[str, set[str]]:
    """command -> the option strings it takes (the parser of each, built for the question)."""
    out: dict[str, set[str]] = {}
    for name in names:
        for action in _parser(name)._actions:
            if isinstance(action, argparse._SubParsersAction) and name in action.choices:
                out[name] = set(action.choices[name]._option_string_actions) - set(_TOP_LEVEL_FLAGS)
    return out


def _option_before_command(words: list[str]) -> None:
    """`policyfactory --fromat text validate x`: options belong to a command, so say where this one goes and, for a
    misspelt one, what it looks like among that command's options (every command's when none is named); a
    misspelt command and an option of another command are named too."""
    from .core.text import suggestion

    bad = words[0].split("=", 1)[0]
    command = next((w for w in words if w in COMMANDS), None)
    also = ""
    if command is None:  # a misspelt command after the option: its one answer, if it has one
        guesses = [(w, suggestion(w, COMMANDS)[1]) for w in words[1:] if not w.startswith("-")]
        word, command = next(((w, c) for w, c in guesses if c), (None, None))
        also = f"; {shown(word)} is no command (did you mean {shown(command)}?)" if word else ""
    options = _options_of([command] if command else list(COMMANDS))
    flags = set().union(*options.values())
    where = f"policyfactory {command or 'COMMAND'}"
    if bad in flags:
        _parser().error(f"{shown(bad)} is an option of a command: it goes after the command ({where} {bad} ...){also}")
    owners = [name for name, opts in _options_of(list(COMMANDS)).items() if bad in opts] if command else []
    if owners:
        _parser().error(f"{shown(bad)} is an option of {' and '.join(owners)}, not of {command}{also}")
    hint, meant = suggestion(bad, flags)
    _parser().error(f"unrecognized argument {shown(bad)} before the command{hint}: options go after it "
                    f"({where} {meant or 'OPTIONS'} ...){also}")


def _parsed(argv: list[str] | None) -> argparse.Namespace:
    """The command line, parsed by the parser of its command alone; a misspelt command or flag gets the usage and
    the name it looks like (exit 2, as argparse exits)."""
    words = sys.argv[1:] if argv is None else argv
    first = next((w for w in words if not w.startswith("-")), None)
    before = words[:words.index(first)] if first in words else words
    if before and before[0] not in ("-", "--") and not any(_top_level(w) for w in before):
        _option_before_command(words)
    parser = _parser(first if first in COMMANDS and words and words[0] == first else None)
    if words and words[0] == first and first not in COMMANDS:
        from .core.text import did_you_mean

        parser.error(f"unknown command {first!r}{did_you_mean(first, COMMANDS)} (commands: {', '.join(COMMANDS)})")
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        _unknown_argument(parser, args, unknown)
    return args


def _main(argv: list[str] | None = None) -> int:
    args = _parsed(argv)
    if args.command is None:  # no command is not an error: a short usage, the full help is one flag away
        print(_SHORT_USAGE.format(commands=", ".join(COMMANDS)))
        return EXIT_OK
    try:
        _working_folder()
        if args.command in SETTINGS_COMMANDS:
            _apply_settings(args)
        quiet = quiet_tensorflow() if args.command in KERAS_COMMANDS else contextlib.nullcontext()
        with _gc_paused(), quiet:
            code = COMMANDS[args.command](args)
    except UsageError as exc:  # as argparse reports a bad command line
        print(f"policyfactory {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except PolicyfactoryError as exc:  # InvalidInput, or a PolicyViolation raised while building
        _emit(exc.findings, getattr(args, "format", None) or "text")
        code = exit_code(exc.findings) or EXIT_INVALID
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # stdout closed early (`policyfactory export m.keras | head`): stop quietly
        raise
    except Exception as exc:  # a bug of ours: one line, not a traceback (POLICYFACTORY_DEBUG=1 shows it)
        return _internal_error(exc)
    return EXIT_OK if getattr(args, "exit_zero", False) else code


def _working_folder() -> None:
    """Every command reads paths from where it runs: a folder deleted under the shell is a usage error, said so."""
    try:
        os.getcwd()
    except OSError as exc:
        raise UsageError(f"the working folder cannot be read ({exc.strerror or exc}: deleted or moved?): "
                         f"cd to a folder that exists") from None


def _internal_error(exc: Exception) -> int:
    """One line for a bug of ours; a failed stdout/stderr (ended by `main`) and debug runs raise it again."""
    if (isinstance(exc, OSError) and _stream_failed()) or os.environ.get("POLICYFACTORY_DEBUG"):
        raise exc
    print(f"policyfactory: internal error: {type(exc).__name__}: {str(exc)[:300]} "
          f"(please report it; POLICYFACTORY_DEBUG=1 shows the traceback)", file=sys.stderr)
    return EXIT_INVALID


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
