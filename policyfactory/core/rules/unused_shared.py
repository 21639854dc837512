"""`unused-shared`: a component declared under `shared:` that no slot refers to.

Owns its check: the plan knows which shared declaration every slot took.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..findings import Finding
from ..ruletype import WARNING, Rule
from ..text import shown

if TYPE_CHECKING:
    from ..modelfile import ModelSpec
    from ..plan import Plan

UNUSED_SHARED = Rule(
    "unused-shared", WARNING,
    "A component declared under `shared:` that no slot refers to.",
    "A `shared:` entry exists to be referenced with `{shared: NAME}`; one that nothing refers to "
    "is dead configuration, often a typo in the reference or a leftover after a refactoring.",
    bad="shared:\n  he: {initializer: HeNormal}\nlayers:\n  - {type: Dense, units: 4}\n",
    good="layers:\n  - {type: Dense, units: 4}\n",
    fix="Remove the entry, or refer to it with {shared: NAME} where it was meant to be used.",
)


@UNUSED_SHARED.check
def unused(spec: ModelSpec, plan: Plan) -> Iterator[Finding]:
    used = {s.shared for s in plan.slots if s.shared is not None}
    for name, c in spec.shared.items():
        if name not in used:
            yield Finding(c.file, c.line, c.column, UNUSED_SHARED,
                          f"shared {shown(name)} is declared but no slot refers to it with {{shared: {name}}}")
