"""The `policyfactory` command line.

Only what a command uses is imported: `validate`, `schema` and `--help` never
import TensorFlow or Keras; `build`, `explain` of built slots and `audit` import
the Keras side lazily.

Exit codes: 0 nothing found, 1 policy findings, 2 invalid input.
"""

from __future__ import annotations

import argparse
import re
import sys

from .findings import (EXIT_INVALID, EXIT_OK, Finding, InvalidInput, PolicyfactoryError, exit_code,
                       sorted_findings)
from .formats import FORMATS, render
from .yamlload import DEFAULT_LIMITS, Limits


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
        sp.add_argument("--max-bytes", type=int, default=DEFAULT_LIMITS.max_bytes, metavar="N",
                        help=f"refuse input files larger than N bytes (default: {DEFAULT_LIMITS.max_bytes})")

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

    a = sub.add_parser("audit", help="find shared components and correlated initial weights in a .keras file or model YAML")
    a.add_argument("path", metavar="PATH", help="a .keras file (loaded with safe_mode=True) or a model YAML (built, then audited)")
    common(a)

    g = sub.add_parser("graph", help="draw the sharing groups of a model file (DOT, or SVG/PNG/PDF with Graphviz)")
    g.add_argument("path", metavar="MODEL.yaml")
    g.add_argument("-o", "--output", metavar="OUT", required=True,
                   help="OUT.dot, or OUT.svg/.png/.pdf (rendered when Graphviz's dot is on the PATH, else DOT is written)")
    common(g, formats=("text", "json"))

    s = sub.add_parser("schema", help="print the JSON Schema of a policy or model file")
    s.add_argument("what", choices=("policy", "model"))
    return p


def _emit(findings: list[Finding], fmt: str, ok_lines: list[str] | None = None) -> None:
    findings = sorted_findings(findings)
    if fmt != "text":
        print(render(findings, fmt))
        return
    if findings:
        print(render(findings, "text"))
        n_inv = sum(1 for f in findings if f.category == "invalid")
        n_pol = len(findings) - n_inv
        files = len({f.file for f in findings})
        parts = []
        if n_inv:
            parts.append(f"{n_inv} invalid input")
        if n_pol:
            parts.append(f"{n_pol} policy")
        print(f"{len(findings)} finding{'s' if len(findings) != 1 else ''} ({', '.join(parts)}) "
              f"in {files} file{'s' if files != 1 else ''}", file=sys.stderr)
    for line in ok_lines or []:
        print(line)


def _limits(args) -> Limits:
    return Limits(max_bytes=args.max_bytes)


_DECLARED = re.compile(rb"^kind:[ \t]*['\"]?(policy|model)['\"]?[ \t]*(#.*)?\r?$", re.MULTILINE)


def _declares_kind(path: str) -> bool:
    """Whether a file says `kind: policy` or `kind: model` at its top level (read as bytes, no YAML)."""
    try:
        with open(path, "rb") as fh:
            return _DECLARED.search(fh.read(DEFAULT_LIMITS.max_bytes)) is not None
    except OSError:
        return True  # let validate report the unreadable file


def cmd_validate(args) -> int:
    from .validate import validate_path

    findings: list[Finding] = []
    ok_lines = []
    for path in args.paths:
        if args.only_declared and not _declares_kind(path):
            continue
        result = validate_path(path, policy=args.policy, limits=_limits(args))
        findings.extend(result.findings)
        if not result.findings and result.summary:
            ok_lines.append(f"{path}: ok, {result.summary}")
    _emit(findings, args.format, ok_lines)
    return exit_code(findings)


def cmd_schema(args) -> int:
    import json

    from .jsonschema import schema_for

    print(json.dumps(schema_for(args.what), indent=2))
    return EXIT_OK


def cmd_explain(args) -> int:
    from .explain import explain_path

    findings, text = explain_path(args.path, policy=args.policy, fmt=args.format, limits=_limits(args))
    if text:
        print(text)
    if findings and args.format == "text":
        _emit(findings, "text")
    return exit_code(findings)


def cmd_graph(args) -> int:
    import os

    from .atomic import atomic_output
    from .explain import rows_for
    from .graph import render as render_graph
    from .graph import to_dot
    from .validate import validate_path

    result = validate_path(args.path, policy=args.policy, limits=_limits(args), expect="model")
    if result.planner is None:  # invalid input: nothing to draw
        _emit(result.findings, args.format)
        return exit_code(result.findings)
    rows = rows_for(result.planner, result.spec.seed is not None)
    dot_text = to_dot(rows, f"{result.spec.name} under policy {result.policy.name}")
    out = args.output
    stem, ext = os.path.splitext(out)
    data = dot_text.encode("utf-8")
    if ext.lower() != ".dot":
        rendered = render_graph(dot_text, ext.lstrip(".").lower() or "svg")
        if rendered is None:
            out = stem + ".dot"
            print(f"Graphviz 'dot' is not on the PATH: writing DOT to {out} instead", file=sys.stderr)
        else:
            data = rendered
    if not os.path.isdir(os.path.dirname(os.path.abspath(out))):
        raise InvalidInput(Finding(out, 1, 1, "output-path", "no such folder"))
    with atomic_output(out) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
    _emit(result.findings, args.format, [f"{args.path}: wrote {out}"])
    return exit_code(result.findings)


def cmd_build(args) -> int:
    from .validate import validate_path

    result = validate_path(args.path, policy=args.policy, limits=_limits(args), expect="model")
    if result.findings:
        _emit(result.findings, args.format)
        print(f"{args.path}: not built, nothing written", file=sys.stderr)
        return exit_code(result.findings)
    from ..keras_side.building import build_and_save  # imports Keras

    try:
        out, model = build_and_save(result.spec, args.output, policy=result.policy)
    except PolicyfactoryError as exc:
        _emit(exc.findings, args.format)
        print(f"{args.path}: not built, nothing written", file=sys.stderr)
        return exit_code(exc.findings)
    if args.summary:
        model.summary()
    if args.format != "text":
        print(render([], args.format))
    else:
        print(f"{args.path}: built model '{model.name}' ({model.count_params()} parameters) -> {out}")
    return EXIT_OK


def cmd_audit(args) -> int:
    import os

    if not os.path.isfile(args.path):
        raise InvalidInput(Finding(args.path, 1, 1, "file-unreadable",
                                   "is a directory, not a model file" if os.path.isdir(args.path) else "no such file"))
    if args.path.endswith((".yaml", ".yml")):
        from .validate import validate_path

        result = validate_path(args.path, policy=args.policy, limits=_limits(args), expect="model")
        if result.findings:
            _emit(result.findings, args.format)
            return exit_code(result.findings)
        from ..keras_side.audit import audit
        from ..keras_side.building import build_from_spec

        model = build_from_spec(result.spec, result.policy)
        findings = audit(model, policy=result.policy, file=args.path)
    else:
        from ..keras_side.audit import audit, load_keras_file

        model = load_keras_file(args.path)
        findings = audit(model, policy=args.policy, file=args.path)
    _emit(findings, args.format, [] if findings else [f"{args.path}: ok, no shared components or correlated weights found"])
    return exit_code(findings)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_INVALID
    handler = {"validate": cmd_validate, "schema": cmd_schema, "build": cmd_build, "explain": cmd_explain,
               "audit": cmd_audit, "graph": cmd_graph}[args.command]
    try:
        code = handler(args)
    except PolicyfactoryError as exc:  # InvalidInput, or a PolicyViolation raised while building
        _emit(exc.findings, getattr(args, "format", "text"))
        code = exit_code(exc.findings) or EXIT_INVALID
    except KeyboardInterrupt:
        return 130
    return EXIT_OK if getattr(args, "exit_zero", False) else code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
