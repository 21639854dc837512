"""The rule registry: every finding id policyfactory can emit, each defined once as a `Rule`.

Why: findings are made in many places (the YAML loader, the schema mapping,
the model and policy checkers, the Keras side, the command line), but users
meet them in one vocabulary. Exit codes, SARIF's ``driver.rules``, the rule
pages and ``policyfactory rules ID`` all read the same facts about a rule: its
category (which decides the exit code), a one-line summary, what triggers it,
how to fix it and a `bad`/`good` example (a test runs every example).

Each rule is a constant of the module for its area (`yamlrules`, `limits`,
`files`, `schemarules`, `components`, `layers`, `shared`, `policies`, `tools`,
`sharing`), or a module of its own when it owns a check over the model graph
(`unreachable_layer`, `unused_shared`, `shared_dropout_seed`). Emit sites import
the constant, so the id is written only where the rule is defined. Every module
of this package is imported here, so a new rule is one new module.

Categories decide the exit code:

* ``invalid`` -- the input cannot be judged (YAML, schema, unknown names,
  limits, unreadable files, bad arguments): exit 2;
* ``policy`` -- valid input that breaks its policy, or that the Keras backend checked for does not build
  (``backend-layer``; a project may lower either): exit 1;
* ``warning`` -- worth fixing, does not fail: exit 0.

Example::

    >>> rule_info("sharing-violation").category
    'policy'
    >>> rule_info("unused-allow").severity
    'warning'
    >>> sorted(rule_info("limit-nodes").as_json())
    ['bad', 'category', 'enabled', 'example', 'explanation', 'fix', 'good', 'id', 'severity', 'summary']
    >>> [r.id for r in RULES.values() if r.category == POLICY]
    ['sharing-violation', 'correlated-weights', 'allow-not-permitted', 'backend-layer']
    >>> rule_info("no-such-rule")
    Traceback (most recent call last):
    ...
    KeyError: "unknown rule id 'no-such-rule'"
"""

from __future__ import annotations

import importlib
import os

from ..ruletype import CATEGORIES, INVALID, POLICY, REGISTRY, WARNING, GraphCheck, Rule, rule_info

__all__ = ["CATEGORIES", "INVALID", "POLICY", "RULES", "WARNING", "Rule", "graph_checks", "rule_info"]

# The areas first, in the order `policyfactory rules` lists them; then every other module of the package.
_AREAS = ("yamlrules", "limits", "files", "schemarules", "components", "layers", "shared", "policies", "tools",
          "sharing")


def _module_names() -> set[str]:
    """The rule modules of this package. Listed from its folder: pkgutil's walk imports `inspect`, a tenth of
    `validate`'s start-up; pkgutil serves a package that is not a folder (a zip import)."""
    try:
        return {n[:-3] for n in os.listdir(__path__[0]) if n.endswith(".py") and n != "__init__.py"}
    except OSError:
        import pkgutil

        return {m.name for m in pkgutil.iter_modules(__path__)}


_OTHERS = sorted(m for m in _module_names() if m not in _AREAS and m != "base")
for _module in (*_AREAS, *_OTHERS):
    importlib.import_module(f"{__name__}.{_module}")

RULES: dict[str, Rule] = REGISTRY


def graph_checks() -> list[tuple[Rule, GraphCheck]]:
    """Every rule that owns a check over a checked model file, with its check, in registry order."""
    return [(r, r.graph_check) for r in RULES.values() if r.graph_check is not None]
