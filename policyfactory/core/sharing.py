"""Sharing groups and the policy's verdict on them, stated in one small place.

A *sharing group* is the set of slots that receive one component instance, or
that would draw the same random stream (one initializer class with one explicit
seed). Both `validate` (from a model file, without Keras) and the `LayerFactory`
(while building) feed slots into a `SharingLedger`; the ledger judges the whole
group each time a slot joins, so both report the same verdict at the same slot.

Verdict for a group (see docs/formats/policy.md, "How a verdict is reached"):

1. a rule *covers the group* when its kind matches, the group's class fits
   `classes`, and the group fits the scope (`within-layer`: all slots in one
   layer; `across-layers`: any);
2. it *covers a slot* of that group when the slot's layer type and role fit;
3. denied if a covering `deny` rule covers any slot; else allowed if every
   slot is covered by some covering `allow` rule; else the kind's default.

Example::

    >>> from policyfactory.core.policy import load_policy
    >>> ledger = SharingLedger(load_policy("strict"))
    >>> a = SlotRef("dense", "Dense", "kernel_initializer", "initializer", "kernel")
    >>> b = SlotRef("dense_1", "Dense", "kernel_initializer", "initializer", "kernel")
    >>> ledger.join("shared:init", "initializer", "HeNormal", a, "shared 'init'").verdict.allowed
    True
    >>> ledger.join("shared:init", "initializer", "HeNormal", b, "shared 'init'").verdict.allowed
    False
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .findings import Finding, Fix
from .policy import Policy
from .records import field, record
from .rules.sharing import SHARING_VIOLATION
from .text import shown

if TYPE_CHECKING:
    from .filemodels import Rule


@record(frozen=True)
class SlotRef:
    """One slot: a constructor argument of one layer that takes a component."""

    layer: str  # the layer's name
    layer_type: str  # canonical catalog name
    arg: str  # e.g. kernel_initializer
    kind: str
    role: str
    owner: str = ""  # the top-level layer a wrapped slot belongs to (scope); defaults to `layer`
    file: str = ""
    line: int = 0
    column: int = 0

    @property
    def scope_owner(self) -> str:
        return self.owner or self.layer

    def label(self) -> str:
        return f"{self.layer}.{self.arg}"


@record(frozen=True)
class Verdict:
    """Whether a sharing group may exist, and which policy rule (or default) decided it."""

    allowed: bool
    decided_by: str  # "rule 'x'" or "default (initializer: deny)"
    rule_id: str | None = None

    def word(self) -> str:
        return "allowed" if self.allowed else "denied"


@record(frozen=True)
class SlotCover:
    """The rules that decide for one slot of a group: the first (in policy order) of each sort that covers it.

    Found once per (kind, class, layer type, role) and cached on the policy, so a
    growing group costs O(1) per slot, however many rules the policy has.
    """

    deny_any: int | None  # index in policy.rules
    deny_across: int | None
    allow_any: int | None
    allow_across: int | None


def slot_cover(policy: Policy, kind: str, class_name: str, slot: SlotRef) -> SlotCover:
    key = (kind, class_name, slot.layer_type, slot.role)
    cover = policy.covers.get(key)
    if cover is None:
        found: dict[str, int | None] = {"deny_any": None, "deny_across": None, "allow_any": None, "allow_across": None}
        for i, r in enumerate(policy.rules):
            if r.component != kind or not _fits_class(policy, r, class_name) or not _rule_covers_slot(policy, r, slot):
                continue
            for scope in ("any", "across") if r.scope == "across-layers" else ("any",):
                name = f"{r.share}_{scope}"
                if found[name] is None:
                    found[name] = i
        cover = policy.covers[key] = SlotCover(**found)
    return cover


def _first(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


@record
class Group:
    """The slots that receive one component or one random stream, and the verdict on them."""

    key: str
    label: str  # e.g. "shared 'unit_norm'" or "HeNormal(seed=3)"
    kind: str
    class_name: str
    slots: list[SlotRef] = field(default_factory=list)
    verdict: Verdict = Verdict(True, "single slot")
    denied_at: int | None = None  # index of the slot whose joining first broke the policy
    # Running state, so that judging a growing group costs O(1) per slot, not O(rules) or O(slots).
    owners: set = field(default_factory=set)
    deny_any: int | None = None  # first deny rule (policy order) covering some slot
    deny_across: int | None = None  # the same among across-layers rules
    n_any_allow: int = 0  # slots covered by some allow rule of any scope
    n_across_allow: int = 0  # slots covered by some across-layers allow rule
    first: SlotCover | None = None  # the first slot's cover

    def slot_labels(self, most: int = 6) -> str:
        labels = [s.label() for s in self.slots[:most]]
        more = len(self.slots) - most
        return ", ".join(labels) + (f" and {more} more" if more > 0 else "")


def _fits_class(policy: Policy, rule: Rule, class_name: str) -> bool:
    classes = policy.rule_classes.get(rule.id)
    return classes is None or class_name in classes


def _rule_covers_group(policy: Policy, rule: Rule, kind: str, class_name: str, slots: list[SlotRef]) -> bool:
    if rule.component != kind:
        return False
    classes = policy.rule_classes.get(rule.id)
    if classes is not None and class_name not in classes:
        return False
    return not (rule.scope == "within-layer" and len({s.scope_owner for s in slots}) > 1)


def _rule_covers_slot(policy: Policy, rule: Rule, slot: SlotRef) -> bool:
    layers = policy.rule_layers.get(rule.id)
    if layers is not None and slot.layer_type not in layers:
        return False
    return "*" in rule.roles or slot.role in rule.roles


def judge(policy: Policy, kind: str, class_name: str, slots: list[SlotRef]) -> Verdict:
    """The policy's verdict on one sharing group (the reference statement of the rules above).

    `SharingLedger` reaches the same verdict incrementally; a test checks they agree.
    """
    if len(slots) < 2:
        return Verdict(True, "single slot")
    covering = [r for r in policy.rules if _rule_covers_group(policy, r, kind, class_name, slots)]
    for rule in covering:
        if rule.share == "deny" and any(_rule_covers_slot(policy, rule, s) for s in slots):
            return Verdict(False, f"rule {shown(rule.id)}", rule.id)
    allows = [r for r in covering if r.share == "allow"]
    deciding = None
    if allows:
        for s in slots:
            match = next((r for r in allows if _rule_covers_slot(policy, r, s)), None)
            if match is None:
                deciding = None
                break
            deciding = deciding or match
        if deciding is not None:
            return Verdict(True, f"rule {shown(deciding.id)}", deciding.id)
    default = policy.defaults.get(kind, "deny")
    return Verdict(default == "allow", f"default ({kind}: {default})")


class SharingLedger:
    """Collects slots into sharing groups and judges each group as it grows."""

    def __init__(self, policy: Policy):
        self.policy = policy
        self.groups: dict[str, Group] = {}

    def join(self, key: str, kind: str, class_name: str, slot: SlotRef, label: str) -> Group:
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = Group(key, label, kind, class_name)
        elif label != group.label and label not in group.label.split(" = "):
            # one stream written two ways (HeUniform(seed=1) and GlorotUniform(seed=2147483647)): name them all
            group.label = f"{group.label} = {label}"
        self._count(group, slot)
        group.verdict = self._verdict(group)
        if not group.verdict.allowed and group.denied_at is None:
            group.denied_at = len(group.slots) - 1
        return group

    def _count(self, group: Group, slot: SlotRef) -> None:
        cover = slot_cover(self.policy, group.kind, group.class_name, slot)
        group.slots.append(slot)
        group.owners.add(slot.scope_owner)
        group.deny_any = _first(group.deny_any, cover.deny_any)
        group.deny_across = _first(group.deny_across, cover.deny_across)
        group.n_any_allow += cover.allow_any is not None
        group.n_across_allow += cover.allow_across is not None
        if group.first is None:
            group.first = cover

    def _verdict(self, group: Group) -> Verdict:
        if len(group.slots) < 2:
            return Verdict(True, "single slot")
        single = len(group.owners) == 1
        deny = group.deny_any if single else group.deny_across
        if deny is not None:
            rule = self.policy.rules[deny]
            return Verdict(False, f"rule {shown(rule.id)}", rule.id)
        covered = group.n_any_allow if single else group.n_across_allow
        allow = None if group.first is None else group.first.allow_any if single else group.first.allow_across
        if covered == len(group.slots) and allow is not None:
            rule = self.policy.rules[allow]
            return Verdict(True, f"rule {shown(rule.id)}", rule.id)
        default = self.policy.defaults.get(group.kind, "deny")
        return Verdict(default == "allow", f"default ({group.kind}: {default})")

    def truncate(self, key: str, size: int) -> None:
        """Forget the slots that joined a group after it had `size` slots."""
        group = self.groups[key]
        slots = group.slots[:size]
        group.slots, group.owners, group.first = [], set(), None
        group.deny_any = group.deny_across = None
        group.n_any_allow = group.n_across_allow = 0
        for s in slots:
            self._count(group, s)
        group.verdict = self._verdict(group)
        if group.denied_at is not None and group.denied_at >= size:
            group.denied_at = None

    def violation(self, group: Group) -> Finding:
        """The finding for a denied group, at the slot whose joining broke the policy."""
        at = group.slots[group.denied_at if group.denied_at is not None else -1]
        return violation_finding(self.policy, group, at)

    def violations(self) -> list[Finding]:
        return [self.violation(g) for g in self.groups.values() if not g.verdict.allowed]


def violation_finding(policy: Policy, group: Group, at: SlotRef) -> Finding:
    msg = (f"{group.kind} {group.class_name} ({group.label}) is shared by "
           f"{len(group.slots)} slots: {group.slot_labels()}; "
           f"denied by {group.verdict.decided_by} of policy {policy.title}")
    data: dict[str, Any] = {
        "group": group.label,
        "kind": group.kind,
        "class_name": group.class_name,
        "slots": [s.label() for s in group.slots],
        "decided_by": group.verdict.decided_by,
        "rule_id": group.verdict.rule_id,
        "policy": policy.name,
        "group_key": group.key,
    }
    return Finding(at.file or "<python>", at.line or 1, at.column or 1, SHARING_VIOLATION, msg, data=data,
                   help=sharing_help(policy, group), fix=_inline_fix(group))


def _inline_fix(group: Group) -> Fix | None:
    """Fresh inline components for a denied `{shared: NAME}` group of a model file: its one safe repair.

    Not for a group of one explicit seed (copies would keep the seed and the group; which seed to drop is the
    user's choice), nor for Python sources (an object in code is not rewritten)."""
    if not group.key.startswith("shared:") or any(s.file.lower().endswith((".py", ".ipynb")) for s in group.slots):
        return None
    return Fix.inline_shared(group.key[len("shared:"):])


def sharing_help(policy: Policy, group: Group) -> str:
    """The three ways out of a denied group: fresh components, a policy that allows it, or an allow: entry."""
    from .policy import load_policy  # the shipped policies, loaded once and cached

    own = "seed" if group.kind == "initializer" else "instance"
    source = bool(group.slots) and group.slots[0].file.lower().endswith((".py", ".ipynb"))
    if group.key.startswith("seed:"):
        fresh = "give each slot its own seed, or leave 'seed' out so that every slot gets a seed of its own"
    elif source:
        fresh = (f"give each slot its own object: a new {group.class_name}(...) per slot, a string, or "
                 f"clone_initializer(...) at each use instead of one {group.label}")
    else:
        fresh = ("give each slot its own component: write it inline (e.g. "
                 f"{group.slots[0].arg}: {group.class_name}) instead of {group.label}, so every slot gets its own {own}")
    allowing = [name for name in _BUILTIN_ORDER if name != policy.name
                and judge(_builtin(load_policy, name), group.kind, group.class_name, group.slots).allowed]
    layer_types = ", ".join(sorted({s.layer_type for s in group.slots}))
    roles = ", ".join(sorted({s.role for s in group.slots}))
    other = (f"or use policy '{allowing[0]}', which allows it" if allowing
             else f"or add a rule to policy {shown(policy.name)} that allows {group.kind} sharing for {layer_types} ({roles})")
    labels = ", ".join(s.label() for s in group.slots[:4]) + (", ..." if len(group.slots) > 4 else "")
    stanza = f"or suppress it on purpose: allow: [{{rule: sharing-violation, slots: [{labels}], reason: ...}}]"
    if source:
        stanza = "or suppress it on purpose: '# policyfactory: allow[sharing-violation] REASON' on the line of one of its slots"
    return "; ".join((fresh, other, stanza))


_BUILTIN_ORDER = ("stateless", "recurrent", "strict")
_BUILTINS: dict[str, Policy] = {}


def _builtin(load: Callable[[str], Policy], name: str) -> Policy:
    if name not in _BUILTINS:
        _BUILTINS[name] = load(name)
    return _BUILTINS[name]
