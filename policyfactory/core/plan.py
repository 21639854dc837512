"""One plan: what every slot of a model gets, and the one verdict on its sharing.

Why one plan: `validate`, `explain`, `graph`, `build` and `audit` of a model file
must agree on every slot's component, seed, sharing group and verdict. Checking
a model file (or a sequence of `LayerFactory` calls) grows one `Planner`; its
`freeze()` gives an immutable `Plan` that every command reads, and `build` only
instantiates (no second planning, no second resolution).

Rules (docs/seeds.md):

* a fresh random initializer gets a seed derived from the base seed, the layer
  name and the slot; derived seeds never repeat one already in use. Without a
  base seed (a model file without `seed:`), the plan says "random": the build
  draws one base seed and binds every derived seed from it (`bind_seeds`);
* an explicit seed written by the user is kept, and two random initializers
  with one explicit seed form a sharing group whatever their classes (Keras
  draws one stream from one seed; seeds are compared as Keras draws with them,
  `naming.keras_seed`). Derived seeds avoid every explicit seed of the model;
* an attention layer (`MultiHeadAttention`, `GroupQueryAttention`) copies its
  initializer into every projection; each projection gets its own seed,
  `derive_seed(slot_seed, "projection", i)` for query, key, value and output,
  shown by `explain` (`projection_seeds`) and given by `build`;
* the backward copy of a `Bidirectional` layer derives its seed from the
  explicit one (`derive_seed(explicit, "backward")`), so the two directions
  never draw one stream;
* a shared component is one instance: its slots form a sharing group;
* `allow:` entries suppress violations here, once, for every command.

Example::

    >>> from policyfactory.core.catalog import catalog
    >>> from policyfactory.core.policy import load_policy
    >>> p = Planner(load_policy("strict"), base_seed=None)
    >>> _ = p.plan_layer("dense", catalog().layer("Dense"), {})
    >>> [(s.slot.arg, s.class_name, s.seed, s.seed_source) for s in p.freeze().slots]
    [('kernel_initializer', 'GlorotUniform', None, 'derived'), ('bias_initializer', 'Zeros', None, 'none')]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cached_property
from typing import Any

from .backend import current_backend
from .catalog import LayerType, catalog
from .findings import Finding
from .layerinfo import ATTENTION_PROJECTIONS, ATTENTION_TYPES
from .naming import SeedBinder, derive_seed, keras_seed
from .policy import Policy
from .records import field, record, replace
from .resolve import ComponentUse
from .rules.sharing import ALLOW_NOT_PERMITTED, CORRELATED_WEIGHTS, SHARING_VIOLATION, UNUSED_ALLOW
from .sharing import Group, SharingLedger, SlotRef, Verdict
from .text import Suggester, shown


@record(frozen=True)
class PlannedShared:
    """A component declared to be shared: one instance for all its slots."""

    name: str
    kind: str
    class_name: str
    config: dict  # what the instance is built from (seed filled in when known)
    seed: int | None
    seed_source: str  # derived | explicit | none
    order: int


@record(frozen=True)
class PlannedSlot:
    """What one slot gets: class, config, seed and sharing group."""

    slot: SlotRef
    class_name: str
    config: dict  # what the component is built from (seed filled in when known)
    seed: int | None  # None: deterministic, or random until the build binds it (seed_source 'derived')
    seed_source: str  # derived | explicit | derived-from-explicit | shared | none
    shared: str | None
    group: str | None  # sharing-group key
    random: bool
    order: int
    seed_parts: tuple = ()  # what a derived seed is derived from
    projections: int = 0  # sublayers the layer copies this component into (attention: query, key, value, output)

    @property
    def projection_seeds(self) -> tuple[int, ...]:
        """The seed of each projection's copy, in the order the layer makes them (empty: not copied, or unbound)."""
        if not self.projections or not self.random or self.seed is None:
            return ()
        return tuple(derive_seed(self.seed, "projection", i) for i in range(self.projections))


@record(frozen=True)
class PlannedGroup:
    """A sharing group and the verdict on it (after `allow:` entries)."""

    key: str
    label: str
    kind: str
    class_name: str
    slots: tuple[SlotRef, ...]
    verdict: Verdict
    suppressed_by: str | None = None  # the reason of the allow entry that accepted a denied group

    @property
    def shared(self) -> bool:
        return len(self.slots) > 1

    @property
    def allowed(self) -> bool:
        return self.verdict.allowed or self.suppressed_by is not None

    def word(self) -> str:
        if self.verdict.allowed:
            return "allowed"
        return "suppressed" if self.suppressed_by is not None else "denied"

    def summary(self) -> str:
        """How an allowed or suppressed group is named in ok lines (validate, audit)."""
        return group_summary(self.label, len(self.slots), self.verdict, self.suppressed_by)


def group_summary(label: str, n_slots: int, verdict: Verdict, suppressed_by: str | None) -> str:
    """'shared 'he': 2 slots, allowed by rule 'x'' or '..., suppressed by allow (reason)': the one wording."""
    if verdict.allowed:
        return f"{label}: {n_slots} slots, allowed by {verdict.decided_by}"
    return f"{label}: {n_slots} slots, suppressed by allow ({suppressed_by})"


@record(frozen=True)
class Allow:
    """A deliberate suppression: a finding's rule (or the policy rule that decided), optional slots
    or weight paths, a reason."""

    rule: str
    slots: tuple[str, ...]
    reason: str
    file: str = ""
    line: int = 0
    column: int = 0
    weights: tuple[str, ...] = ()

    def covers(self, f: Finding) -> bool:
        """Whether this entry suppresses finding `f`: its rule, and every slot and weight it names."""
        if self.rule != f.rule and self.rule != f.data.get("rule_id"):
            return False
        if self.slots and not set(self.slots) <= set(f.data.get("slots", [])):
            return False
        return not (self.weights and not set(self.weights) <= set(f.data.get("weights", [])))

    def describe(self) -> str:
        """How a message names this entry: its rule, and the slots or weights it is limited to."""
        named = [f"slots {', '.join(shown(s) for s in self.slots)}"] if self.slots else []
        named += [f"weights {', '.join(shown(w) for w in self.weights)}"] if self.weights else []
        return f"allow for rule {shown(self.rule)}" + (f" and {' and '.join(named)}" if named else "")


@record(frozen=True)
class Plan:
    """The immutable plan of one model: every slot, every group, the verdict and its findings."""

    policy: Policy
    base_seed: int | None
    shared: tuple[PlannedShared, ...]
    slots: tuple[PlannedSlot, ...]
    groups: dict[str, PlannedGroup]
    findings: tuple[Finding, ...] = ()  # violations no allow suppressed, and unused allows
    suppressed: tuple[Finding, ...] = ()  # violations an allow suppressed
    reserved: tuple[int, ...] = ()  # the model's explicit seeds, which derived seeds avoid

    @property
    def seeds_known(self) -> bool:
        return self.base_seed is not None

    @cached_property
    def _by_layer(self) -> dict[str, list[PlannedSlot]]:
        index: dict[str, list[PlannedSlot]] = {}
        for s in self.slots:
            index.setdefault(s.slot.layer, []).append(s)
        return index

    def slots_of(self, layer: str) -> list[PlannedSlot]:
        return list(self._by_layer.get(layer, ()))

    def sharing_groups(self) -> list[PlannedGroup]:
        """Groups of two or more slots, in the order they were formed."""
        return [g for g in self.groups.values() if g.shared]

    def group_of(self, s: PlannedSlot) -> PlannedGroup | None:
        g = self.groups.get(s.group) if s.group else None
        return g if g is not None and g.shared else None

    def rows(self) -> list[dict[str, Any]]:
        """Every slot as a plain row (explain's JSON, graph, `LayerFactory.report`)."""
        out = []
        for s in self.slots:
            g = self.group_of(s)
            out.append({
                "layer": s.slot.layer,
                "layer_type": s.slot.layer_type,
                "arg": s.slot.arg,
                "kind": s.slot.kind,
                "role": s.slot.role,
                "class_name": s.class_name,
                "config": dict(s.config),
                "seed": s.seed,
                "seed_source": s.seed_source,
                "projection_seeds": list(s.projection_seeds),
                "random": s.random,
                "group": g.label if g else None,
                "group_size": len(g.slots) if g else 1,
                "verdict": g.word() if g else "fresh",
                "decided_by": g.verdict.decided_by if g else None,
            })
        return out

    def bind_seeds(self, base: int) -> Plan:
        """The same plan with every derived seed bound from `base` (the build of a file without `seed:`).

        Replays the planner's seed requests in their order, so a plan made with
        base `b` and a plan made without one, then bound to `b`, are identical.
        """
        if self.base_seed is not None:
            return self
        binder = SeedBinder(base, self.reserved)
        events: list[Any] = sorted([*self.shared, *self.slots], key=lambda e: e.order)
        shared_seeds: dict[str, int | None] = {}
        new_shared, new_slots = [], []
        for e in events:
            if isinstance(e, PlannedShared):
                seed = _bind(binder, e.seed_source, e.seed, ("shared", e.name))
                shared_seeds[e.name] = seed
                new_shared.append(_with_seed(e, seed))
            elif e.seed_source == "shared":
                new_slots.append(_with_seed(e, shared_seeds.get(e.shared or "")))
            else:
                new_slots.append(_with_seed(e, _bind(binder, e.seed_source, e.seed, e.seed_parts)))
        new_shared.sort(key=lambda e: e.order)
        new_slots.sort(key=lambda e: e.order)
        return replace(self, base_seed=base, shared=tuple(new_shared), slots=tuple(new_slots))


def _bind(binder: SeedBinder, source: str, seed: int | None, parts: tuple) -> int | None:
    if source in ("explicit", "derived-from-explicit") and seed is not None:
        return binder.explicit(seed)
    if source == "derived":
        return binder.derived(*parts)
    return seed


def _with_seed(e: Any, seed: int | None) -> Any:
    if seed is None or e.seed == seed:
        return e
    return replace(e, seed=seed, config={**e.config, "seed": seed})


def group_key(kind: str, class_name: str, config: dict, shared: str | None) -> str | None:
    """The sharing-group key of a component use, or None when it is fresh.

    Random initializers with one explicit seed that draw from one distribution
    draw one stream, whatever their classes (`GlorotUniform(seed=1)` and
    `HeUniform(seed=1)` are the same values scaled; `HeNormal(seed=1)` draws
    another on TensorFlow and PyTorch, the same bits transformed on JAX) and
    whether they are one shared instance or several copies; seeds are compared
    as Keras draws with them on the backend checked for (`core/backend.py`:
    TensorFlow casts them modulo 2**31 - 2, JAX and PyTorch take the seeds a
    file may write, 0 to 2**31 - 1, as they are). Otherwise a shared declaration is its
    own group, and everything else is fresh per slot.

        >>> group_key("initializer", "HeUniform", {"seed": 2147483647}, None) == group_key(
        ...     "initializer", "GlorotUniform", {"seed": 1}, None)
        True
    """
    seed = config.get("seed") if kind == "initializer" else None
    if isinstance(seed, int) and not isinstance(seed, bool):
        family, drawn = stream_family(class_name, config), keras_seed(seed)
        backend = current_backend().name
        if backend == "jax" and family in _JAX_ONE_STREAM:
            family = "jax-bits"  # uniform, normal and truncated normal of one seed: one stream on JAX (r > 0.99)
        if backend != "tensorflow":  # the cast modulo 2**31 - 2 is TensorFlow's; JAX and PyTorch draw with the seed
            drawn = int(seed)
        return f"seed:{family}:{drawn}"
    if shared is not None:
        return f"shared:{shared}"
    return None


# What each random initializer draws: classes of one family draw the same values from one seed, scaled.
_FAMILIES = {"GlorotUniform": "uniform", "HeUniform": "uniform", "LecunUniform": "uniform", "RandomUniform": "uniform",
             "GlorotNormal": "truncated_normal", "HeNormal": "truncated_normal", "LecunNormal": "truncated_normal",
             "TruncatedNormal": "truncated_normal", "RandomNormal": "normal"}
# On JAX the three distributions are transforms of one draw of random bits: one seed gives correlated kernels
# (measured with Keras 3.15.1, jax 0.10.2: |r| 0.991 uniform/normal, 0.996 normal/truncated normal).
_JAX_ONE_STREAM = {"uniform", "normal", "truncated_normal"}
_VARIANCE_SCALING = {"uniform": "uniform", "truncated_normal": "truncated_normal", "normal": "truncated_normal",
                     "untruncated_normal": "normal"}


def stream_family(class_name: str, config: dict) -> str:
    """The distribution a random initializer draws from (its class name where no family is known).

        >>> stream_family("HeUniform", {}), stream_family("VarianceScaling", {"distribution": "uniform"})
        ('uniform', 'uniform')
    """
    if class_name == "VarianceScaling":
        return _VARIANCE_SCALING.get(str(config.get("distribution", "truncated_normal")), class_name)
    return _FAMILIES.get(class_name, class_name)


def group_label(class_name: str, config: dict, shared: str | None) -> str:
    seed = config.get("seed")
    parts = []
    if shared is not None:
        parts.append(f"shared {shown(shared)}")
    if isinstance(seed, int) and not isinstance(seed, bool):
        parts.append(f"{class_name}(seed={seed})")
    return " = ".join(parts) or class_name


@record
class Planner:
    """Grows a plan slot by slot (the model-file checker and the `LayerFactory` both feed it)."""

    policy: Policy
    base_seed: int | None
    reserved: tuple[int, ...] = ()  # every explicit seed of the model, known before planning (derived seeds avoid them)
    ledger: SharingLedger = field(init=False)
    binder: SeedBinder = field(init=False)
    slots: list[PlannedSlot] = field(default_factory=list)
    shared: dict[str, PlannedShared] = field(default_factory=dict)
    _order: int = 0

    def __post_init__(self) -> None:
        self.ledger = SharingLedger(self.policy)
        self.binder = SeedBinder(self.base_seed, self.reserved)

    def _next(self) -> int:
        self._order += 1
        return self._order

    # -- shared declarations ---------------------------------------------------------
    def declare_shared(self, name: str, kind: str, class_name: str, config: dict) -> PlannedShared:
        """Plan a shared instance: a random initializer without a seed gets one derived from its name."""
        ct = catalog().component(kind, class_name)
        config = dict(config)
        explicit = config.get("seed")
        seed: int | None
        if isinstance(explicit, int) and not isinstance(explicit, bool):
            seed, source = self.binder.explicit(explicit), "explicit"
        elif ct is not None and ct.random:
            seed, source = self.binder.derived("shared", name), "derived"
            if seed is not None:
                config["seed"] = seed
        else:
            seed, source = None, "none"
        planned = PlannedShared(name, kind, class_name, config, seed, source, self._next())
        self.shared[name] = planned
        return planned

    # -- slots ---------------------------------------------------------------------
    def plan_layer(self, layer_name: str, lt: LayerType, uses: dict[str, ComponentUse], *, owner: str = "",
                   backward: bool = False, where: tuple[str, int, int] = ("", 0, 0)
                   ) -> tuple[list[PlannedSlot], Group | None]:
        """Plan every slot of one layer; return the planned slots and the first group it makes denied (or None).

        The slots are recorded, and the ledger joined, even when a group is
        denied: the factory rolls back with `mark`/`rollback`, the file checker
        keeps going to report every group. `where` locates slots that were not
        written (Keras defaults): the layer's file, line and column.
        """
        out: list[PlannedSlot] = []
        denied: Group | None = None
        for arg, slot in lt.slots.items():
            use = uses.get(arg)
            file, line, col = (use.file, use.line, use.column) if use else where
            ref = SlotRef(layer_name, lt.name, arg, slot.kind, slot.role, owner, file, line, col)
            planned = self._plan_slot(ref, slot.default, use, backward)
            if planned is None:
                continue
            if lt.name in ATTENTION_TYPES:
                planned = replace(planned, projections=ATTENTION_PROJECTIONS)
            out.append(planned)
            if planned.group is not None and use is not None:
                g = self.ledger.join(planned.group, slot.kind, use.class_name, ref,
                                     group_label(use.class_name, use.config, use.shared))
                if not g.verdict.allowed and denied is None:
                    denied = g
        self.slots.extend(out)
        return out, denied

    def _plan_slot(self, ref: SlotRef, default: str | None, use: ComponentUse | None,
                   backward: bool) -> PlannedSlot | None:
        cat = catalog()
        if use is None:
            ct = cat.component(ref.kind, default) if default else None
            if ct is None:
                return None
            if ct.random:
                seed = self.binder.derived(ref.layer, ref.arg)
                config = {"seed": seed} if seed is not None else {}
                return PlannedSlot(ref, ct.name, config, seed, "derived", None, None, True, self._next(),
                                   (ref.layer, ref.arg))
            return PlannedSlot(ref, ct.name, {}, None, "none", None, None, False, self._next())
        ct = cat.component(ref.kind, use.class_name)
        random = bool(ct and ct.random)
        if use.shared is not None:
            decl = self.shared.get(use.shared)
            config = dict(decl.config) if decl else dict(use.config)
            key = group_key(ref.kind, use.class_name, use.config, use.shared)
            return PlannedSlot(ref, use.class_name, config, decl.seed if decl else config.get("seed"), "shared",
                               use.shared, key, random, self._next())
        config = dict(use.config)
        explicit = config.get("seed") if ref.kind == "initializer" else None
        if isinstance(explicit, int) and not isinstance(explicit, bool):
            if backward:
                seed = self.binder.explicit(derive_seed(explicit, "backward"))
                config["seed"] = seed
                return PlannedSlot(ref, use.class_name, config, seed, "derived-from-explicit", None, None, random,
                                   self._next())
            self.binder.explicit(explicit)
            return PlannedSlot(ref, use.class_name, config, explicit, "explicit", None,
                               group_key(ref.kind, use.class_name, config, None), random, self._next())
        if random:
            seed = self.binder.derived(ref.layer, ref.arg)
            if seed is not None:
                config["seed"] = seed
            return PlannedSlot(ref, use.class_name, config, seed, "derived", None, None, True, self._next(),
                               (ref.layer, ref.arg))
        return PlannedSlot(ref, use.class_name, config, None, "none", None, None, False, self._next())

    def plan_source_slot(self, ref: SlotRef, class_name: str, config: dict, key: str, label: str) -> PlannedSlot:
        """One slot read from Python source (`pycheck`): what reaches it is already made, so nothing is
        derived; `key` is its group (one object, or one explicit seed), judged like any other."""
        ct = catalog().component(ref.kind, class_name)
        seed = config.get("seed")
        planned = PlannedSlot(ref, class_name, dict(config), seed, "explicit" if seed is not None else "none", None,
                              key, bool(ct and ct.random), self._next())
        self.slots.append(planned)
        self.ledger.join(key, ref.kind, class_name, ref, label)
        return planned

    # -- transactions (the factory refuses a layer without keeping its slots) --------
    def mark(self) -> tuple[int, dict[str, int], set, int]:
        return (len(self.slots), {k: len(g.slots) for k, g in self.ledger.groups.items()},
                set(self.binder.used), self._order)

    def rollback(self, mark: tuple[int, dict[str, int], set, int]) -> None:
        n_slots, sizes, seeds, order = mark
        del self.slots[n_slots:]
        self.binder.used = seeds
        self._order = order
        for key in list(self.ledger.groups):
            if key not in sizes:
                del self.ledger.groups[key]
            else:
                self.ledger.truncate(key, sizes[key])

    # -- the result ----------------------------------------------------------------
    def freeze(self, allows: Sequence[Allow] = ()) -> Plan:
        """The immutable plan, with `allows` applied to the violations."""
        violations = self.ledger.violations()
        if allows and not self.policy.allow_suppressions:
            refused = [Finding(a.file or "<python>", a.line or 1, a.column or 1, ALLOW_NOT_PERMITTED,
                               f"policy {shown(self.policy.name)} forbids allow: entries (allow_suppressions: false), "
                               f"so this one (rule {shown(a.rule)}) is not applied") for a in allows]
            kept, suppressed, reasons = violations + refused, list[Finding](), dict[str, str]()
        else:
            rules = Suggester([SHARING_VIOLATION, CORRELATED_WEIGHTS] + [r.id for r in self.policy.rules])
            applied = apply_allows(violations, allows, rules, {s.slot.label() for s in self.slots})
            kept, suppressed, reasons = applied.kept, applied.suppressed, applied.reasons
        groups = {}
        for key, g in self.ledger.groups.items():
            groups[key] = PlannedGroup(key, g.label, g.kind, g.class_name, tuple(g.slots), g.verdict,
                                       reasons.get(key))
        return Plan(self.policy, self.base_seed, tuple(sorted(self.shared.values(), key=lambda s: s.order)),
                    tuple(self.slots), groups, tuple(kept), tuple(suppressed), self.reserved)


def match_allows(findings: Sequence[Finding], allows: Sequence[Allow]) -> tuple[list[int | None], list[bool]]:
    """(for each finding, the first allow entry that covers it or None; for each entry, whether it covers any).

    Linear in findings, allows and the names they hold: entries are indexed by rule and by the
    first slot or weight they name, so a finding looks up only the entries that name one of its
    own slots or weights (`Allow.covers` against every entry cost allows x slots).
    """
    by_name: dict[tuple[str, str, str], list[int]] = {}  # (rule, "slots"/"weights", first name) -> entries
    by_rule: dict[str, list[int]] = {}  # entries that name no slot and no weight
    for i, a in enumerate(allows):
        if a.slots:
            by_name.setdefault((a.rule, "slots", a.slots[0]), []).append(i)
        elif a.weights:
            by_name.setdefault((a.rule, "weights", a.weights[0]), []).append(i)
        else:
            by_rule.setdefault(a.rule, []).append(i)
    first: list[int | None] = []
    used = [False] * len(allows)
    rules_seen: set[str] = set()
    for f in findings:
        rules = {f.rule} | ({f.data["rule_id"]} if isinstance(f.data.get("rule_id"), str) else set())
        slots, weights = set(f.data.get("slots", ())), set(f.data.get("weights", ()))
        hits = [i for rule in rules for i in by_rule.get(rule, ())]
        rules_seen |= rules
        for kind, names in (("slots", slots), ("weights", weights)):
            for rule in rules:
                for name in names:
                    for i in by_name.get((rule, kind, name), ()):
                        a = allows[i]
                        if set(a.slots) <= slots and set(a.weights) <= weights:
                            hits.append(i)
                            used[i] = True
        first.append(min(hits) if hits else None)
    for rule in rules_seen:  # an entry that names only a rule covers every finding of it
        for i in by_rule.get(rule, ()):
            used[i] = True
    return first, used


@record
class Allowed:
    """What applying allow entries to findings gave: every caller reads it, nothing is matched twice."""

    kept: list[Finding]  # findings no entry covers (and, when asked, the unused-allow warnings)
    suppressed: list[Finding]
    reasons: dict[str, str]  # sharing-group key -> the reason of the entry that suppressed it
    used: list[bool]  # per entry: whether it covered a finding


def apply_allows(findings: Iterable[Finding], allows: Sequence[Allow], known_rules: Suggester | None = None,
                 known_slots: set[str] | None = None, report_unused: bool = True) -> Allowed:
    """Drop the findings an allow entry covers; entries that cover nothing are warnings (`report_unused`)."""
    findings = list(findings)
    kept: list[Finding] = []
    suppressed: list[Finding] = []
    reasons: dict[str, str] = {}
    first, used = match_allows(findings, allows)
    for f, hit in zip(findings, first):
        if hit is None:
            kept.append(f)
        else:
            suppressed.append(f)
            if "group_key" in f.data:
                reasons[f.data["group_key"]] = allows[hit].reason
    if report_unused:
        unused = [a for a, was_used in zip(allows, used) if not was_used]
        slots = Suggester(known_slots) if unused and known_slots is not None else None  # one for all entries
        kept += [unused_allow(a, known_rules, known_slots, slots) for a in unused]
    return Allowed(kept, suppressed, reasons, used)


def unused_allow(a: Allow, known_rules: Suggester | None = None, known_slots: set[str] | None = None,
                 slot_suggester: Suggester | None = None) -> Finding:
    """The warning for an allow entry that suppressed nothing, with what is wrong with it when we can tell.
    (`slot_suggester`: did-you-mean over `known_slots`, built once for many entries.)"""
    return Finding(a.file or "<python>", a.line or 1, a.column or 1, UNUSED_ALLOW,
                   f"{a.describe()} suppresses nothing" + _why_unused(a, known_rules, known_slots, slot_suggester))


def _why_unused(a: Allow, known_rules: Suggester | None, known_slots: set[str] | None,
                slot_suggester: Suggester | None = None) -> str:
    """What is wrong with an allow entry that matched nothing: a misspelt rule id or slot, with did-you-mean."""
    if known_rules is not None and not known_rules.knows(a.rule):
        return f": no finding or policy rule is called {shown(a.rule)}{known_rules.suggest(a.rule)}"
    missing = [s for s in a.slots if known_slots is not None and s not in known_slots]
    if missing:
        return (f": this model has no slot {shown(missing[0])}"
                f"{(slot_suggester or Suggester(known_slots or ())).suggest(missing[0])} (slots are LAYER.ARGUMENT)")
    return ": remove it, or correct its rule, slots or weights"
