"""`LayerFactory`: every slot gets a fresh component with its own seed, unless a policy allows sharing.

Why: in Keras 3 one initializer object passed to two layers (or two roles of
one layer) gives identical or perfectly correlated weights, and so do two
initializers with one explicit seed, and `Bidirectional`/`MultiHeadAttention`
copy a seeded initializer into several weights. The factory grows the core's
one plan (`policyfactory.core.plan`) layer by layer, refuses a layer as soon as
it would join a group the policy denies, and instantiates exactly what the plan
says; `build_model` instantiates a model file's plan through the same code.

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

import contextlib
import secrets
import types
import weakref
from collections.abc import Callable
from typing import Any

import keras

from ..core.catalog import KINDS, LayerType, article, catalog
from ..core.findings import InvalidInput, PolicyViolation, caller_location, python_finding
from ..core.layerinfo import ATTENTION_TYPES
from ..core.naming import Namer, derive_seed
from ..core.plan import Plan, PlannedSlot, Planner
from ..core.policy import Policy, load_policy
from ..core.records import field, record
from ..core.resolve import ComponentUse, unknown_layer
from ..core.rules.components import COMPONENT_VALUE, UNKNOWN_ARGUMENT
from ..core.rules.layers import DUPLICATE_LAYER_NAME, WRAPPER_LAYER
from ..core.rules.schemarules import SCHEMA_TYPE
from ..core.rules.shared import SHARED_DUPLICATE, SHARED_UNKNOWN, SHARED_WRONG_KIND
from ..core.text import did_you_mean, shown
from .components import instantiate, use_from_value
from .introspect import slot_holder
from .registry import layer_class

_NOT_POSITIONAL = ("activity_regularizer", "trainable", "dtype", "autocast", "name", "input_shape", "input_dim")


@record
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


@record
class _Made:
    """How the factory made a layer, so that a wrapper can rebuild it (Bidirectional)."""

    type_name: str
    name: str
    kwargs: dict[str, Any]
    shared_args: dict[str, Any] = field(default_factory=dict)  # slot arg -> the shared instance it holds
    sublayers: dict[str, Any] = field(default_factory=dict)


class LayerFactory:
    """Builds Keras 3 layers whose components obey a sharing policy.

    `policy`: a built-in name (`strict`, `recurrent`, `stateless`), a YAML path
    or a `Policy`; default `strict`. `seed`: derive every fresh initializer's
    seed from it (same seed and names, bit-identical weights in any process);
    without it, one base seed is drawn for this factory and slots still get
    distinct seeds.

    A raw Keras component object passed to several layers is not shared: each
    slot gets a fresh copy of its class and config with its own seed. Only a
    handle from `shared()` is one instance, judged by the policy.

        >>> f = LayerFactory(seed=7)
        >>> layer = f.layer("Dense", 16, kernel_initializer="glorot_uniform")
        >>> layer.name
        'dense'
    """

    def __init__(self, policy: str | Policy | None = None, *, seed: int | None = None):
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
            raise TypeError(f"seed must be an integer or None, got {type(seed).__name__}")
        self.policy = load_policy(policy if policy is not None else "strict")
        self.seed = seed
        self._planner = Planner(self.policy, seed if seed is not None else secrets.randbits(62))
        self._replay: Plan | None = None
        self.namer = Namer()
        self._shared: dict[str, SharedComponent] = {}
        self._instances: dict[str, Any] = {}  # shared name -> its one instance
        self._made: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._origins: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # component -> its group key

    @classmethod
    def _replaying(cls, plan: Plan) -> LayerFactory:
        """A factory that instantiates a finished plan (seeds bound) instead of planning: `build_model`."""
        f = cls.__new__(cls)
        f.policy, f.seed, f._replay = plan.policy, plan.base_seed, plan
        f._planner = Planner(plan.policy, plan.base_seed)
        f.namer, f._shared, f._made = Namer(), {}, weakref.WeakKeyDictionary()
        f._origins = weakref.WeakKeyDictionary()
        f._instances = {s.name: instantiate(s.kind, s.class_name, s.config) for s in plan.shared}
        return f

    # -- public API ----------------------------------------------------------------
    def shared(self, name: str, component: Any, kind: str | None = None) -> SharedComponent:
        """Declare a component meant to be shared and return its handle.

        `component` is a Keras object, an identifier string or a config dict;
        `kind` is needed only for a string or dict that names no class of a
        single kind.
        """
        if not isinstance(name, str) or not name:
            raise TypeError(f"shared(): name must be a non-empty string, got {name!r}")
        if name in self._shared:
            raise InvalidInput(python_finding(SHARED_DUPLICATE, f"shared component {shown(name)} is already declared"))
        kinds = [kind] if kind else self._kinds_of(component)
        if len(kinds) != 1 or kinds[0] not in KINDS:
            raise InvalidInput(python_finding(
                COMPONENT_VALUE,
                f"cannot tell the kind of shared {shown(name)}: pass kind='initializer'|'regularizer'|'constraint'"))
        use = use_from_value(kinds[0], component)
        planned = self._planner.declare_shared(name, kinds[0], use.class_name, use.config)
        instance = instantiate(kinds[0], use.class_name, planned.config)
        handle = SharedComponent(name, kinds[0], use.class_name, use.config, planned.config, instance, id(self))
        self._shared[name] = handle
        self._instances[name] = instance
        return handle

    def layer(self, type_name: str, *args: Any, **kwargs: Any) -> keras.layers.Layer:
        """A Keras layer of any catalog type, with Keras's own arguments."""
        lt = self._layer_type(type_name)
        kwargs = self._bind_positional(lt, args, kwargs)
        for key in kwargs:
            if key not in lt.params and key != "name":
                raise InvalidInput(python_finding(
                    UNKNOWN_ARGUMENT,
                    f"{lt.name} takes no argument {shown(key)}{did_you_mean(key, list(lt.params))}"))
        name = kwargs.pop("name", None)
        if name is not None and not isinstance(name, str):
            raise TypeError(f"name= takes a string, got {type(name).__name__}")
        if name is None:
            name = self.namer.next(lt.name)
        elif not isinstance(name, str) or name in self.namer.used:
            raise InvalidInput(python_finding(DUPLICATE_LAYER_NAME, f"layer name {name!r} is already used"))
        mark = self._planner.mark()
        try:
            layer = self._make(lt, name, kwargs, owner="")
        except BaseException:
            self._planner.rollback(mark)
            raise
        self.namer.take(name)
        return layer

    def plan(self) -> Plan:
        """The plan so far: every slot's class, config, seed and sharing group, with the verdict."""
        return self._replay if self._replay is not None else self._planner.freeze()

    def report(self) -> list[dict[str, Any]]:
        """Every slot as a row: component class and config, seed, sharing group and verdict."""
        return self.plan().rows()

    def __getattr__(self, name: str) -> Callable[..., keras.layers.Layer]:
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
            return [k for k in KINDS if cat.component(k, component)]
        if isinstance(component, dict):
            return [k for k in KINDS if cat.component(k, component.get("class_name"))]
        for kind, base in (("initializer", keras.initializers.Initializer),
                           ("regularizer", keras.regularizers.Regularizer),
                           ("constraint", keras.constraints.Constraint)):
            if isinstance(component, base):
                return [kind]
        return []

    @staticmethod
    def _layer_type(type_name: str) -> LayerType:
        if not isinstance(type_name, str):
            raise TypeError(f"layer type must be a string, got {type(type_name).__name__}")
        lt = catalog().layer(type_name)
        if lt is None:
            problem = unknown_layer(type_name)
            raise InvalidInput(python_finding(problem.rule, problem.message))
        return lt

    @staticmethod
    def _bind_positional(lt: LayerType, args: tuple, kwargs: dict) -> dict:
        kwargs = dict(kwargs)
        if args:
            order = [p for p in lt.params if p not in _NOT_POSITIONAL]
            if len(args) > len(order):
                raise TypeError(f"{lt.name} takes at most {len(order)} positional arguments")
            for pname, value in zip(order, args):
                if pname in kwargs:
                    raise TypeError(f"{lt.name} got multiple values for argument {shown(pname)}")
                kwargs[pname] = value
        return kwargs

    def _uses(self, lt: LayerType, kwargs: dict, where: tuple[str, int]) -> dict[str, ComponentUse]:
        uses: dict[str, ComponentUse] = {}
        file, line = where
        for arg, slot in lt.slots.items():
            value = kwargs.get(arg)
            if value is None:
                continue
            if isinstance(value, SharedComponent):
                if value.factory_id != id(self):
                    raise InvalidInput(python_finding(SHARED_UNKNOWN,
                                                      f"shared {shown(value.name)} was declared by another LayerFactory"))
                if value.kind != slot.kind:
                    raise InvalidInput(python_finding(
                        SHARED_WRONG_KIND,
                        f"shared {shown(value.name)} is {article(value.kind)}, but {arg} takes {article(slot.kind)}"))
                uses[arg] = ComponentUse(value.class_name, value.user_config, value.name, file, line, 1, slot.kind)
            else:
                use = use_from_value(slot.kind, value)
                uses[arg] = ComponentUse(use.class_name, use.config, None, file, line, 1, slot.kind)
        return uses

    def _slots(self, lt: LayerType, name: str, kwargs: dict, owner: str, backward: bool) -> list[PlannedSlot]:
        """The planned slots of one layer: planned now (refused if denied), or read from the plan being built."""
        if self._replay is not None:
            return self._replay.slots_of(name)
        file, line = caller_location()
        uses = self._uses(lt, kwargs, (file, line))
        slots, denied = self._planner.plan_layer(name, lt, uses, owner=owner or name, backward=backward,
                                                 where=(file, line, 1))
        if denied is not None:
            finding = self._planner.ledger.violation(denied)
            raise PolicyViolation([finding], f"layer {shown(name)} would join a sharing group "
                                             f"that policy {shown(self.policy.name)} denies:")
        return slots

    def _make(self, lt: LayerType, name: str, kwargs: dict, owner: str, backward: bool = False) -> keras.layers.Layer:
        """Plan (or look up) the slots of one layer and instantiate the layer from them."""
        original = dict(kwargs)  # as given (components included), so that a wrapper can rebuild it
        for arg in lt.layer_params:
            if arg in kwargs and kwargs[arg] is not None:
                for sub in (kwargs[arg] if isinstance(kwargs[arg], list) else [kwargs[arg]]):
                    if not isinstance(sub, keras.layers.Layer):
                        raise InvalidInput(python_finding(
                            SCHEMA_TYPE, f"{lt.name} argument {shown(arg)} takes a layer made by this factory"))
        slots = self._slots(lt, name, kwargs, owner, backward)
        kwargs = {k: v for k, v in kwargs.items() if k not in lt.slots}
        shared_args = {}
        for s in slots:
            kwargs[s.slot.arg] = self._component_for(s)
            if s.shared is not None:
                shared_args[s.slot.arg] = kwargs[s.slot.arg]

        backward_layer = None
        if lt.name == "Bidirectional" and kwargs.get("layer") is not None and kwargs.get("backward_layer") is None:
            backward_layer = self._rebuild_backward(kwargs["layer"], owner or name)
            kwargs["backward_layer"] = backward_layer

        layer = layer_class(lt)(name=name, **kwargs)

        if backward_layer is not None:
            self._rebind(layer.forward_layer, kwargs["layer"])
        if lt.name in ATTENTION_TYPES:
            self._fresh_projections(layer, slots, self._note_origin)
        self._made[layer] = _Made(lt.name, name, original, shared_args,
                                  {a: kwargs[a] for a in lt.layer_params if kwargs.get(a) is not None})
        return layer

    def _component_for(self, s: PlannedSlot) -> Any:
        comp = self._instances[s.shared] if s.shared is not None else instantiate(s.slot.kind, s.class_name, s.config)
        self._note_origin(comp, s)
        return comp

    def _note_origin(self, comp: Any, s: PlannedSlot) -> None:
        """Remember which plan group made a component (the audit links weights to the plan's verdict by it)."""
        if s.group is not None:
            with contextlib.suppress(TypeError):  # no weak reference: the audit falls back to its seed
                self._origins[comp] = s.group

    def _origin(self, comp: Any) -> str | None:
        """The sharing-group key of the plan slot that made `comp` (attention projections included), if any."""
        try:
            return self._origins.get(comp)
        except TypeError:
            return None

    def _rebuild_backward(self, inner: keras.layers.Layer, owner: str) -> keras.layers.Layer:
        """Build the backward copy of a wrapped recurrent layer from its own planned slots.

        Keras would copy the forward layer's config, seeds included, so both
        directions would draw one stream; here fresh slots get their own seeds,
        explicit seeds are re-derived, and shared handles stay shared.
        """
        made = self._made.get(inner)
        if made is None:
            raise InvalidInput(python_finding(
                WRAPPER_LAYER, "Bidirectional needs a layer made by this factory (so that its backward "
                                 "copy gets its own seeds), or an explicit backward_layer="))
        return self._rebuild(made, owner, "backward_", {"go_backwards": not made.kwargs.get("go_backwards", False)})

    def _rebuild(self, made: _Made, owner: str, prefix: str, overrides: dict) -> keras.layers.Layer:
        kwargs = dict(made.kwargs)
        kwargs.update(overrides)
        for arg, sub in made.sublayers.items():
            subs = sub if isinstance(sub, list) else [sub]
            rebuilt = [self._rebuild(self._made[s], owner, prefix, {}) for s in subs]
            kwargs[arg] = rebuilt if isinstance(sub, list) else rebuilt[0]
        lt = self._layer_type(made.type_name)
        return self._make(lt, prefix + made.name, kwargs, owner, backward=True)

    def _rebind(self, copy: keras.layers.Layer, original: keras.layers.Layer) -> None:
        """Put shared instances back into a Keras-made copy of a layer (Bidirectional's forward layer)."""
        made = self._made.get(original)
        if made is None:
            return
        for arg, instance in made.shared_args.items():
            found = slot_holder(copy, arg)
            if found is not None:
                setattr(found[0], found[1], instance)
        for arg, sub in made.sublayers.items():
            copies = getattr(copy, arg, None)
            if isinstance(sub, list) and isinstance(copies, (list, tuple)):
                for c, s in zip(copies, sub):
                    self._rebind(c, s)
            elif copies is not None and not isinstance(sub, list):
                self._rebind(copies, sub)

    @staticmethod
    def _fresh_projections(layer: keras.layers.Layer, slots: list[PlannedSlot],
                           note: Callable[[Any, PlannedSlot], None]) -> None:
        """Give each attention projection its own seed.

        Keras clones the layer's initializer config into every projection
        (query, key, value, output), so one seed would give identical kernels;
        projection i gets the plan's `projection_seeds[i]` instead (what `explain` shows).
        """
        seeded = {s.slot.arg: s for s in slots if s.projection_seeds}
        if not seeded:
            return
        original = layer._get_common_kwargs_for_sublayer
        counter = {"n": 0}

        def per_projection(self: keras.layers.Layer) -> dict[str, Any]:
            kw = original()
            i = counter["n"]
            counter["n"] += 1
            for arg, s in seeded.items():
                if arg in kw:
                    cls = type(kw[arg])
                    assert s.seed is not None
                    seed = s.projection_seeds[i] if i < len(s.projection_seeds) else derive_seed(s.seed, "projection", i)
                    kw[arg] = cls.from_config({**kw[arg].get_config(), "seed": seed})
                    note(kw[arg], s)
            return kw

        object.__setattr__(layer, "_get_common_kwargs_for_sublayer", types.MethodType(per_projection, layer))


__all__ = ["LayerFactory", "SharedComponent"]
