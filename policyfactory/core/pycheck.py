"""Judging Python sources: the uses `pyflow` finds become slots of one plan, judged by the policy.

Why one plan: a group of slots that one object reaches in Python is the same thing as a
`{shared: NAME}` of a model file, and a seeded initializer in two slots is the same seed
group, so both go through the `Planner` and its `SharingLedger` (the same verdict, the
same `sharing-violation` wording and help), and `# policyfactory: allow[RULE] reason`
comments are `Allow` entries applied by `plan.apply_allows` (an unused one is
`unused-allow`). A slot that a loop gives the object on every pass counts twice (the
loop's first pass and the next). Parameters that reach several slots are
`unknown-origin` warnings (off by default).

    >>> from policyfactory.core.policy import load_policy
    >>> from policyfactory.core.pyread import read_source
    >>> src = b"import keras\\ninit = keras.initializers.HeNormal()\\n" \\
    ...       b"for _ in range(3):\\n    keras.layers.Dense(2, kernel_initializer=init)\\n"
    >>> f = check_units([read_source("m.py", src)], load_policy("strict")).findings[0]
    >>> f.location(), f.rule, f.data["slots"]
    ('m.py:4:46', 'sharing-violation', ['Dense@4:5.kernel_initializer', 'Dense@4:5.kernel_initializer (again: loop at line 3)'])
"""

from __future__ import annotations

from collections.abc import Sequence

from .findings import Finding
from .plan import Allow, Plan, Planner, group_key, group_label
from .policy import Policy
from .pyflow import Obj, ParamV, Use, analyze
from .pyread import PyUnit, read_path
from .records import field, record
from .rules.limits import LIMIT_DEPTH
from .rules.python import UNKNOWN_ORIGIN
from .rules.sharing import UNUSED_ALLOW
from .sharing import SlotRef
from .text import plural, shown
from .yamlload import DEFAULT_LIMITS, Limits

_STANDALONE = ("def:", "class:")  # a function or class walked on its own, with its parameters unknown


@record
class SourceResult:
    """What checking Python sources gave: findings, the plan, and a summary line per file."""

    findings: list[Finding] = field(default_factory=list)
    plan: Plan | None = None
    summaries: dict[str, str] = field(default_factory=dict)


def _slot_key(u: Use) -> tuple:
    return (u.unit.path, u.line, u.column, u.layer, u.arg)


def _deduplicated(uses: list[Use]) -> list[Use]:
    """One use per slot and context; a function's own walk gives way to the calls of it that were followed."""
    followed = {(u.atom.key, _slot_key(u)) for u in uses if not _standalone(u.ctx)}
    seen: set = set()
    out = []
    for u in uses:
        k = (u.atom.key, _slot_key(u), u.ctx, u.repeated_at)
        if k in seen or (_standalone(u.ctx) and (u.atom.key, _slot_key(u)) in followed and len(u.ctx) == 1):
            continue
        seen.add(k)
        out.append(u)
    return out


def _standalone(ctx: tuple[str, ...]) -> bool:
    return len(ctx) == 1 and ctx[0].startswith(_STANDALONE)


def _group_key(u: Use) -> str | None:
    """One object, or one explicit seed (as Keras draws it); None: fresh, or for `unknown-origin`."""
    a = u.atom
    if not isinstance(a, Obj):
        return None
    if isinstance(a.seed, int) and u.kind == "initializer":
        return group_key("initializer", a.class_name or "?", {"seed": a.seed}, None)
    if a.fresh or a.maybe:
        return None
    return a.key


def _refs(u: Use, via: bool = False) -> list[SlotRef]:
    """The slot, and its next pass when a loop gives it the same object again. `via`: the same place is
    reached by several calls (a helper called twice with one object): each call is its own slot."""
    calls = [c for c in u.ctx if c[:1].isdigit()] if via else []
    if calls:  # every call on the way, outermost first: two calls of one helper are two slots
        chain = " > ".join(f"{c.split(':')[0]}:{int(c.split(':')[1]) + 1}" for c in calls)
        layer = f"{u.layer} (call at {chain})"
    else:
        layer = u.layer
    ref = SlotRef(layer, u.layer_type, u.arg, u.kind, u.role, u.owner, u.unit.path, u.line, u.column)
    if u.repeated_at is None:
        return [ref]
    again = SlotRef(u.layer, u.layer_type, f"{u.arg} (again: loop at line {u.repeated_at})", u.kind, u.role,
                    f"{u.owner}#again", u.unit.path, u.line, u.column)
    return [ref, again]


def check_paths(paths: Sequence[tuple[str, bytes | None]], policy: Policy, limits: Limits = DEFAULT_LIMITS
                ) -> SourceResult:
    """Read (path, data or None to read the file) sources and judge them together.

    (The CLI pauses Python's cyclic garbage collector for a command: syntax trees hold no cycles,
    and collecting a heap that grows by every file read would cost more than the parse.)
    """
    return check_units([read_path(path, limits, data) for path, data in paths], policy)


def check_units(units: Sequence[PyUnit], policy: Policy) -> SourceResult:
    """Judge the sources together (an object made in one may reach slots in another)."""
    result = SourceResult()
    for unit in units:
        result.findings.extend(unit.findings)
    readable = [u for u in units if u.tree is not None]
    analyzer = analyze(readable)
    result.findings.extend(Finding(path, 1, 1, LIMIT_DEPTH, "nested too deeply to follow (Python's own stack "
                                   "limit): parts of this file were not judged") for path in sorted(analyzer.too_deep))
    uses = _deduplicated(analyzer.uses)
    planner = Planner(policy, base_seed=None)
    groups: dict[str, list[Use]] = {}
    for u in uses:
        key = _group_key(u)
        if key is not None:
            groups.setdefault(key, []).append(u)
    by_line: dict[tuple[str, int], str] = {}
    for key, members in _widest(groups).items():
        _plan_group(planner, key, members, by_line)
    allows, stray = _allows(readable, by_line)
    plan = planner.freeze(allows)
    result.plan = plan
    result.findings.extend(stray)
    result.findings.extend(_in_cells(units, plan.findings))
    result.findings.extend(_in_cells(units, _unknown_origin(uses)))
    denied = {s.file for g in plan.sharing_groups() if not g.allowed for s in g.slots}
    result.summaries = {path: line for path, line in _summaries(readable, analyzer.written, plan).items()
                        if path not in denied}  # a file holding a slot of a denied group is not ok
    return result


def _plan_group(planner: Planner, key: str, members: list[Use], by_line: dict[tuple[str, int], str]) -> None:
    """The slots of one group into the plan (a place reached by several calls is a slot per call); each
    slot's line is noted for inline allow comments."""
    slots_seen: set = set()
    counts: dict[tuple, int] = {}
    for u in members:
        counts[_slot_key(u)] = counts.get(_slot_key(u), 0) + 1
    for u in members:
        a = u.atom
        assert isinstance(a, Obj)
        cls = a.class_name or u.kind.capitalize()
        seeded = isinstance(a.seed, int)
        label = group_label(cls, {"seed": a.seed}, None) if seeded else a.label
        for ref in _refs(u, via=counts[_slot_key(u)] > 1):
            if (ref.label(), ref.line, ref.column) in slots_seen:
                continue
            slots_seen.add((ref.label(), ref.line, ref.column))
            planner.plan_source_slot(ref, cls, {"seed": a.seed} if seeded else {}, key, label)
            by_line.setdefault((u.unit.path, u.line), ref.label())


def _widest(groups: dict[str, list[Use]]) -> dict[str, list[Use]]:
    """Groups of two or more slots, each reported once: a group whose slots another group also holds is left out
    (a class walked on its own, and again inside a caller that gives it the caller's object, finds both)."""
    places = {key: frozenset(_slot_key(u) for u in members) for key, members in groups.items()
              if any(u.repeated_at is not None for u in members) or _two_at_once(members)}
    kept: dict[str, list[Use]] = {}
    ordered = sorted(places, key=lambda k: -len(places[k]))
    chosen: list[frozenset] = []
    for key in ordered:
        if any(places[key] <= other for other in chosen):
            continue
        chosen.append(places[key])
        kept[key] = groups[key]
    return {key: kept[key] for key in groups if key in kept}  # in the order the groups were found


def _two_at_once(members: list[Use]) -> bool:
    """Whether two of the slots get the object in one run (slots in the two branches of one `if` never do)."""
    by_branch: dict[tuple, Use] = {}
    for u in members:
        if u.branch in by_branch or (not u.branch and members[1:]):
            return True  # two slots under the same branches, or one under none: both run
        by_branch[u.branch] = u
    firsts = list(by_branch.values())
    return any(a.together(b) for i, a in enumerate(firsts) for b in firsts[i + 1:])


def _allows(units: Sequence[PyUnit], by_line: dict[tuple[str, int], str]) -> tuple[list[Allow], list[Finding]]:
    """Inline comments as allow entries for the slot of a sharing group on their line; a comment on a line
    without one suppresses nothing (`unused-allow`)."""
    out, stray = [], []
    for unit in units:
        for a in unit.allows:
            slot = by_line.get((unit.path, a.line))
            if slot is None:
                stray.append(unit.finding(a.line, a.column, UNUSED_ALLOW,
                                          f"allow[{a.rule}] suppresses nothing: no slot of a sharing group is on "
                                          f"line {unit.place(a.line)[0]} (put it on the line of one of the group's slots)"))
            else:
                out.append(Allow(a.rule, (slot,), a.reason, unit.path, a.line, a.column))
    return out, stray


def _in_cells(units: Sequence[PyUnit], findings: Sequence[Finding]) -> list[Finding]:
    """Findings at program lines, placed in their notebook cell."""
    notebooks = {u.path: u for u in units if u.cells}
    out = []
    for f in findings:
        unit = notebooks.get(f.file)
        if unit is None or f.cell is not None:
            out.append(f)
            continue
        line, cell = unit.place(f.line)
        out.append(Finding(f.file, line, f.column, f.rule, f.message, f.severity, f.category, f.data, f.help, cell))
    return out


def _unknown_origin(uses: list[Use]) -> list[Finding]:
    """A parameter (or clone_initializer of one) that reaches two or more slots of one function or class."""
    by_param: dict[str, list[Use]] = {}
    for u in uses:
        a = u.atom
        maybe = isinstance(a, ParamV) or (isinstance(a, Obj) and a.maybe and not isinstance(a.seed, int))
        if maybe and _standalone(u.ctx) and u.kind == "initializer":
            by_param.setdefault(a.key, []).append(u)
    out = []
    for members in by_param.values():
        slots = {(u.label, u.line, u.column, u.ctx) for u in members}
        if len(slots) < 2 and all(u.repeated_at is None for u in members):
            continue
        a = members[0].atom
        name = a.name if isinstance(a, ParamV) else f"clone_initializer({a.param})"
        labels = sorted({u.label if sum(v.label == u.label for v in members) == 1 else f"{u.label} (line {u.line})"
                         for u in members})
        at = members[-1]
        out.append(Finding(at.unit.path, at.line, at.column, UNKNOWN_ORIGIN,
                           f"{shown(name)} reaches {plural(len(labels), 'slot')}: {', '.join(labels[:6])}"
                           f"{' and more' if len(labels) > 6 else ''}; they share one object if a caller passes "
                           f"an initializer object (a string or config would be fresh in each)",
                           data={"slots": labels}))
    return out


def _summaries(units: Sequence[PyUnit], written: dict[str, set], plan: Plan) -> dict[str, str]:
    """'python source (5 component arguments, 1 sharing group, policy 'strict')' for every file that writes any."""
    groups: dict[str, int] = {}
    for g in plan.sharing_groups():
        for path in {s.file for s in g.slots}:
            groups[path] = groups.get(path, 0) + 1
    out = {}
    for unit in units:
        n = len(written.get(unit.path, ()))
        if n:
            what = "notebook" if unit.cells else "python source"
            out[unit.path] = (f"{what} ({plural(n, 'component argument')}, "
                              f"{plural(groups.get(unit.path, 0), 'sharing group')}, policy {shown(plan.policy.name)})")
    return out
