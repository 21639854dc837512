"""Model files (`kind: model`): schema, semantic checks and the one plan, without Keras.

`check_model` turns a loaded model file into a `ModelSpec` -- every layer with
its canonical type, its name, its plain Keras arguments, its component slots
resolved through the catalog -- and the `Plan` of its slots, seeds, sharing
groups and verdict (`plan_model`), plus findings. The Keras side instantiates
exactly this plan, so what was validated is what gets built.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import ConfigDict, Field, WithJsonSchema

from .catalog import KINDS, LayerType, article, catalog, did_you_mean
from .findings import Finding
from .naming import Namer
from .plan import Allow, Plan, Planner
from .policy import Policy
from .resolve import FORBIDDEN_CONFIG_KEYS, ComponentUse, resolve_component, type_problem, unknown_layer
from .schema import StrictModel, describe, validate_as
from .yamlload import DEFAULT_LIMITS, Limits, Loaded

RESERVED_LAYER_KEYS = ("type", "name", "inputs")
ACTIVATION_PARAMS = ("activation", "recurrent_activation")
# Layers called on a list of their inputs (`Add()([a, b])`); every other layer gets them as positional arguments.
LIST_INPUT_TYPES = frozenset({"Add", "Average", "Concatenate", "Dot", "Maximum", "Minimum", "Multiply", "Subtract",
                              "Attention", "AdditiveAttention"})


# -- schema (Pydantic) -------------------------------------------------------------

class InputSpec(StrictModel):
    """A model input: its shape without the batch dimension (null for any size)."""

    shape: list[Optional[int]]
    dtype: Optional[str] = None


_COMPONENT_SCHEMA = {
    "anyOf": [
        {"type": "string", "description": "A Keras identifier: HeNormal, he_normal, l2, unit_norm ..."},
        {"type": "object", "required": ["class_name"], "additionalProperties": False,
         "properties": {"class_name": {"type": "string"}, "config": {"type": "object"}}},
    ]
}
# Checked by `_Checker.component` (better messages than a Pydantic union); typed for JSON Schema.
Component = Annotated[Any, WithJsonSchema(_COMPONENT_SCHEMA)]


class SharedDecl(StrictModel):
    """A component meant to be shared: exactly one of initializer, regularizer, constraint."""

    initializer: Optional[Component] = None
    regularizer: Optional[Component] = None
    constraint: Optional[Component] = None


class LayerEntry(StrictModel):
    """A layer: `type:` (a catalog name), optional `name:` and `inputs:`, and Keras's own arguments.

    Component slots (`*_initializer`, `*_regularizer`, `*_constraint`) take a
    Keras identifier string, a `{class_name, config}` mapping or `{shared: NAME}`.
    Wrappers take the wrapped layer under `layer:` (RNN: `cell:`).
    """

    model_config = ConfigDict(extra="allow", strict=True)

    type: str
    name: Optional[str] = None
    inputs: Optional[list[str]] = None


class AllowEntry(StrictModel):
    """Suppress a finding on purpose: the rule id, the slots it covers, and why."""

    rule: str
    slots: list[str] = Field(default_factory=list)
    reason: str = Field(min_length=1)


class ModelFile(StrictModel):
    """A model file (`kind: model`)."""

    kind: Literal["model"]
    version: Literal[1]
    name: Optional[str] = None
    description: Optional[str] = None
    policy: str = Field("strict", description="A built-in policy name or a path relative to this file.")
    seed: Optional[int] = Field(None, description="Reproducible, distinct seeds for every fresh initializer.")
    input: Optional[InputSpec] = Field(None, description="Sequential model: layers run in order.")
    inputs: Optional[dict[str, InputSpec]] = Field(None, description="Functional model: named inputs.")
    outputs: Optional[list[str]] = None
    shared: dict[str, SharedDecl] = Field(default_factory=dict)
    layers: list[LayerEntry] = Field(min_length=1)
    allow: list[AllowEntry] = Field(default_factory=list)


# -- the validated, normalized spec -----------------------------------------------

@dataclass
class LayerNode:
    type: str  # canonical catalog name
    name: str
    args: dict[str, Any]  # plain Keras arguments
    components: dict[str, ComponentUse]  # slot arg -> component given in the file
    sublayers: dict[str, Union[LayerNode, list[LayerNode]]]
    inputs: list[str] | None
    path: tuple
    mark: tuple = (1, 1)  # line and column of the layer in its file


@dataclass
class ModelSpec:
    file: str
    name: str
    seed: int | None
    policy_ref: str
    input: InputSpec | None
    inputs: dict[str, InputSpec] | None
    outputs: list[str] | None
    shared: dict[str, ComponentUse]
    layers: list[LayerNode]
    base_dir: str = "."
    allows: tuple[Allow, ...] = ()


@dataclass
class ModelCheck:
    findings: list[Finding] = field(default_factory=list)
    spec: ModelSpec | None = None
    plan: Plan | None = None
    policy: Policy | None = None


# -- semantic checks --------------------------------------------------------------

class _Checker:
    def __init__(self, loaded: Loaded, limits: Limits):
        self.loaded = loaded
        self.limits = limits
        self.cat = catalog()
        self.findings: list[Finding] = []
        self.layer_count = 0

    def err(self, path, rule, message, at_key=False):
        self.findings.append(self.loaded.finding(path, rule, message, at_key=at_key))

    # components ---------------------------------------------------------------
    def forbidden_keys(self, value, path) -> bool:
        """Report `module:` / `registered_name:` anywhere inside a value; True if any."""
        found = False
        stack = [(value, path)]
        while stack:
            v, p = stack.pop()
            if isinstance(v, dict):
                for k, sub in v.items():
                    if k in FORBIDDEN_CONFIG_KEYS:
                        self.err(p + (k,), "config-module-key",
                                 f"'{k}:' is not honoured: names resolve only through the policyfactory catalog "
                                 f"and classes registered from Python", at_key=True)
                        found = True
                    else:
                        stack.append((sub, p + (k,)))
            elif isinstance(v, list):
                stack.extend((sub, p + (i,)) for i, sub in enumerate(v))
        return found

    def _located(self, use: ComponentUse, path) -> ComponentUse:
        line, col = self.loaded.mark(path)
        return replace(use, file=self.loaded.file, line=line, column=col)

    def component(self, value, kind: str, path, shared_decls: dict | None) -> ComponentUse | None:
        if isinstance(value, dict) and "shared" in value:
            return self.shared_reference(value, kind, path, shared_decls)
        use, problems = resolve_component(kind, value)
        for p in problems:
            self.err(path + p.path, p.rule, p.message, at_key=p.at_key)
        return self._located(use, path) if use else None

    def shared_reference(self, value: dict, kind: str, path, shared_decls: dict | None) -> ComponentUse | None:
        if shared_decls is None:
            self.err(path, "shared-in-shared", "a shared declaration cannot refer to another one")
            return None
        extra = [k for k in value if k != "shared"]
        if extra:
            self.err(path + (extra[0],), "schema-unknown-key", f"unknown key '{extra[0]}' beside 'shared:'", at_key=True)
            return None
        name = value["shared"]
        if not isinstance(name, str) or name not in shared_decls:
            choices = list(shared_decls)
            self.err(path + ("shared",), "shared-unknown",
                     f"no shared component named {describe(name) if not isinstance(name, str) else repr(name)}"
                     f"{did_you_mean(name, choices)}" + ("" if choices else " (the file declares none under 'shared:')"))
            return None
        decl = shared_decls[name]
        if decl is None:
            return None  # its own finding was reported at the declaration
        if decl.kind != kind:
            self.err(path + ("shared",), "shared-wrong-kind",
                     f"shared '{name}' is {article(decl.kind)}, but this slot takes {article(kind)}")
            return None
        return self._located(replace(decl, shared=name), path)

    def _type_ok(self, info: dict, value, path, name) -> bool:
        p = type_problem(info, value, path, name)
        if p is not None:
            self.err(p.path, p.rule, p.message)
        return p is None

    # layers -------------------------------------------------------------------
    def layer(self, raw, path, namer: Namer, shared_decls, functional: bool, nested: bool) -> LayerNode | None:
        self.layer_count += 1
        if self.layer_count == self.limits.max_layers + 1:
            self.err(path, "limit-layers", f"more than {self.limits.max_layers} layers")
        if self.layer_count > self.limits.max_layers:
            return None
        lt = self.layer_type(raw, path)
        if lt is None:
            return None
        n_before = len(self.findings)
        name = self.layer_name(raw, path, lt, namer)
        inputs = self.layer_inputs(raw, path, functional, nested)
        args: dict[str, Any] = {}
        components: dict[str, ComponentUse] = {}
        sublayers: dict[str, Any] = {}
        for key, value in raw.items():
            if key in RESERVED_LAYER_KEYS:
                continue
            kpath = path + (key,)
            if not isinstance(key, str) or key not in lt.params:
                self.err(kpath, "unknown-argument",
                         f"{lt.name} takes no argument '{key}'{did_you_mean(key, list(lt.params) + ['name', 'inputs'])}",
                         at_key=True)
            elif key in lt.slots:
                comp = None if value is None else self.component(value, lt.slots[key].kind, kpath, shared_decls)
                if comp is not None:
                    components[key] = comp
            elif key in lt.layer_params:
                sub = self.sublayer(value, kpath, key, namer, shared_decls, functional)
                if sub is not None:
                    sublayers[key] = sub
            elif self.plain_argument(lt, key, value, kpath):
                args[key] = value
        for req in lt.required:
            if req not in raw:
                self.err(path, "missing-argument", f"{lt.name} needs argument '{req}'")
        self.check_wrapper(lt, sublayers, path)
        if len(self.findings) > n_before:
            return None
        return LayerNode(lt.name, name, args, components, sublayers,
                         inputs if isinstance(inputs, list) else None, path, self.loaded.mark(path))

    def layer_type(self, raw, path) -> LayerType | None:
        if not isinstance(raw, dict):
            self.err(path, "schema-type", f"a layer is a mapping with 'type:', got {describe(raw)}")
            return None
        tname = raw.get("type")
        if not isinstance(tname, str):
            if "type" not in raw:
                self.err(path, "schema-missing-key", "missing required key 'type'")
            else:
                self.err(path + ("type",), "schema-type", f"'type': expected a string, got {describe(tname)}")
            return None
        lt = self.cat.layer(tname)
        if lt is None:
            problem = unknown_layer(tname)
            self.err(path + ("type",), problem.rule, problem.message)
        return lt

    def layer_name(self, raw: dict, path, lt: LayerType, namer: Namer) -> str:
        name = raw.get("name")
        if name is not None and not isinstance(name, str):
            self.err(path + ("name",), "schema-type", f"'name': expected a string, got {describe(name)}")
            name = None
        if name is None:
            name = namer.next(lt.name)
            namer.take(name)
        elif not namer.take(name):
            self.err(path + ("name",), "duplicate-layer-name", f"layer name '{name}' is already used")
        return name

    def layer_inputs(self, raw: dict, path, functional: bool, nested: bool):
        inputs = raw.get("inputs")
        if inputs is None:
            return None
        if nested:
            self.err(path + ("inputs",), "schema-unknown-key", "a wrapped layer takes no 'inputs:'", at_key=True)
        elif not functional:
            self.err(path + ("inputs",), "inputs-in-sequential",
                     "'inputs:' on a layer needs a functional model (top-level 'inputs:' instead of 'input:')", at_key=True)
        elif not (isinstance(inputs, list) and all(isinstance(i, str) for i in inputs)):
            self.err(path + ("inputs",), "schema-type", f"'inputs': expected a list of names, got {describe(inputs)}")
            return None
        return inputs

    def sublayer(self, value, kpath, key: str, namer: Namer, shared_decls, functional: bool):
        if value is None:
            return None
        if isinstance(value, list) and key in ("cells", "layers", "cell"):
            subs = [self.layer(v, kpath + (i,), namer, shared_decls, functional, True) for i, v in enumerate(value)]
            return subs if all(s is not None for s in subs) else None
        return self.layer(value, kpath, namer, shared_decls, functional, True)

    def plain_argument(self, lt: LayerType, key: str, value, kpath) -> bool:
        if isinstance(value, dict) and "class_name" in value:
            self.err(kpath, "config-object-not-allowed",
                     f"'{key}' takes plain data here; Keras object configs are read only in component slots")
            return False
        if key in ACTIVATION_PARAMS and value is not None:
            if not isinstance(value, str):
                self.err(kpath, "schema-type", f"'{key}': expected an activation name, got {describe(value)}")
                return False
            if value not in self.cat.activations:
                self.err(kpath, "unknown-activation",
                         f"unknown activation '{value}'{did_you_mean(value, self.cat.activations)}")
                return False
        return self._type_ok(lt.params[key], value, kpath, key)

    def check_wrapper(self, lt: LayerType, sublayers: dict, path) -> None:
        if lt.name == "Bidirectional" and "layer" in sublayers:
            inner_lt = self.cat.layer(sublayers["layer"].type)
            if inner_lt is not None and "go_backwards" not in inner_lt.params:
                self.err(path + ("layer",), "wrapper-layer",
                         f"Bidirectional wraps a recurrent layer; {sublayers['layer'].type} is not one")

    # the model as a whole -------------------------------------------------------
    def io(self, mf: ModelFile) -> None:
        if mf.input is not None and mf.inputs is not None:
            self.err(("inputs",), "model-inputs", "give either 'input:' (sequential) or 'inputs:' (functional), not both",
                     at_key=True)
        if mf.input is None and mf.inputs is None:
            self.err((), "model-inputs", "a model needs 'input: {shape: [...]}' (sequential) or 'inputs:' (functional)")
        if mf.outputs is not None and mf.inputs is None:
            self.err(("outputs",), "model-inputs", "'outputs:' belongs to a functional model (with 'inputs:')", at_key=True)

    def shared_declarations(self, mf: ModelFile, data: dict) -> dict[str, ComponentUse | None]:
        decls: dict[str, ComponentUse | None] = {}
        for sname, decl in mf.shared.items():
            dpath = ("shared", sname)
            given = [k for k in KINDS if getattr(decl, k) is not None]
            if len(given) != 1:
                self.err(dpath, "shared-declaration",
                         f"shared '{sname}' must name exactly one of initializer, regularizer, constraint"
                         + (f" (it names {', '.join(given)})" if given else ""))
                decls[sname] = None
                continue
            kind = given[0]
            decls[sname] = self.component(data["shared"][sname][kind], kind, dpath + (kind,), None)
        return decls

    def wiring(self, mf: ModelFile, nodes: list[LayerNode]) -> None:
        known = set(mf.inputs or {})
        for node in nodes:
            for j, ref in enumerate(node.inputs or []):
                if ref not in known:
                    self.err(node.path + ("inputs", j), "unknown-reference",
                             f"'{ref}' is neither a model input nor an earlier layer{did_you_mean(ref, sorted(known))}")
            known.add(node.name)
        for j, ref in enumerate(mf.outputs or []):
            if ref not in known:
                self.err(("outputs", j), "unknown-reference", f"output '{ref}' names no layer{did_you_mean(ref, sorted(known))}")

    def allows(self, mf: ModelFile) -> tuple[Allow, ...]:
        out = []
        for i, a in enumerate(mf.allow):
            line, col = self.loaded.mark(("allow", i))
            out.append(Allow(a.rule, tuple(a.slots), a.reason, self.loaded.file, line, col))
        return tuple(out)


PolicyLoader = Callable[[str, Loaded], "tuple[Policy | None, list[Finding]]"]


def check_model(loaded: Loaded, policy_loader: PolicyLoader, limits: Limits = DEFAULT_LIMITS) -> ModelCheck:
    """Validate a loaded model file, load its policy and plan it: findings, spec and the one plan.

    `policy_loader(ref, loaded)` resolves the file's `policy:` (or an override
    given by the caller) into a `Policy` and findings.
    """
    result = ModelCheck()
    data = loaded.value
    if not isinstance(data, dict):
        result.findings.append(loaded.finding((), "schema-top-level", "top level must be a mapping with 'kind: model'"))
        return result
    ck = _Checker(loaded, limits)
    if ck.forbidden_keys(data, ()):
        result.findings = ck.findings
        return result
    mf, findings = validate_as(ModelFile, data, loaded)
    if mf is None:
        result.findings = findings
        return result
    ck.io(mf)
    shared_decls = ck.shared_declarations(mf, data)
    namer = Namer()
    functional = mf.inputs is not None
    nodes = [n for i, raw in enumerate(data["layers"])
             if (n := ck.layer(raw, ("layers", i), namer, shared_decls, functional, False)) is not None]
    if functional and not ck.findings:
        ck.wiring(mf, nodes)
    result.findings = findings + ck.findings
    if result.findings:
        return result
    result.spec = ModelSpec(
        loaded.file, mf.name or "model", mf.seed, mf.policy, mf.input, mf.inputs, mf.outputs,
        {k: v for k, v in shared_decls.items() if v is not None}, nodes, loaded.base_dir, ck.allows(mf),
    )
    policy, pfindings = policy_loader(mf.policy, loaded)
    result.policy = policy
    if policy is None:
        result.findings.extend(pfindings)
        return result
    result.plan = plan_model(result.spec, policy)
    result.findings.extend(result.plan.findings)
    return result


def plan_model(spec: ModelSpec, policy: Policy) -> Plan:
    """The plan of a validated model, slots in the order the factory builds them.

    Order: shared declarations, then each layer after the layers it wraps; a
    Bidirectional layer's own slots, then its backward copy (which repeats its
    shared references and re-derives its explicit seeds). Without `seed:` in
    the file, derived seeds stay unbound ("random") until a build binds them.
    """
    planner = Planner(policy, spec.seed)
    for name, c in spec.shared.items():
        planner.declare_shared(name, c.kind, c.class_name, c.config)
    for node in spec.layers:
        _plan_node(planner, spec, node, owner="", prefix="", backward=False)
    return planner.freeze(spec.allows)


def _plan_node(planner: Planner, spec: ModelSpec, node: LayerNode, owner: str, prefix: str, backward: bool) -> None:
    owner = owner or node.name
    for sub in node.sublayers.values():
        for s in (sub if isinstance(sub, list) else [sub]):
            _plan_node(planner, spec, s, owner, prefix, backward)
    lt = catalog().layer(node.type)
    assert lt is not None  # checked
    planner.plan_layer(prefix + node.name, lt, node.components, owner=owner, backward=backward,
                       where=(spec.file, *node.mark))
    if node.type == "Bidirectional" and "layer" in node.sublayers and "backward_layer" not in node.sublayers:
        inner = node.sublayers["layer"]
        assert isinstance(inner, LayerNode)
        _plan_node(planner, spec, inner, owner, "backward_" + prefix, True)
