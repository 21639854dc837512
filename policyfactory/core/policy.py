"""Policy files: their Pydantic models, loading with `extends`, and semantic checks.

A policy says which sharing groups may exist, per component kind, layer type,
role, component class and scope. `load_policy("recurrent")` reads a built-in
policy; `load_policy("my/policy.yaml")` reads a file. See `sharing.py` for the
verdict these rules give.

Example::

    >>> p = load_policy("recurrent")
    >>> [r.id for r in p.rules]
    ['recurrent-constraints']
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from .catalog import KINDS, ROLES, LayerType, catalog
from .findings import Finding, InvalidInput
from .records import field, record, replace
from .references import BUILTIN_POLICIES, builtin_path, declares_kind, resolve_in_project
from .resolve import unknown_component, unknown_layer
from .rules.components import UNKNOWN_ROLE
from .rules.policies import (
    POLICY_DUPLICATE_RULE_ID,
    POLICY_EXTENDS_CYCLE,
    POLICY_EXTENDS_INVALID,
    POLICY_EXTENDS_MISSING,
    POLICY_MISSING_REASON,
    POLICY_ROLE_NOT_IN_LAYER,
    POLICY_RULE_NEVER_MATCHES,
    POLICY_UNKNOWN,
)
from .rules.schemarules import SCHEMA_TOP_LEVEL
from .safeio import read_regular
from .schema import validate_as
from .text import did_you_mean, shorten, shown
from .yamlload import DEFAULT_LIMITS, Limits, Loaded, load_bytes, load_file, read_input

if TYPE_CHECKING:
    from .filemodels import PolicyFile, Rule

@record
class Policy:
    """A resolved policy: `extends` merged, class names canonical."""

    name: str
    description: str | None
    defaults: dict[str, str]
    rules: list[Rule]
    source: str  # file the policy came from
    # rule id -> resolved canonical class names (None for '*')
    rule_classes: dict[str, frozenset | None] = field(default_factory=dict)
    rule_layers: dict[str, frozenset | None] = field(default_factory=dict)
    allow_suppressions: bool = True
    sources: tuple[str, ...] = ()  # every file this policy was read from (extends included)
    replaced: str = ""  # who chose it over a model file's own `policy:` ("--policy, in place of ...")
    # (kind, class, layer type, role) -> the deciding rules for such a slot (filled by sharing.slot_cover)
    covers: dict = field(default_factory=dict, repr=False, compare=False)

    def __repr__(self) -> str:
        return f"<Policy {self.name!r}: {len(self.rules)} rules, defaults {self.defaults}>"

    @property
    def title(self) -> str:
        """How messages name it: `'strict'`, or `'strict' (--policy, in place of the file's own policy: recurrent)`
        when the caller's choice replaced the one the model file names."""
        return shown(self.name) + (f" ({self.replaced})" if self.replaced else "")


def _is_path(name: str) -> bool:
    return name.endswith((".yaml", ".yml")) or os.sep in name or "/" in name


def load_policy(name_or_path: str | os.PathLike | Policy = "strict", limits: Limits = DEFAULT_LIMITS, *,
                allow_outside: bool = False) -> Policy:
    """Load a built-in policy (`strict`, `recurrent`, `stateless`) or a policy YAML file.

    The path given here is the caller's choice; `extends:` paths written inside
    the file stay inside its project unless `allow_outside=True`. Raises
    `InvalidInput` (a `ValueError`) with findings when it is not valid.

        >>> load_policy("strict").defaults["initializer"]
        'deny'
    """
    if isinstance(name_or_path, Policy):
        return name_or_path
    if not isinstance(name_or_path, (str, os.PathLike)):
        raise TypeError(f"load_policy takes a name, a path or a Policy, got {type(name_or_path).__name__}")
    ref = os.fspath(name_or_path)
    if not isinstance(ref, str):
        raise TypeError("load_policy takes a str path")
    if ref not in BUILTIN_POLICIES and not _is_path(ref) and not os.path.exists(ref):
        raise InvalidInput(Finding(ref, 1, 1, POLICY_UNKNOWN,
                                   f"unknown policy {shown(ref)}: a built-in name ({', '.join(BUILTIN_POLICIES)}) "
                                   f"or a YAML path{did_you_mean(ref, BUILTIN_POLICIES)}"))
    policy, findings = check_policy_path(builtin_path(ref) or ref, limits, allow_outside=allow_outside)
    if findings or policy is None:
        raise InvalidInput(findings)
    return policy


def check_policy_path(path: str, limits: Limits = DEFAULT_LIMITS, *,
                      allow_outside: bool = False) -> tuple[Policy | None, list[Finding]]:
    """Load, validate and resolve one policy file: (policy, findings).

    A valid policy is remembered with the bytes of every file it was read from (`extends:` included), and used
    again only while those files still hold the same bytes: a folder of 200 models naming one policy parses it
    once, and an edited policy is read again on the next check.
    """
    key = (path, os.getcwd(), limits, allow_outside)
    known = _RESOLVED.get(key)
    if known is not None and known[0] is catalog() and _contents(known[2].sources, limits) == known[1]:
        return known[2], []
    try:
        data = read_input(path, limits, "a YAML file")
        loaded = load_bytes(data, path, limits, base_dir=os.path.dirname(os.path.abspath(path)))
    except InvalidInput as exc:
        return None, exc.findings
    policy, findings = check_policy_loaded(loaded, limits, allow_outside=allow_outside)
    if policy is not None and not findings:
        contents = _contents(policy.sources, limits)
        if contents is not None and contents[-1] == data:  # the top file unchanged since it was parsed
            if len(_RESOLVED) >= 64:
                _RESOLVED.clear()
            _RESOLVED[key] = (catalog(), contents, policy)
    return policy, findings


_RESOLVED: dict[tuple, tuple[Any, tuple, Policy]] = {}  # (catalog, bytes of its files, policy) by arguments


def _contents(paths: tuple[str, ...], limits: Limits) -> tuple[bytes, ...] | None:
    """The bytes of these files (None: one cannot be read as a regular file any more)."""
    try:
        return tuple(read_regular(p, limits.max_bytes + 1) for p in paths)
    except OSError:
        return None


MAX_EXTENDS = 16  # policies in one extends chain


def _extends_target(pf: PolicyFile, loaded: Loaded, seen: set[str], limits: Limits, allow_outside: bool
                    ) -> tuple[Loaded | None, list[Finding]]:
    """The policy file `extends:` names, loaded, or the findings that stop the chain there."""
    ref = pf.extends or ""
    target, outside = resolve_in_project(ref, loaded, ("extends",), allow_outside=allow_outside)
    if outside is not None or target is None:
        return None, [outside] if outside else []
    if os.path.realpath(target) in seen:
        return None, [loaded.finding(("extends",), POLICY_EXTENDS_CYCLE,
                                     f"'extends: {shorten(ref)}' makes a cycle back to {os.path.basename(target)}")]
    if not os.path.isfile(target):
        return None, [loaded.finding(("extends",), POLICY_EXTENDS_MISSING,
                                     f"'extends: {shorten(ref)}' names no built-in policy and no file "
                                     f"(looked for {target}){did_you_mean(ref, BUILTIN_POLICIES)}")]
    if declares_kind(target, limits) != "policy":
        return None, [loaded.finding(("extends",), POLICY_EXTENDS_INVALID,
                                     f"'extends: {shorten(ref)}' is not a policy file (no top-level 'kind: policy')")]
    try:
        return load_file(target, limits), []
    except InvalidInput as exc:
        where = loaded.finding(("extends",), POLICY_EXTENDS_INVALID,
                               f"'extends: {shorten(ref)}' is not a valid policy (see the findings in {target})")
        return None, [where] + exc.findings


def _extends_unresolved(loaded: Loaded, seen: set[str], limits: Limits, allow_outside: bool) -> list[Finding]:
    """Why the `extends:` of a policy that fails its schema names no policy (nothing when it does, or when
    `extends:` is not a string: the schema reported that)."""
    ref = loaded.value.get("extends") if isinstance(loaded.value, dict) else None
    if not isinstance(ref, str):
        return []
    from .filemodels import PolicyFile  # the error path: Pydantic's own model

    target, findings = _extends_target(PolicyFile.model_construct(extends=ref), loaded, seen, limits, allow_outside)
    return [] if target is not None else findings


def _parse(loaded: Loaded) -> tuple[PolicyFile | None, list[Finding]]:
    if not isinstance(loaded.value, dict):
        return None, [loaded.finding((), SCHEMA_TOP_LEVEL, "top level must be a mapping with 'kind: policy'")]
    return validate_as("PolicyFile", loaded.value, loaded)


def check_policy_loaded(loaded: Loaded, limits: Limits = DEFAULT_LIMITS, *,
                        allow_outside: bool = False) -> tuple[Policy | None, list[Finding]]:
    """Validate a loaded policy and the chain it extends (iteratively, at most MAX_EXTENDS deep)."""
    chain: list[tuple[PolicyFile, Loaded]] = []
    seen: set[str] = set()
    current: Loaded | None = loaded
    while current is not None:
        pf, findings = _parse(current)
        if pf is None:  # one pass: the rules that are well-formed still get their semantic checks, and
            # an `extends:` naming nothing is reported now, not after the schema errors are fixed
            findings = findings + _semantic_of_valid_rules(current, findings) + _extends_unresolved(
                current, seen | {os.path.realpath(current.file)}, limits, allow_outside)
            return None, _blame(loaded, chain, findings)
        chain.append((pf, current))
        seen.add(os.path.realpath(current.file))
        if pf.extends is None:
            break
        if len(chain) >= MAX_EXTENDS:
            return None, _blame(loaded, chain[:-1], [current.finding(
                ("extends",), POLICY_EXTENDS_INVALID, f"more than {MAX_EXTENDS} policies in one extends chain")])
        current, findings = _extends_target(pf, current, seen, limits, allow_outside)
        if current is None:
            return None, _blame(loaded, chain[:-1], findings)
    parent: Policy | None = None
    findings = []
    for pf, ld in reversed(chain):
        findings.extend(semantic_findings(pf, ld, parent))
        parent = _resolved(pf, ld, parent)
    if findings and len(chain) > 1 and any(f.file != loaded.file for f in findings):
        findings = _blame(loaded, chain[:1], findings)
    return (None if findings else parent), findings


def _semantic_of_valid_rules(loaded: Loaded, schema_findings: list[Finding]) -> list[Finding]:
    """Semantic findings of the well-formed rules of a policy whose schema check failed elsewhere."""
    data = loaded.value
    raw_rules = data.get("rules") if isinstance(data, dict) else None
    if not isinstance(raw_rules, list):
        return []
    from pydantic import ValidationError

    from .filemodels import PolicyFile, Rule  # the error path: Pydantic's own models

    rules: list[Rule | None] = []
    for raw in raw_rules:
        try:
            rules.append(Rule.model_validate(raw))
        except ValidationError:
            rules.append(None)
    stand_in = PolicyFile.model_construct(kind="policy", version=1, name="?", extends=None, description=None,
                                          defaults=None, rules=[r for r in rules if r is not None])
    positions = [i for i, r in enumerate(rules) if r is not None]
    seen = {(f.line, f.column, f.rule) for f in schema_findings}
    out = []
    for f in semantic_findings(stand_in, _Renumbered(loaded, positions), None):  # type: ignore[arg-type]
        if (f.line, f.column, f.rule) not in seen:
            out.append(f)
    return out


class _Renumbered:
    """A `Loaded` view whose rule indexes map to the original file's (rules that failed the schema are left out)."""

    def __init__(self, loaded: Loaded, positions: list[int]):
        self._loaded, self._positions = loaded, positions

    def finding(self, path: tuple, rule: str, message: str, **kw: Any) -> Finding:
        fix = kw.get("fix")
        if fix is not None:  # a fix is placed like its finding
            kw["fix"] = replace(fix, path=self._renumbered(fix.path))
        return self._loaded.finding(self._renumbered(path), rule, message, **kw)

    def _renumbered(self, path: tuple) -> tuple:
        if len(path) >= 2 and path[0] == "rules" and isinstance(path[1], int):
            return ("rules", self._positions[path[1]]) + tuple(path[2:])
        return path


def _blame(top: Loaded, chain: list[tuple[PolicyFile, Loaded]], findings: list[Finding]) -> list[Finding]:
    """Findings in an extended policy also get one finding at the top file's `extends:` key."""
    if not chain or all(f.file == top.file for f in findings):
        return findings
    ref = chain[0][0].extends or ""
    return [top.finding(("extends",), POLICY_EXTENDS_INVALID,
                        f"'extends: {shorten(ref)}' is not a valid policy (see the findings below)")] + findings


def _resolved(pf: PolicyFile, loaded: Loaded, parent: Policy | None) -> Policy:
    defaults = dict(parent.defaults) if parent else dict.fromkeys(KINDS, "deny")
    if pf.defaults is not None:  # only the kinds the file sets: the others stay as the parent has them
        written = loaded.value.get("defaults") if isinstance(loaded.value, dict) else None
        for k in written if isinstance(written, dict) else ():
            if k in KINDS:
                defaults[k] = getattr(pf.defaults, k)
    rules = (list(parent.rules) if parent else []) + list(pf.rules)
    # a policy cannot re-allow suppressions that a policy it extends forbids
    allow = (parent.allow_suppressions if parent else True) and pf.allow_suppressions is not False
    policy = Policy(pf.name, pf.description, defaults, rules, loaded.file, allow_suppressions=allow,
                    sources=(parent.sources if parent else ()) + (loaded.file,))
    cat = catalog()
    for r in rules:
        policy.rule_classes[r.id] = None if "*" in r.classes else frozenset(
            c.name for c in (cat.component(r.component, n) for n in r.classes) if c is not None)
        policy.rule_layers[r.id] = None if "*" in r.layers else frozenset(
            lt.name for lt in (cat.layer(n) for n in r.layers) if lt is not None)
    return policy


def semantic_findings(pf: PolicyFile, loaded: Loaded, parent: Policy | None) -> list[Finding]:
    """Findings a schema cannot see: unknown names, duplicate ids, rules that never match."""
    out: list[Finding] = []
    seen_ids = {r.id: "the extended policy" for r in (parent.rules if parent else [])}
    cat = catalog()
    all_roles = set(ROLES) | {s.role for lt in cat.layers.values() for s in lt.slots.values()}
    for i, rule in enumerate(pf.rules):
        base = ("rules", i)
        if rule.id in seen_ids:
            out.append(loaded.finding(base + ("id",), POLICY_DUPLICATE_RULE_ID,
                                      f"duplicate rule id {shown(rule.id)} (also in {seen_ids[rule.id]})"))
        else:
            seen_ids[rule.id] = f"rule {i + 1}"
        if rule.share == "allow" and not rule.reason:  # a blank one is refused by the schema (`Reason`)
            out.append(loaded.finding(base + ("share",), POLICY_MISSING_REASON,
                                      f"rule {shown(rule.id)} allows sharing but gives no 'reason:' "
                                      f"(deliberate sharing says why)"))
        layer_types = _rule_layer_types(rule, base, loaded, out)
        _check_roles(rule, base, layer_types, all_roles, loaded, out)
        _check_classes(rule, base, loaded, out)
        _check_reachable(rule, base, layer_types, loaded, out)
    return out


def _rule_layer_types(rule: Rule, base: tuple, loaded: Loaded, out: list[Finding]) -> list[LayerType]:
    cat = catalog()
    if "*" in rule.layers:
        return list(cat.layers.values())
    found = []
    for j, name in enumerate(rule.layers):
        lt = cat.layer(name)
        if lt is None:
            problem = unknown_layer(name)
            out.append(loaded.finding(base + ("layers", j), problem.rule, problem.message,
                                      fix=problem.fix.moved(base + ("layers", j)) if problem.fix else None))
        else:
            found.append(lt)
    return found


def _check_roles(rule: Rule, base: tuple, layer_types: list[LayerType], all_roles: set[str], loaded: Loaded,
                 out: list[Finding]) -> None:
    for j, role in enumerate(rule.roles):
        if role == "*":
            continue
        if role not in all_roles:
            out.append(loaded.finding(base + ("roles", j), UNKNOWN_ROLE,
                                      f"unknown role {shown(role)}{did_you_mean(role, sorted(all_roles))}"))
        elif layer_types and not any(s.role == role and s.kind == rule.component
                                     for lt in layer_types for s in lt.slots.values()):
            names = ", ".join(sorted({lt.name for lt in layer_types}))
            out.append(loaded.finding(base + ("roles", j), POLICY_ROLE_NOT_IN_LAYER,
                                      f"no {rule.component} slot has role {shown(role)} in layer type(s) {names}: "
                                      f"rule {shown(rule.id)} can never match it"))


def _check_classes(rule: Rule, base: tuple, loaded: Loaded, out: list[Finding]) -> None:
    for j, cname in enumerate(rule.classes):
        if cname != "*" and catalog().component(rule.component, cname) is None:
            problem = unknown_component(rule.component, cname)
            out.append(loaded.finding(base + ("classes", j), problem.rule,
                                      f"{problem.message}: rule {shown(rule.id)} can never match it",
                                      fix=problem.fix.moved(base + ("classes", j)) if problem.fix else None))


def _check_reachable(rule: Rule, base: tuple, layer_types: list[LayerType], loaded: Loaded, out: list[Finding]) -> None:
    if not layer_types:
        return
    if not any(s.kind == rule.component for lt in layer_types for s in lt.slots.values()):
        out.append(loaded.finding(base + ("component",), POLICY_RULE_NEVER_MATCHES,
                                  f"rule {shown(rule.id)} can never match: its layer types have no {rule.component} slots"))
        return
    if rule.scope != "within-layer":
        return
    roles = None if "*" in rule.roles else set(rule.roles)
    if not any(sum(1 for s in lt.slots.values() if s.kind == rule.component and (roles is None or s.role in roles)) >= 2
               for lt in layer_types):
        out.append(loaded.finding(base + ("scope",), POLICY_RULE_NEVER_MATCHES,
                                  f"rule {shown(rule.id)} can never match: scope within-layer needs two {rule.component} "
                                  f"slots with its roles in one layer, and no listed layer type has them"))
