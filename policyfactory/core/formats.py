"""Formatters for findings: text, JSON, SARIF 2.1.0 (GitHub code scanning) and GitHub annotations.

Every command emits `Finding`s; every format renders the same records, sorted.
SARIF's rule descriptions and default levels come from the rule registry.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from urllib.parse import quote

from .findings import Finding, sorted_findings
from .rules import rule_info
from .version import VERSION

FORMATS = ("text", "json", "sarif", "github")
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"


def _rule_descriptor(rule_id: str) -> dict:
    """SARIF's reportingDescriptor for a rule, generated from the registry."""
    info = rule_info(rule_id)
    full = info.explanation + (f" Fix: {info.fix}" if info.fix else "")
    return {"id": info.id, "name": info.id, "shortDescription": {"text": info.summary},
            "fullDescription": {"text": full},
            "help": {"text": full},
            "defaultConfiguration": {"level": info.severity},
            "properties": {"category": info.category}}


_COLORS = {"error": "\x1b[1;31m", "warning": "\x1b[1;33m", "location": "\x1b[1m", "help": "\x1b[36m"}
_RESET = "\x1b[0m"


def format_text(findings: Iterable[Finding], color: bool = False) -> str:
    """One line per finding (`file:line:col: severity rule: message`), its help indented below when it has one.

    `color` marks the location, severity and help with ANSI colours (the CLI asks for them only on a terminal).
    """
    lines = [f.text_with_help() for f in sorted_findings(findings)]
    if not color:
        return "\n".join(lines)
    out = []
    for f, text in zip(sorted_findings(findings), lines):
        head, _, rest = text.partition("\n")
        location = f"{f.location()}:"
        sev = _COLORS.get(f.severity, "")
        head = (f"{_COLORS['location']}{location}{_RESET} {sev}{f.severity}{_RESET}"
                + head[len(location) + 1 + len(f.severity):])
        out.append(head + (f"\n{_COLORS['help']}{rest}{_RESET}" if rest else ""))
    return "\n".join(out)


def format_json(findings: Iterable[Finding]) -> str:
    return json.dumps({"findings": [f.as_json() for f in sorted_findings(findings)]}, indent=2)


def _level(f: Finding) -> str:
    return {"error": "error", "warning": "warning"}.get(f.severity, "note")


def format_sarif(findings: Iterable[Finding], version: str = VERSION) -> str:
    fs = sorted_findings(findings)
    rule_ids = sorted({f.rule for f in fs})
    rules = [_rule_descriptor(r) for r in rule_ids]
    results = [{
        "ruleId": f.rule,
        "ruleIndex": rule_ids.index(f.rule),
        "level": _level(f),
        "message": {"text": _in_cell(f) + f.message},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": quote(f.file.replace("\\", "/"), safe="/:")},
            "region": {"startLine": max(1, f.line), "startColumn": max(1, f.column)},
        }}],
        "properties": {"help": f.help, "category": f.category, **({"cell": f.cell} if f.cell is not None else {})},
    } for f in fs]
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "policyfactory", "version": version,
                                      "informationUri": "https://pypi.org/project/policyfactory/",
                                      "rules": rules}},
                  "results": results}],
    }
    return json.dumps(log, indent=2)


def _escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_prop(text: str) -> str:
    return _escape(text).replace(":", "%3A").replace(",", "%2C")


def _in_cell(f: Finding) -> str:
    """'cell 3, line 2: ' for a notebook finding (GitHub places it by file and line only)."""
    return f"cell {f.cell}, line {f.line}: " if f.cell is not None else ""


def format_github(findings: Iterable[Finding]) -> str:
    """GitHub Actions workflow commands: `::error file=F,line=L,col=C,title=RULE::message`."""
    lines = []
    for f in sorted_findings(findings):
        kind = {"error": "error", "warning": "warning"}.get(f.severity, "notice")
        lines.append(f"::{kind} file={_escape_prop(f.file)},line={f.line},col={f.column},"
                     f"title={_escape_prop(f.rule)}::{_escape(_in_cell(f) + f.message)}")
    return "\n".join(lines)


def render(findings: Iterable[Finding], fmt: str) -> str:
    return {"text": format_text, "json": format_json, "sarif": format_sarif, "github": format_github}[fmt](findings)
