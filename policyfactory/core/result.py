"""`ValidationResult`: what checking one file gave.

Why a module of its own: results come from a check (core/validate.py) or from
the results cache (core/resultcache.py), which must not import the checks.

    >>> ValidationResult().judged
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .findings import Finding
from .records import field, record

if TYPE_CHECKING:
    from .modelfile import ModelSpec
    from .plan import Plan
    from .policy import Policy


@record
class ValidationResult:
    """What checking one file gave: findings, and for a model its spec, policy and plan."""

    findings: list[Finding] = field(default_factory=list)
    kind: str | None = None
    summary: str = ""
    spec: ModelSpec | None = None
    policy: Policy | None = None
    plan: Plan | None = None
    judged: bool = True  # False: a model whose errors kept its sharing from being judged (no plan)
