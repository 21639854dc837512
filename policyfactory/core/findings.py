"""One `Finding` type for every command, and the errors that carry findings.

Why one type: `validate`, `build`, `explain`, `audit` and the factory all report
problems, and every formatter (text, JSON, ...) renders the same record, so a
finding looks the same wherever it comes from.

Two categories decide the exit code:

* ``invalid`` -- the input cannot be judged (YAML, schema, unknown names,
  limits, unreadable files): exit 2.
* ``policy`` -- the input is valid but breaks its policy: exit 1.

Example::

    >>> f = Finding("m.yaml", 3, 5, "unknown-layer-type", "unknown layer type 'LSTMM'")
    >>> f.text()
    "m.yaml:3:5: error unknown-layer-type: unknown layer type 'LSTMM'"
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

EXIT_OK = 0
EXIT_POLICY = 1
EXIT_INVALID = 2

INVALID = "invalid"
POLICY = "policy"


@dataclass(frozen=True)
class Finding:
    """A problem found in a file or a model, at a 1-based line and column."""

    file: str
    line: int
    column: int
    rule: str
    message: str
    severity: str = "error"
    category: str = INVALID
    # Structured details (slots of a sharing group, the deciding rule ...).
    # Not part of the JSON shape; available to Python callers.
    data: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def text(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.severity} {self.rule}: {self.message}"

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
        }

    def sort_key(self) -> tuple:
        return (self.file, self.line, self.column, self.rule, self.message)


def exit_code(findings: Iterable[Finding]) -> int:
    """2 if any finding makes the input invalid, 1 for policy findings, else 0."""
    code = EXIT_OK
    for f in findings:
        if f.severity not in ("error", "warning"):
            continue
        if f.category == INVALID:
            return EXIT_INVALID
        code = EXIT_POLICY
    return code


def sorted_findings(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=Finding.sort_key)


class PolicyfactoryError(ValueError):
    """Base of the tool's own errors; `.findings` holds what went wrong as data."""

    def __init__(self, findings: list[Finding] | Finding, headline: str | None = None):
        if isinstance(findings, Finding):
            findings = [findings]
        self.findings: list[Finding] = list(findings)
        lines = [f.text() for f in self.findings]
        if headline:
            lines.insert(0, headline)
        super().__init__("\n".join(lines) if lines else (headline or "error"))


class InvalidInput(PolicyfactoryError):
    """A file or mapping cannot be judged: YAML, schema, names, limits (exit 2)."""


class PolicyViolation(PolicyfactoryError):
    """A sharing group that the policy does not allow (exit 1).

    Raised by `LayerFactory` as soon as a layer would join such a group, and by
    `build_model`. The message names every slot of the group, the component,
    and the rule or default that decided; `.findings` holds them as data.
    """
