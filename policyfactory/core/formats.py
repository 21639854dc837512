"""Formatters for findings: text, JSON, SARIF 2.1.0 (GitHub code scanning) and GitHub annotations.

Every command emits `Finding`s; every format renders the same records, sorted.
"""

from __future__ import annotations

import json
from typing import Iterable

from .findings import INVALID, Finding, sorted_findings

FORMATS = ("text", "json", "sarif", "github")
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

# Rule ids and what they mean (SARIF's driver.rules). Ids not listed get a generic text.
RULES = {
    "sharing-violation": "A sharing group that the policy does not allow: several slots receive one component "
                         "instance, or one initializer class with one explicit seed.",
    "correlated-weights": "Two weights hold identical or exactly proportional values: they were drawn from one "
                          "random stream.",
    "unused-allow": "An allow entry that suppresses no finding.",
    "unknown-layer-type": "A layer type that is not in the catalog.",
    "layer-not-allowed": "A layer type that would run code given as data (Lambda and the like).",
    "unknown-component-class": "An initializer, regularizer or constraint class that is not in the catalog.",
    "config-module-key": "'module:' or 'registered_name:' in a config: names resolve only through the catalog.",
    "yaml-tag": "A YAML tag other than the core ones (no Python objects are ever built).",
    "yaml-syntax": "The file is not valid YAML.",
    "yaml-duplicate-key": "A mapping repeats a key.",
    "limit-nodes": "More YAML nodes after alias expansion than the limit (alias bombs).",
    "schema-unknown-key": "A key the file format does not have.",
    "schema-type": "A value of the wrong type.",
}


def _rule_text(rule: str) -> str:
    return RULES.get(rule, f"policyfactory finding '{rule}'.")


def format_text(findings: Iterable[Finding]) -> str:
    return "\n".join(f.text() for f in sorted_findings(findings))


def format_json(findings: Iterable[Finding]) -> str:
    return json.dumps({"findings": [f.as_json() for f in sorted_findings(findings)]}, indent=2)


def _level(f: Finding) -> str:
    return {"error": "error", "warning": "warning"}.get(f.severity, "note")


def format_sarif(findings: Iterable[Finding], version: str = "0.1.0") -> str:
    fs = sorted_findings(findings)
    rule_ids = sorted({f.rule for f in fs})
    rules = [{"id": r, "name": r, "shortDescription": {"text": _rule_text(r)},
              "fullDescription": {"text": _rule_text(r)},
              "defaultConfiguration": {"level": "error"},
              "properties": {"category": "policy" if r in ("sharing-violation", "correlated-weights", "unused-allow")
                             else INVALID}} for r in rule_ids]
    results = [{
        "ruleId": f.rule,
        "ruleIndex": rule_ids.index(f.rule),
        "level": _level(f),
        "message": {"text": f.message},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": f.file.replace("\\", "/")},
            "region": {"startLine": max(1, f.line), "startColumn": max(1, f.column)},
        }}],
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


def format_github(findings: Iterable[Finding]) -> str:
    """GitHub Actions workflow commands: `::error file=F,line=L,col=C,title=RULE::message`."""
    lines = []
    for f in sorted_findings(findings):
        kind = {"error": "error", "warning": "warning"}.get(f.severity, "notice")
        lines.append(f"::{kind} file={_escape_prop(f.file)},line={f.line},col={f.column},"
                     f"title={_escape_prop(f.rule)}::{_escape(f.message)}")
    return "\n".join(lines)


def render(findings: Iterable[Finding], fmt: str) -> str:
    return {"text": format_text, "json": format_json, "sarif": format_sarif, "github": format_github}[fmt](findings)
