"""One `Finding` type for every command, and the errors that carry findings.

Why one type: `validate`, `build`, `explain`, `audit` and the factory all report
problems, and every formatter (text, JSON, SARIF, GitHub) renders the same
record, so a finding looks the same wherever it comes from.

Every finding names a rule of the registry (`rules.py`), which gives it its
category and default severity; an unregistered id is a programming error and
raises at once. The category decides the exit code:

* ``invalid`` -- the input cannot be judged (YAML, schema, unknown names,
  limits, unreadable files): exit 2;
* ``policy`` -- the input is valid but breaks its policy: exit 1;
* ``warning`` -- worth fixing, never fails a run: exit 0.

Example::

    >>> f = Finding("m.yaml", 3, 5, "unknown-layer-type", "unknown layer type 'LSTMM'")
    >>> f.text(), f.category
    ("m.yaml:3:5: error unknown-layer-type: unknown layer type 'LSTMM'", 'invalid')
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import Any

from .records import field, record
from .ruletype import INVALID, POLICY, WARNING, rule_info
from .text import escape, safe_message

EXIT_OK = 0
EXIT_POLICY = 1
EXIT_INVALID = 2

__all__ = ["EXIT_INVALID", "EXIT_OK", "EXIT_POLICY", "INVALID", "POLICY", "WARNING", "Finding", "Fix", "InvalidInput",
           "PolicyViolation", "PolicyfactoryError", "exit_code", "python_finding", "sorted_findings"]

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@record(frozen=True)
class Fix:
    """A repair with one safe answer, as data: what `validate --fix` applies to the file (`core/fix.py`).

    * ``rename``: the scalar at `path` (its key with `at_key`) is written `old` and should be `new` -- a
      did-you-mean that is the one answer (no other known name is as close);
    * ``inline-shared``: the denied sharing group of the shared declaration `old` (`path` is
      ``("shared", NAME)``): every `{shared: NAME}` becomes its own inline copy of the component, and the
      declaration goes.

    Formatters do not show it; a finding's text and JSON are the same with or without one.

        >>> Fix.rename(("type",), "LSTMM", "LSTM").moved(("layers", 0)).path
        ('layers', 0, 'type')
    """

    kind: str
    path: tuple
    old: str
    new: str = ""
    at_key: bool = False

    RENAME = "rename"
    INLINE_SHARED = "inline-shared"

    @classmethod
    def rename(cls, path: tuple, old: str, new: str, at_key: bool = False) -> Fix:
        return cls(cls.RENAME, tuple(path), old, new, at_key)

    @classmethod
    def inline_shared(cls, name: str) -> Fix:
        return cls(cls.INLINE_SHARED, ("shared", name), name)

    def moved(self, prefix: tuple) -> Fix:
        """The same fix with `path` under `prefix` (a problem found relative to a value, placed in its file)."""
        return Fix(self.kind, tuple(prefix) + self.path, self.old, self.new, self.at_key)

    def describe(self) -> str:
        if self.kind == self.RENAME:
            return f"{self.old!r} -> {self.new!r}"
        return f"shared {self.old!r} written inline in each slot"


@record(frozen=True)
class Finding:
    """A problem found in a file or a model, at a 1-based line and column.

    `severity` and `category` default to the rule's, from the registry.
    """

    file: str
    line: int
    column: int
    rule: str
    message: str
    severity: str = ""
    category: str = ""
    # Structured details (slots of a sharing group, the deciding rule, weight paths ...).
    data: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    help: str = field(default="", compare=False)  # how to fix it; the rule's fix hint unless the finding knows better
    cell: int | None = None  # a notebook's code cell (1-based, counting code cells); `line` is then the cell's line
    fix: Fix | None = field(default=None, compare=False, repr=False)  # the safe repair `validate --fix` applies

    def __post_init__(self) -> None:
        info = rule_info(self.rule)  # KeyError for an id the registry does not know
        object.__setattr__(self, "rule", info.id)  # a plain str, whether given a Rule or its id
        # one safe line whatever the input held: control characters and escape sequences shown as codes
        object.__setattr__(self, "message", safe_message(self.message))
        object.__setattr__(self, "file", escape(self.file))
        if not self.category:
            object.__setattr__(self, "category", info.category)
        if not self.severity:
            object.__setattr__(self, "severity", info.severity)
        object.__setattr__(self, "help", safe_message(self.help or info.fix))

    def location(self) -> str:
        """`file:line:column`, or `notebook.ipynb:cell 3:line:column` in a notebook (as ruff writes it)."""
        cell = f"cell {self.cell}:" if self.cell is not None else ""
        return f"{self.file}:{cell}{self.line}:{self.column}"

    def text(self) -> str:
        return f"{self.location()}: {self.severity} {self.rule}: {self.message}"

    def text_with_help(self) -> str:
        """The text line, and for policy findings an indented help line (invalid input stays one line)."""
        if self.category == POLICY and self.help:
            return f"{self.text()}\n    help: {self.help}"
        return self.text()

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "rule": self.rule,
            "severity": self.severity,
            "category": self.category,
            "message": self.message,
            "help": self.help,
        }
        if self.cell is not None:
            out["cell"] = self.cell
        for key in ("slots", "weights", "evidence", "group", "decided_by", "policy"):
            if key in self.data:
                out[key] = self.data[key]
        return out

    def sort_key(self) -> tuple:
        return (self.file, self.cell or 0, self.line, self.column, self.rule, self.message)


def caller_location() -> tuple[str, int]:
    """The file and line of the first frame outside this package: where a Python caller stands."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not os.path.abspath(filename).startswith(_PACKAGE_DIR + os.sep):
            return filename, frame.f_lineno
        frame = frame.f_back  # type: ignore[assignment]
    return "<python>", 0


def python_finding(rule: str, message: str, **kw: Any) -> Finding:
    """A finding from a Python API call, located at the caller's file and line (column 1)."""
    file, line = caller_location()
    return Finding(file, line, 1, rule, message, **kw)


def exit_code(findings: Iterable[Finding]) -> int:
    """2 if any error makes the input invalid, 1 for policy errors, else 0 (warnings never fail)."""
    code = EXIT_OK
    for f in findings:
        if f.severity != "error":
            continue
        if f.category == INVALID:
            return EXIT_INVALID
        code = EXIT_POLICY
    return code


def sorted_findings(findings: Iterable[Finding]) -> list[Finding]:
    """In file, line, column order; a finding reached twice (a policy read directly and through a model's
    `policy:`) is listed once."""
    return sorted(dict.fromkeys(findings), key=Finding.sort_key)


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


# Every rule registers itself when its module is imported; rules that own a check import `Finding` from here.
from . import rules  # noqa: E402,F401
