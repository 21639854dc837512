"""`LayerFactory`: every slot gets a fresh component with its own seed, unless a policy allows sharing.

Why: in Keras 3 one initializer object passed to two layers (or two roles of
one layer) gives identical or perfectly correlated weights, and so do two
initializers with one explicit seed, and `Bidirectional`/`MultiHeadAttention`
copy a seeded initializer into several weights. The factory plans every slot
with the core `Planner` (the same one `validate` uses), builds fresh
components from that plan, and keeps one instance only for components
declared with `factory.shared(...)` where the policy allows it.

Example::

    >>> import keras, policyfactory as pf
    >>> f = pf.LayerFactory("recurrent", seed=1)
    >>> norm = f.shared("unit_norm", keras.constraints.UnitNorm())
    >>> a = f.LSTM(8, kernel_constraint=norm, recurrent_constraint=norm)
    >>> a.cell.kernel_constraint is a.cell.recurrent_constraint
    True
    >>> d1, d2 = f.Dense(4, kernel_initializer="he_normal"), f.Dense(4, kernel_initializer="he_normal")
    >>> d1.kernel_initializer.seed != d2.kernel_initializer.seed
    True
"""

from __future__ import annotations

import secrets
import types
from dataclasses import dataclass, field
from typing import Any

import keras

from ..core.catalog import LayerType, article, catalog, did_you_mean
from ..core.findings import Finding, InvalidInput, PolicyViolation
from ..core.naming import Namer, derive_seed
from ..core.plan import ComponentUse, Planner, SlotPlan
from ..core.policy import Policy, load_policy
from .components import instantiate, use_from_value
from .introspect import slot_holder

ATTENTION_TYPES = ("MultiHeadAttention", "GroupQueryAttention")


@dataclass
class SharedComponent:
    """A handle to a component meant to be shared; pass it as a layer argument.

    Made by `LayerFactory.shared(name, component)`. Every slot it is passed to
    receives the same instance, and joins one sharing group that the policy judges.
    """

    name: str
    kind: str
    class_name: str
    user_config: dict
    config: dict
    instance: Any
    factory_id: int

    def __repr__(self) -> str:
        return f"<SharedComponent {self.name!r}: {self.kind} {self.class_name}>"


@dataclass
class _Made:
    """How the factory made a layer, so that a wrapper can rebuild it (Bidirectional)."""

    type_name: str
    name: str
    kwargs: dict[str, Any]
    handles: dict[str, SharedComponent] = field(default_factory=dict)
    sublayers: dict[str, Any] = field(default_factory=dict)


class LayerFactory:
    """Builds Keras 3 layers whose components obey a sharing policy.

    `policy`: a built-in name (`strict`, `recurrent`, `stateless`), a YAML path
    or a `Policy`; default `strict`. `seed`: derive every fresh initializer's
    seed from it (same seed and names, bit-identical weights in any process);
    without it, slots still get distinct seeds.

        >>> f = LayerFactory(seed=7)
        >>> layer = f.layer("Dense", 16, kernel_initializer="glorot_uniform")
        >>> layer.name
        'dense'
    """

    def __init__(self, policy: "str | Policy | None" = None, *, seed: int | None = None):
        self.policy = load_policy(policy if policy is not None else "strict")
        self.seed = seed
        base = seed if seed is not None else secrets.randbits(62)
        self.planner = Planner(self.policy, base)
        self.namer = Namer()
        self._shared: dict[str, SharedComponent] = {}
        self._made: dict[int, _Made] = {}

    # -- public API ----------------------------------------------------------------
    def shared(self, name: str, component: Any, kind: str | None = None) -> SharedComponent:
        """Declare a component meant to be shared and return its handle.

        `component` is a Keras object, an identifier string or a config dict;
        `kind` is needed only for a string or dict that names no class of a
        single kind.
        """
        if name in self._shared:
            raise InvalidInput(Finding("<python>", 1, 1, "shared-duplicate", f"shared component '{name}' is already declared"))
        kinds = [kind] if kind else self._kinds_of(component)
        if len(kinds) != 1:
            raise InvalidInput(Finding("<python>", 1, 1, "component-value",
                                       f"cannot tell the kind of shared '{name}': pass kind='initializer'|'regularizer'|'constraint'"))
        kind = kinds[0]
        use = use_from_value(kind, component)
        config = self.planner.shared_config(name, kind, use.class_name, use.config)
        instance = instantiate(kind, use.class_name, config)
        handle = SharedComponent(name, kind, use.class_name, use.config, config, instance, id(self))
        self._shared[name] = handle
        return handle

    def layer(self, type_name: str, *args: Any, **kwargs: Any):
        """A Keras layer of any catalog type, with Keras's own arguments."""
        lt = self._layer_type(type_name)
        kwargs = self._bind_positional(lt, args, kwargs)
        name = kwargs.pop("name", None)
        if name is None:
            name = self.namer.next(lt.name)
        elif not isinstance(name, str) or name in self.namer.used:
            raise InvalidInput(Finding("<python>", 1, 1, "duplicate-layer-name", f"layer name {name!r} is already used"))
        mark = self.planner.mark()
        try:
            layer = self._make(lt, name, kwargs, owner="")
        except BaseException:
            self.planner.rollback(mark)
            raise
        self.namer.take(name)
        return layer

    def report(self) -> list[dict[str, Any]]:
        """Every slot: its component class and config, its seed, and its sharing group with the verdict."""
        return self.planner.report()

    def __getattr__(self, name: str):
        """`factory.Dense(64)` is `factory.layer("Dense", 64)` for every catalog type."""
        if name.startswith("_"):
            raise AttributeError(name)
        if catalog().layer(name) is None:
            raise AttributeError(f"'LayerFactory' has no attribute {name!r}"
                                 f"{did_you_mean(name, catalog().layer_names())}")
        return lambda *a, **k: self.layer(name, *a, **k)

    # -- internals -------------------------------------------------------------------
    @staticmethod
    def _kinds_of(component: Any) -> list[str]:
        cat = catalog()
        if isinstance(component, str):
            return [k for k in ("initializer", "regularizer", "constraint") if cat.component(k, component)]
        if isinstance(component, dict):
            name = component.get("class_name")
            return [k for k in ("initializer", "regularizer", "constraint") if cat.component(k, name)]
        for kind, base in (("initializer", keras.initializers.Initializer),
                           ("regularizer", keras.regularizers.Regularizer),
                           ("constraint", keras.constraints.Constraint)):
            if isinstance(component, base):
                return [kind]
        return []

    @staticmethod
    def _layer_type(type_name: str) -> LayerType:
        cat = catalog()
        lt = cat.layer(type_name)
        if lt is None:
            if type_name in cat.excluded_layers:
                raise InvalidInput(Finding("<python>", 1, 1, "layer-not-allowed",
                                           f"layer type '{type_name}' is not allowed: {cat.excluded_layers[type_name]}"))
            raise InvalidInput(Finding("<python>", 1, 1, "unknown-layer-type",
                                       f"unknown layer type '{type_name}'{did_you_mean(type_name, cat.layer_names())}"))
        return lt

    @staticmethod
    def _bind_positional(lt: LayerType, args: tuple, kwargs: dict) -> dict:
        kwargs = dict(kwargs)
        if args:
            order = [p for p in lt.params if p not in ("activity_regularizer", "trainable", "dtype", "autocast",
                                                       "name", "input_shape", "input_dim")]
            if len(args) > len(order):
                raise TypeError(f"{lt.name} takes at most {len(order)} positional arguments")
            for pname, value in zip(order, args):
                if pname in kwargs:
                    raise TypeError(f"{lt.name} got multiple values for argument '{pname}'")
                kwargs[pname] = value
        return kwargs

    def _uses(self, lt: LayerType, kwargs: dict) -> tuple[dict[str, ComponentUse], dict[str, SharedComponent]]:
        uses: dict[str, ComponentUse] = {}
        handles: dict[str, SharedComponent] = {}
        for arg, slot in lt.slots.items():
            value = kwargs.get(arg)
            if value is None:
                continue
            if isinstance(value, SharedComponent):
                if value.factory_id != id(self):
                    raise InvalidInput(Finding("<python>", 1, 1, "shared-unknown",
                                               f"shared '{value.name}' was declared by another LayerFactory"))
                if value.kind != slot.kind:
                    raise InvalidInput(Finding("<python>", 1, 1, "shared-wrong-kind",
                                               f"shared '{value.name}' is {article(value.kind)}, but {arg} takes {article(slot.kind)}"))
                handles[arg] = value
                uses[arg] = ComponentUse(value.class_name, value.user_config, value.name)
            else:
                uses[arg] = use_from_value(slot.kind, value)
        return uses, handles

    def _make(self, lt: LayerType, name: str, kwargs: dict, owner: str, backward: bool = False):
        """Plan the slots of one layer, refuse it if the policy says so, else build it."""
        original = dict(kwargs)
        uses, handles = self._uses(lt, kwargs)
        for arg in lt.layer_params:
            if arg in kwargs and kwargs[arg] is not None:
                for sub in (kwargs[arg] if isinstance(kwargs[arg], list) else [kwargs[arg]]):
                    if not isinstance(sub, keras.layers.Layer):
                        raise InvalidInput(Finding("<python>", 1, 1, "schema-type",
                                                   f"{lt.name} argument '{arg}' takes a layer made by this factory"))
        plans, denied = self.planner.plan_layer(name, lt, uses, owner=owner or name,
                                                shared_configs={h.name: h.config for h in handles.values()},
                                                backward=backward)
        if denied is not None:
            finding = self.planner.ledger.violation(denied)
            raise PolicyViolation([finding], f"layer '{name}' would join a sharing group "
                                             f"that policy '{self.policy.name}' denies:")
        for plan in plans:
            kwargs[plan.slot.arg] = self._component_for(plan, handles)

        backward_layer = None
        if lt.name == "Bidirectional" and kwargs.get("layer") is not None and kwargs.get("backward_layer") is None:
            backward_layer = self._rebuild_backward(kwargs["layer"], owner or name)
            kwargs["backward_layer"] = backward_layer

        cls = lt.cls if lt.cls is not None else getattr(keras.layers, lt.name)
        layer = cls(name=name, **kwargs)

        if backward_layer is not None:
            self._rebind(layer.forward_layer, kwargs["layer"])
        if lt.name in ATTENTION_TYPES:
            self._fresh_projections(layer, plans)
        self._made[id(layer)] = _Made(lt.name, name, original, handles,
                                      {a: kwargs[a] for a in lt.layer_params if kwargs.get(a) is not None})
        return layer

    def _component_for(self, plan: SlotPlan, handles: dict[str, SharedComponent]):
        handle = handles.get(plan.slot.arg)
        if handle is not None:
            return handle.instance
        return instantiate(plan.slot.kind, plan.class_name, plan.config)

    def _rebuild_backward(self, inner, owner: str):
        """Build the backward copy of a wrapped recurrent layer through the planner.

        Keras would copy the forward layer's config, seeds included, so both
        directions would draw one stream; here fresh slots get their own seeds,
        explicit seeds are re-derived, and shared handles stay shared.
        """
        made = self._made.get(id(inner))
        if made is None:
            raise InvalidInput(Finding("<python>", 1, 1, "wrapper-layer",
                                       "Bidirectional needs a layer made by this factory (so that its backward "
                                       "copy gets its own seeds), or an explicit backward_layer="))
        return self._rebuild(made, owner, "backward_", {"go_backwards": not made.kwargs.get("go_backwards", False)})

    def _rebuild(self, made: _Made, owner: str, prefix: str, overrides: dict):
        kwargs = dict(made.kwargs)
        kwargs.update(overrides)
        for arg, sub in made.sublayers.items():
            subs = sub if isinstance(sub, list) else [sub]
            rebuilt = [self._rebuild(self._made[id(s)], owner, prefix, {}) for s in subs]
            kwargs[arg] = rebuilt if isinstance(sub, list) else rebuilt[0]
        lt = self._layer_type(made.type_name)
        return self._make(lt, prefix + made.name, kwargs, owner, backward=True)

    def _rebind(self, copy, original) -> None:
        """Put shared instances back into a Keras-made copy of a layer (Bidirectional's forward layer)."""
        made = self._made.get(id(original))
        if made is None:
            return
        for arg, handle in made.handles.items():
            holder, attr = slot_holder(copy, arg)
            if holder is not None:
                setattr(holder, attr, handle.instance)
        for arg, sub in made.sublayers.items():
            copies = getattr(copy, arg, None)
            if isinstance(sub, list) and isinstance(copies, (list, tuple)):
                for c, s in zip(copies, sub):
                    self._rebind(c, s)
            elif copies is not None and not isinstance(sub, list):
                self._rebind(copies, sub)

    @staticmethod
    def _fresh_projections(layer, plans: list[SlotPlan]) -> None:
        """Give each attention projection its own seed.

        Keras clones the layer's initializer config into every projection
        (query, key, value, output), so one seed would give identical kernels;
        projection i gets `derive_seed(slot_seed, "projection", i)` instead.
        """
        seeded = {p.slot.arg: p for p in plans if p.random and isinstance(p.seed, int)}
        if not seeded:
            return
        original = layer._get_common_kwargs_for_sublayer
        counter = {"n": 0}

        def per_projection(self):
            kw = original()
            i = counter["n"]
            counter["n"] += 1
            for arg, plan in seeded.items():
                if arg in kw:
                    cls = type(kw[arg])
                    kw[arg] = cls.from_config({**kw[arg].get_config(), "seed": derive_seed(plan.seed, "projection", i)})
            return kw

        object.__setattr__(layer, "_get_common_kwargs_for_sublayer", types.MethodType(per_projection, layer))


__all__ = ["LayerFactory", "SharedComponent"]
