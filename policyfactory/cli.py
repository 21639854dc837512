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
import gc
import json
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from .core.findings import EXIT_INVALID, EXIT_OK, Finding, InvalidInput, PolicyfactoryError, exit_code, sorted_findings
from .core.formats import FORMATS, render
from .core.text import shown
from .core.yamlload import DEFAULT_LIMITS, Limits
from .tfquiet import quiet_tensorflow

MAX_BYTES_CEILING = 1 << 30  # 1 GiB: the loader holds a file in memory


def _bounded(low: int, high: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text[:40]!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected a number from {low} to {high}, got {value}")
        return value
    return parse


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="policyfactory",
        description="Make sharing of Keras initializers, regularizers and constraints deliberate.",
        epilog="Exit codes: 0 nothing found, 1 policy findings, 2 invalid input.",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def common(sp, policy=True, formats=FORMATS):
        sp.add_argument("--format", choices=formats, default="text", help="output format (default: text)")
        sp.add_argument("--exit-zero", action="store_true",
                        help="report only: exit 0 even when there are findings (2 still for bad arguments)")
        if policy:
            sp.add_argument("--policy", metavar="NAME_OR_PATH",
                            help="judge models against this policy instead of the one they name")
        sp.add_argument("--max-bytes", type=_bounded(1, MAX_BYTES_CEILING), default=DEFAULT_LIMITS.max_bytes, metavar="N",
                        help=f"refuse input files larger than N bytes (default: {DEFAULT_LIMITS.max_bytes}, "
                             f"at most {MAX_BYTES_CEILING})")
        sp.add_argument("--max-params", type=_bounded(1, 10**15), default=DEFAULT_LIMITS.max_params, metavar="N",
                        help=f"refuse layers estimated to hold more than N weights (default: {DEFAULT_LIMITS.max_params})")
        sp.add_argument("--allow-outside", action="store_true",
                        help="let policy: and extends: paths written in files point outside the file's project")

    v = sub.add_parser("validate", help="check policy and model files (no TensorFlow needed)")
    v.add_argument("paths", nargs="+", metavar="PATH")
    v.add_argument("--only-declared", action="store_true",
                   help="skip files without a top-level 'kind: policy' or 'kind: model' line (for hooks over all YAML)")
    common(v)

    b = sub.add_parser("build", help="validate a model file, then build it with Keras and save a .keras file")
    b.add_argument("path", metavar="MODEL.yaml")
    b.add_argument("-o", "--output", metavar="OUT.keras", help="where to write the model (default: NAME.keras beside the file)")
    b.add_argument("--summary", action="store_true", help="print the Keras model summary")
    common(b)

    e = sub.add_parser("explain", help="table of every slot, its component, seed and sharing group with the verdict")
    e.add_argument("path", metavar="MODEL.yaml")
    common(e, formats=("text", "json"))

    a = sub.add_parser("audit", help="find shared components and weights drawn from one random stream in saved "
                                     "models (.keras, .h5: no TensorFlow needed) or model YAML files")
    a.add_argument("paths", nargs="+", metavar="PATH",
                   help="a .keras or .h5 file (read as data: nothing is deserialized or run), or a model YAML "
                        "(built with Keras, then audited)")
    a.add_argument("--allow", metavar="FILE",
                   help="YAML file of allow entries ({rule, weights or slots, reason}) that accept named groups")
    common(a)

    g = sub.add_parser("graph", help="draw the sharing groups of a model file (DOT, or SVG/PNG/PDF with Graphviz)")
    g.add_argument("path", metavar="MODEL.yaml")
    g.add_argument("-o", "--output", metavar="OUT", required=True,
                   help="OUT.dot, or OUT.svg/.png/.pdf (rendered when Graphviz's dot is on the PATH, else DOT is written)")
    common(g, formats=("text", "json"))

    x = sub.add_parser("export", help="write a .keras model as model YAML (config.json read as data; no TensorFlow)")
    x.add_argument("path", metavar="MODEL.keras")
    x.add_argument("-o", "--output", metavar="OUT.yaml", help="where to write the model file (default: stdout)")
    x.add_argument("--policy", metavar="NAME_OR_PATH", default="strict",
                   help="the policy the exported file names (default: strict)")
    x.add_argument("--seed", type=int, metavar="N", help="write seed: N (reproducible, distinct seeds per slot)")
    x.add_argument("--format", choices=FORMATS, default="text", help="format of the findings, on stderr (default: text)")

    r = sub.add_parser("rules", help="list every rule (finding id), or explain one: policyfactory rules ID")
    r.add_argument("rule", nargs="?", metavar="ID", help="one rule id to explain")
    r.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")

    s = sub.add_parser("schema", help="print the JSON Schema of a policy or model file")
    s.add_argument("what", choices=("policy", "model"), metavar="policy|model", help="which file format")
    return p


def _emit(findings: list[Finding], fmt: str, ok_lines: list[str] | None = None, out=None) -> None:
    findings = sorted_findings(findings)
    if fmt != "text":
        print(render(findings, fmt), file=out)
        return
    if findings:
        print(render(findings, "text"), file=out)
        counts = {c: sum(1 for f in findings if f.category == c) for c in ("invalid", "policy", "warning")}
        parts = [f"{n} {word}" for c, word in (("invalid", "invalid input"), ("policy", "policy"),
                                                ("warning", "warning")) if (n := counts[c])]
        files = len({f.file for f in findings})
        print(f"{len(findings)} finding{'s' if len(findings) != 1 else ''} ({', '.join(parts)}) "
              f"in {files} file{'s' if files != 1 else ''}", file=sys.stderr)
    for line in ok_lines or []:
        print(line, file=out)


def _check_args(args) -> dict:
    """The keyword arguments of `check_path` that come from the command line."""
    return {"policy": args.policy, "limits": _limits(args), "allow_outside": args.allow_outside}


def _limits(args) -> Limits:
    return Limits(max_bytes=args.max_bytes, max_params=args.max_params)


_DECLARED = re.compile(rb"^kind:[ \t]*['\"]?(policy|model)['\"]?[ \t]*(#.*)?\r?$", re.MULTILINE)


def _declares_kind(path: str) -> bool:
    """Whether a file says `kind: policy` or `kind: model` at its top level (read as bytes, no YAML)."""
    try:
        with open(path, "rb") as fh:
            return _DECLARED.search(fh.read(DEFAULT_LIMITS.max_bytes)) is not None
    except OSError:
        return True  # let validate report the unreadable file


def cmd_validate(args) -> int:
    from .core.validate import check_path

    findings: list[Finding] = []
    ok_lines = []
    for path in args.paths:
        if args.only_declared and not _declares_kind(path):
            continue
        result = check_path(path, **_check_args(args))
        findings.extend(result.findings)
        if not any(f.severity == "error" for f in result.findings) and result.summary:
            ok_lines.append(f"{path}: ok, {result.summary}")
    _emit(findings, args.format, ok_lines)
    return exit_code(findings)


def cmd_schema(args) -> int:
    from .core.jsonschema import schema_for

    print(json.dumps(schema_for(args.what), indent=2))
    return EXIT_OK


def cmd_rules(args) -> int:
    from .core.rules import RULES

    if args.rule is not None:
        info = RULES.get(args.rule)
        if info is None:
            from .core.text import did_you_mean

            print(f"policyfactory: error: no rule {shown(args.rule)}{did_you_mean(args.rule, RULES)}; "
                  f"'policyfactory rules' lists them all", file=sys.stderr)
            return EXIT_INVALID
        if args.format == "json":
            print(json.dumps(info.as_json(), indent=2))
            return EXIT_OK
        parts = [f"{info.id} ({info.category}, {info.severity})", "", info.summary, "", info.explanation]
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
        print(f"{info.id.ljust(width)}  {info.category:<7}  {info.summary}")
    return EXIT_OK


def cmd_explain(args) -> int:
    from .core.explain import explain_path

    findings, text = explain_path(args.path, fmt=args.format, **_check_args(args))
    if text:
        print(text)
    if findings and args.format == "text":
        _emit(findings, "text")
    return exit_code(findings)


def cmd_graph(args) -> int:
    from .core.atomic import atomic_output, check_output
    from .core.explain import rows_for
    from .core.graph import render as render_graph
    from .core.graph import to_dot
    from .core.validate import check_path

    result = check_path(args.path, **_check_args(args), expect="model")
    if result.plan is None or result.spec is None:  # invalid input: nothing to draw
        _emit(result.findings, args.format)
        return exit_code(result.findings)
    dot_text = to_dot(rows_for(result.plan), f"{result.spec.name} under policy {result.plan.policy.name}")
    out = args.output
    stem, ext = os.path.splitext(out)
    data = dot_text.encode("utf-8")
    check_output(out, inputs=(args.path, *result.plan.policy.sources))
    if ext.lower() != ".dot":
        rendered = render_graph(dot_text, ext.lstrip(".").lower() or "svg", out)
        if rendered is None:
            out = stem + ".dot"
            print(f"Graphviz 'dot' is not on the PATH: writing DOT to {out} instead", file=sys.stderr)
        else:
            data = rendered
    with atomic_output(out, inputs=(args.path, *result.plan.policy.sources)) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
    _emit(result.findings, args.format, [f"{args.path}: wrote {out}"])
    return exit_code(result.findings)


def cmd_build(args) -> int:
    from .core.validate import check_path

    result = check_path(args.path, **_check_args(args), expect="model")
    if exit_code(result.findings) != EXIT_OK or result.plan is None or result.spec is None:
        _emit(result.findings, args.format)
        print(f"{args.path}: not built, nothing written", file=sys.stderr)
        return exit_code(result.findings) or EXIT_INVALID
    build_and_save = _keras_side("building", "build_and_save", args.path)

    try:
        out, model = build_and_save(result.spec, result.plan, args.output)
    except PolicyfactoryError as exc:
        _emit(exc.findings, args.format)
        print(f"{args.path}: not built, nothing written", file=sys.stderr)
        return exit_code(exc.findings) or EXIT_INVALID
    if args.summary:
        model.summary()
    ok = [f"{args.path}: built model {shown(model.name)} ({model.count_params()} parameters) -> {out}"]
    _emit(result.findings, args.format, ok if args.format == "text" else None)
    return EXIT_OK


def _audit_yaml(path: str, args, allows):
    """(report, which allows it used) for a model YAML: the plan's verdict, then the weights of its build."""
    from .core.plan import apply_allows
    from .core.validate import check_path
    from .fileaudit.engine import AuditResult

    result = check_path(path, **_check_args(args), expect="model")
    if result.plan is None or result.spec is None:
        return AuditResult(list(result.findings)), [False] * len(allows)
    report = _keras_side("audit", "audit_planned", path)(result.spec, result.plan)  # imports Keras
    kept, _, _ = apply_allows(report.findings, allows, report_unused=False)
    used = [any(a.covers(f) for f in report.findings) for a in allows]
    report.findings = kept
    return report, used


def _ok_line(path: str, report) -> str:
    counts = f"{report.compared} weights compared; {report.skipped} skipped: deterministic, constant or tiny"
    if report.allowed:
        n = len(report.allowed)
        return f"{path}: ok, {n} allowed sharing group{'s' if n != 1 else ''}: " + "; ".join(report.allowed) \
            + f" ({counts})"
    return f"{path}: ok, no shared components or correlated weights found ({counts})"


def cmd_audit(args) -> int:
    from .core.plan import unused_allow

    allows: tuple = ()
    if args.allow:
        from .core.allowfile import load_allow_file

        allows = load_allow_file(args.allow, _limits(args))
    saved = [p for p in args.paths if not p.endswith((".yaml", ".yml"))]
    policy = None
    if saved:
        from .core.policy import load_policy

        policy = load_policy(args.policy or "strict", _limits(args), allow_outside=args.allow_outside)
    used = [False] * len(allows)
    findings: list[Finding] = []
    ok_lines = []
    for path in args.paths:
        try:
            if not os.path.isfile(path):
                raise InvalidInput(Finding(path, 1, 1, "file-unreadable",
                                           "is a directory, not a model file" if os.path.isdir(path) else "no such file"))
            if policy is not None and path in saved:
                from .fileaudit.files import audit_file  # numpy and h5py, never Keras

                report, file_used = audit_file(path, policy, allows)
            else:
                report, file_used = _audit_yaml(path, args, allows)
        except PolicyfactoryError as exc:
            findings.extend(exc.findings)
            continue
        used = [a or b for a, b in zip(used, file_used)]
        findings.extend(report.findings)
        if exit_code(report.findings) == EXIT_OK:
            ok_lines.append(_ok_line(path, report))
    findings += [unused_allow(a) for a, was_used in zip(allows, used) if not was_used]
    _emit(findings, args.format, ok_lines)
    return exit_code(findings)


def _keras_side(module: str, name: str, path: str):
    """A Keras-side function, or a finding (exit 2) that says how to install Keras when it is missing."""
    import importlib

    try:
        return getattr(importlib.import_module(f".keras_side.{module}", __package__), name)
    except ImportError as exc:
        raise InvalidInput(Finding(path, 1, 1, "keras-error",
                                   f"this command needs TensorFlow and Keras ({exc.name or exc} is not installed): "
                                   f"pip install 'policyfactory[tensorflow]'")) from None


KERAS_COMMANDS = ("build", "audit")  # may import TensorFlow: its start-up lines are filtered from stderr


def _export_output(source: str, out: str) -> None:
    """Refuse an output path that cannot be written, or that is the input file itself."""
    from .core.atomic import check_output

    if not out.endswith((".yaml", ".yml")):
        raise InvalidInput(Finding(out, 1, 1, "output-path", "the output file name must end in .yaml or .yml"))
    check_output(out, inputs=(source,))  # not the input, a symlink or a directory


def cmd_export(args) -> int:
    """YAML on stdout (or -o); findings and notes on stderr, so that stdout stays a model file."""
    from .core.atomic import atomic_output
    from .core.export_yaml import export_file

    out = args.output
    try:
        if out is not None:
            _export_output(args.path, out)
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
            with atomic_output(out, inputs=(args.path,)) as tmp, open(tmp, "w", encoding="utf-8") as fh:
                fh.write(result.text)
        except OSError as exc:
            raise InvalidInput(Finding(out, 1, 1, "output-path", f"cannot write: {exc.strerror or exc}")) from None
    policy_findings = [f for f in result.findings if f.severity == "error"]
    print(f"{args.path}: exported model '{result.data['name']}' ({result.layers} layers, "
          f"{result.shared} shared components) -> {out or 'stdout'}", file=sys.stderr)
    if policy_findings:
        print(f"note: validate will report {len(policy_findings)} policy finding(s) in it "
              f"({', '.join(sorted({f.rule for f in policy_findings}))}): "
              f"policyfactory validate {out or 'OUT.yaml'}", file=sys.stderr)
    return EXIT_OK


COMMANDS = {"validate": cmd_validate, "schema": cmd_schema, "build": cmd_build, "explain": cmd_explain,
            "audit": cmd_audit, "graph": cmd_graph, "rules": cmd_rules, "export": cmd_export}


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


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_INVALID
    try:
        quiet = quiet_tensorflow() if args.command in KERAS_COMMANDS else contextlib.nullcontext()
        with _gc_paused(), quiet:
            code = COMMANDS[args.command](args)
    except PolicyfactoryError as exc:  # InvalidInput, or a PolicyViolation raised while building
        _emit(exc.findings, getattr(args, "format", "text"))
        code = exit_code(exc.findings) or EXIT_INVALID
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # stdout closed early (`policyfactory export m.keras | head`): stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so that Python's final flush of stdout cannot fail again
        return 141  # 128 + SIGPIPE, as a shell reports a process killed by a closed pipe
    except Exception as exc:  # a bug of ours: one line, not a traceback (POLICYFACTORY_DEBUG=1 shows it)
        if os.environ.get("POLICYFACTORY_DEBUG"):
            raise
        print(f"policyfactory: internal error: {type(exc).__name__}: {str(exc)[:300]} "
              f"(please report it; POLICYFACTORY_DEBUG=1 shows the traceback)", file=sys.stderr)
        return EXIT_INVALID
    return EXIT_OK if getattr(args, "exit_zero", False) else code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
