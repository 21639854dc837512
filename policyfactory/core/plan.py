"""What every slot gets: component class, config, seed and sharing group.

Why one planner: `validate`/`explain` (from a model file, without Keras) and
the `LayerFactory` (while building) must agree on every slot's class, seed and
sharing group. Both describe each layer's slots as `ComponentUse`s and ask the
`Planner`; the factory then only instantiates what the plan says.

Rules (README, "Seeds"):

* a fresh random initializer gets a seed derived from the base seed, the layer
  name and the slot; derived seeds never repeat one already in use;
* an explicit seed written by the user is kept, and two slots with the same
  class and explicit seed form a sharing group;
* the backward copy of a `Bidirectional` layer derives its seed from the
  explicit one (`derive_seed(explicit, "backward")`), so the two directions
  never draw one stream;
* a shared component is one instance: its slots form a sharing group.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .catalog import LayerType, catalog
from .naming import derive_seed
from .policy import Policy
from .sharing import Group, SharingLedger, SlotRef


@dataclass(frozen=True)
class ComponentUse:
    """A component given to one slot."""

    class_name: str  # canonical catalog name
    config: dict  # as the user wrote it (explicit seed included)
    shared: str | None = None  # name of the shared declaration, if any
    file: str = ""
    line: int = 0
    column: int = 0


@dataclass
class SlotPlan:
    slot: SlotRef
    class_name: str | None  # None: no component in this slot
    config: dict[str, Any]  # what the component is built from (seed filled in)
    seed: int | None
    seed_source: str  # derived | explicit | derived-from-explicit | shared | none
    shared: str | None
    group_key: str | None
    random: bool = False

    def row(self, ledger: SharingLedger) -> dict[str, Any]:
        g = ledger.groups.get(self.group_key) if self.group_key else None
        return {
            "layer": self.slot.layer,
            "layer_type": self.slot.layer_type,
            "arg": self.slot.arg,
            "kind": self.slot.kind,
            "role": self.slot.role,
            "class_name": self.class_name,
            "config": dict(self.config),
            "seed": self.seed,
            "seed_source": self.seed_source,
            "group": g.label if g is not None and len(g.slots) > 1 else None,
            "group_size": len(g.slots) if g is not None else 1,
            "verdict": g.verdict.word() if g is not None and len(g.slots) > 1 else "fresh",
            "decided_by": g.verdict.decided_by if g is not None and len(g.slots) > 1 else None,
        }


def group_key(kind: str, class_name: str, config: dict, shared: str | None) -> str | None:
    """The sharing-group key of a component use, or None when it is fresh.

    One initializer class with one explicit seed draws one stream, whether it is
    one shared instance or several copies; otherwise a shared declaration is its
    own group, and everything else is fresh per slot.
    """
    seed = config.get("seed") if kind == "initializer" else None
    if isinstance(seed, int) and not isinstance(seed, bool):
        return f"seed:{class_name}:{seed}"
    if shared is not None:
        return f"shared:{shared}"
    return None


def group_label(class_name: str, config: dict, shared: str | None) -> str:
    seed = config.get("seed")
    parts = []
    if shared is not None:
        parts.append(f"shared '{shared}'")
    if isinstance(seed, int) and not isinstance(seed, bool):
        parts.append(f"{class_name}(seed={seed})")
    return " = ".join(parts) or class_name


@dataclass
class Planner:
    policy: Policy
    base_seed: int
    ledger: SharingLedger = field(init=False)
    plans: list[SlotPlan] = field(default_factory=list)
    used_seeds: set = field(default_factory=set)

    def __post_init__(self):
        self.ledger = SharingLedger(self.policy)

    # -- seeds -------------------------------------------------------------------
    def fresh_seed(self, *parts: object) -> int:
        """A derived seed not yet used by any slot of this build."""
        seed = derive_seed(self.base_seed, *parts)
        attempt = 0
        while seed in self.used_seeds:
            attempt += 1
            seed = derive_seed(self.base_seed, *parts, attempt)
        self.used_seeds.add(seed)
        return seed

    def shared_config(self, name: str, kind: str, class_name: str, config: dict) -> dict:
        """Config of a shared instance: a random initializer without a seed gets one derived from its name."""
        ct = catalog().component(kind, class_name)
        config = dict(config)
        if ct is not None and ct.random and config.get("seed") is None:
            config["seed"] = self.fresh_seed("shared", name)
        elif isinstance(config.get("seed"), int):
            self.used_seeds.add(config["seed"])
        return config

    # -- slots -------------------------------------------------------------------
    def plan_layer(self, layer_name: str, lt: LayerType, uses: dict[str, ComponentUse], *,
                   owner: str = "", shared_configs: dict[str, dict] | None = None,
                   backward: bool = False) -> tuple[list[SlotPlan], Group | None]:
        """Plan every slot of one layer; return the plans and the first group it makes denied (or None).

        The plans are recorded, and the ledger joined, even when a group is
        denied: the factory rolls back with `mark`/`rollback`, `validate` keeps
        going to report every group.
        """
        cat = catalog()
        out: list[SlotPlan] = []
        denied: Group | None = None
        for arg, slot in lt.slots.items():
            use = uses.get(arg)
            ref = SlotRef(layer_name, lt.name, arg, slot.kind, slot.role, owner,
                          use.file if use else "", use.line if use else 0, use.column if use else 0)
            if use is None:
                default = cat.component(slot.kind, slot.default) if slot.default else None
                if default is None:
                    continue
                if default.random:
                    seed = self.fresh_seed(layer_name, arg)
                    out.append(SlotPlan(ref, default.name, {"seed": seed}, seed, "derived", None, None, True))
                else:
                    out.append(SlotPlan(ref, default.name, {}, None, "none", None, None, False))
                continue
            ct = cat.component(slot.kind, use.class_name)
            random = bool(ct and ct.random)
            if use.shared is not None:
                config = (shared_configs or {}).get(use.shared, use.config)
                key = group_key(slot.kind, use.class_name, use.config, use.shared)
                plan = SlotPlan(ref, use.class_name, dict(config), config.get("seed"), "shared", use.shared, key, random)
            else:
                config = dict(use.config)
                explicit = config.get("seed") if slot.kind == "initializer" else None
                key = None
                if isinstance(explicit, int) and not isinstance(explicit, bool):
                    if backward:
                        config["seed"] = derive_seed(explicit, "backward")
                        self.used_seeds.add(config["seed"])
                        source = "derived-from-explicit"
                    else:
                        self.used_seeds.add(explicit)
                        key = group_key(slot.kind, use.class_name, config, None)
                        source = "explicit"
                elif random:
                    config["seed"] = self.fresh_seed(layer_name, arg)
                    source = "derived"
                else:
                    source = "none"
                plan = SlotPlan(ref, use.class_name, config, config.get("seed"), source, None, key, random)
            out.append(plan)
            if plan.group_key is not None:
                g = self.ledger.join(plan.group_key, slot.kind, use.class_name, ref,
                                     group_label(use.class_name, use.config, use.shared))
                if not g.verdict.allowed and denied is None:
                    denied = g
        self.plans.extend(out)
        return out, denied

    # -- transactions (the factory refuses a layer without keeping its slots) -----
    def mark(self) -> tuple[int, dict[str, int], set]:
        return (len(self.plans), {k: len(g.slots) for k, g in self.ledger.groups.items()}, set(self.used_seeds))

    def rollback(self, mark) -> None:
        n_plans, sizes, seeds = mark
        del self.plans[n_plans:]
        self.used_seeds = seeds
        for key in list(self.ledger.groups):
            if key not in sizes:
                del self.ledger.groups[key]
            else:
                self.ledger.truncate(key, sizes[key])

    def report(self) -> list[dict[str, Any]]:
        return [p.row(self.ledger) for p in self.plans]
