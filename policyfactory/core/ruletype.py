"""The rule type: one finding id with its category, documentation and examples.

Why a type and not a table: a rule is defined once, as a constant of its area
module (`SHARING_VIOLATION = Rule("sharing-violation", POLICY, ...)`), and every
place that emits it imports the constant, so an id is written once and a
misspelt rule is an `ImportError` when the module loads, not a lookup error
when the finding is made (ruff's rule-as-type, yamllint's module per rule).

A `Rule` is a `str` (its id), so it compares, sorts and serializes as the id
users see, and every place that took an id keeps working. Constructing one
registers it; an id registered twice, or an unknown category, raises at import.

A rule may own a check over the model graph (`@RULE.check`): `validate` runs
every such check on every checked model file, so a new lint rule is one module
in this package (its definition, its check, its examples) plus its test.

    >>> r = Rule("doctest-example", WARNING, "An example.", "Shows the type.", register=False)
    >>> r == "doctest-example", r.category, r.severity
    (True, 'warning', 'warning')
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .findings import Finding
    from .modelfile import ModelSpec
    from .plan import Plan

INVALID = "invalid"  # the input cannot be judged: exit 2
POLICY = "policy"  # valid input that breaks its policy: exit 1
WARNING = "warning"  # worth fixing, does not fail: exit 0
CATEGORIES = (INVALID, POLICY, WARNING)

GraphCheck = Callable[["ModelSpec", "Plan"], "Iterable[Finding]"]

REGISTRY: dict[str, Rule] = {}  # every rule, in the order its module defines it
# What a rule's examples are: a model or policy file (fragments completed by `example_file`), a whole file as
# written (a YAML file that is neither), a model file that
# `build` refuses (validate passes it), Python, a command line, or nothing that can be written as text.
# `source` is a Python file `validate` reads (Keras code judged without running it).
EXAMPLE_KINDS = ("model", "policy", "file", "build", "python", "source", "shell", "none")


class Rule(str):
    """What one finding id means, how to get rid of it, and (optionally) the check that finds it."""

    category: str  # one of CATEGORIES
    summary: str  # one line, starts with a capital, ends with a period, <= 100 chars
    explanation: str  # 2-5 sentences: what triggers it and why it matters
    bad: str  # a short example that triggers it (a model or policy file, or Python for API rules)
    good: str  # the same example fixed
    fix: str  # one-line concrete fix hint
    example: str  # one of EXAMPLE_KINDS: what `bad` and `good` are
    graph_check: GraphCheck | None  # a check over a checked model file (spec and plan), if the rule owns one
    enabled: bool  # False: off unless the project turns it on (`[tool.policyfactory.severity]`)

    def __new__(cls, id: str, category: str, summary: str, explanation: str, bad: str = "", good: str = "",
                fix: str = "", *, example: str = "model", register: bool = True, enabled: bool = True) -> Rule:
        if category not in CATEGORIES:
            raise ValueError(f"rule {id!r} has unknown category {category!r}")
        if example not in EXAMPLE_KINDS:
            raise ValueError(f"rule {id!r} has unknown example kind {example!r}")
        self = super().__new__(cls, id)
        self.category, self.summary, self.explanation = category, summary, explanation
        self.bad, self.good, self.fix, self.example = bad, good, fix, example
        self.graph_check = None
        self.enabled = enabled
        if register:
            if id in REGISTRY:
                raise ValueError(f"rule id {id!r} is registered twice")
            REGISTRY[id] = self
        return self

    def __reduce__(self) -> tuple[Any, ...]:  # pickles (and copies) as its plain id
        return (str, (str(self),))

    @property
    def id(self) -> str:
        return str.__str__(self)

    @property
    def severity(self) -> str:
        """``warning`` for warnings, ``error`` for everything that fails a run."""
        return "warning" if self.category == WARNING else "error"

    def check(self, fn: GraphCheck) -> GraphCheck:
        """Decorator: `fn(spec, plan)` yields this rule's findings for one checked model file."""
        self.graph_check = fn
        return fn

    def example_file(self, which: str) -> str | None:
        """The `bad` or `good` example as a whole file `validate` can judge, or None (not a file, or none given).

        Examples are shown as short fragments; a fragment gets the lines every
        file needs (`kind:`, `version:`, a policy's `name:`, a model's `input:`
        and a layer) only where it does not write them itself.

            >>> print(rule_info("unknown-argument").example_file("good"))
            kind: model
            version: 1
            input: {shape: [8]}
            layers:
              - {type: Dense, units: 8}
            <BLANKLINE>
        """
        text = self.bad if which == "bad" else self.good
        if not text or self.example not in ("model", "policy", "file", "build", "source"):
            return None
        if self.example == "source":
            return text
        keys = {line.split(":", 1)[0] for line in text.splitlines() if line[:1].isalpha() and ":" in line}
        if self.example == "file" or "kind" in keys:
            return text
        head = [f"kind: {'policy' if self.example == 'policy' else 'model'}", "version: 1"]
        if self.example == "policy":
            head += [] if "name" in keys else ["name: example"]
            return "\n".join(head + [text])
        head += [] if keys & {"input", "inputs"} else ["input: {shape: [8]}"]
        tail = "" if "layers" in keys else "layers:\n  - {type: Dense, units: 1}\n"
        return "\n".join(head + [text]) + tail

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "category": self.category,
            "severity": self.severity,
            "summary": self.summary,
            "explanation": self.explanation,
            "bad": self.bad,
            "good": self.good,
            "fix": self.fix,
            "example": self.example,
            "enabled": self.enabled,
        }


def rule_info(rule_id: str) -> Rule:
    """The registered rule; raises KeyError(f"unknown rule id {rule_id!r}") otherwise."""
    try:
        return REGISTRY[rule_id]
    except KeyError:
        raise KeyError(f"unknown rule id {rule_id!r}") from None
