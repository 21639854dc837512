"""Model files (`kind: model`): schema, semantic checks and the one plan, without Keras.

`check_model` turns a loaded model file into a `ModelSpec` -- every layer with
its canonical type, its name, its plain Keras arguments, its component slots
resolved through the catalog -- and the `Plan` of its slots, seeds, sharing
groups and verdict (`plan_model`), plus findings. The Keras side instantiates
exactly this plan, so what was validated is what gets built.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Union

from .argcheck import SIZE_ARGS, argument_problem, dtype_problem, layer_problems, name_problem, shape_problem
from .catalog import KINDS, LayerType, article, catalog
from .findings import Finding, Fix
from .layerinfo import (
    ATTENTION_TYPES,
    LIST_INPUT_TYPES,
    MERGE_SAME_SHAPE,
    PASS_WRAPPERS,
    SEQUENCE_WRAPPERS,
    STEP_WRAPPERS,
    axis_problem,
    call_problem,
    input_list_problem,
    needed_args,
    output_rank,
    pair_problems,
    probe,
    reshape_problem,
    returns_input,
    slot_problem,
    sublayer_types,
    value_problem,
    width_problem,
)
from .naming import Namer
from .ops import OP_KEYS, OPS, OpType, concat_shape, op_rank, op_shape, operand_problem
from .ops import argument_problem as op_argument_problem
from .params import SHAPED_BY_ARGUMENTS, layer_params, output_shape, window_problem
from .plan import Allow, Plan, Planner
from .policy import Policy
from .records import field, record, replace
from .resolve import FORBIDDEN_CONFIG_KEYS, ComponentUse, resolve_component, type_problem, unknown_layer
from .rules import graph_checks
from .rules.components import (
    ARGUMENT_VALUE,
    CONFIG_MODULE_KEY,
    CONFIG_OBJECT_NOT_ALLOWED,
    MISSING_ARGUMENT,
    NAME_INVALID,
    UNKNOWN_ACTIVATION,
    UNKNOWN_ARGUMENT,
    UNKNOWN_REFERENCE,
)
from .rules.files import FILE_PATH_ARGUMENT
from .rules.layers import (
    CALL_ENTRY,
    DUPLICATE_LAYER_NAME,
    INPUTS_IN_SEQUENTIAL,
    MODEL_INPUTS,
    UNKNOWN_OPERATION,
    WRAPPER_LAYER,
)
from .rules.limits import LIMIT_LAYERS, LIMIT_PARAMS
from .rules.schemarules import SCHEMA_MISSING_KEY, SCHEMA_TOP_LEVEL, SCHEMA_TYPE, SCHEMA_UNKNOWN_KEY
from .rules.shared import SHARED_DECLARATION, SHARED_IN_SHARED, SHARED_UNKNOWN, SHARED_WRONG_KIND
from .schema import describe, salvaged, validate_as
from .text import Suggester, did_you_mean, shown, suggestion
from .yamlload import DEFAULT_LIMITS, Limits, Loaded, Path

if TYPE_CHECKING:
    from .filemodels import InputSpec, ModelFile

RESERVED_LAYER_KEYS = ("type", "name", "inputs")
FILE_PATH_ARGS = ("vocabulary", "idf_weights")  # Keras reads a string here as a file path
ACTIVATION_PARAMS = ("activation", "recurrent_activation")


# -- the validated, normalized spec -----------------------------------------------

@record
class LayerNode:
    """One checked layer of a model file: type, arguments, components, inputs and sublayers."""

    type: str  # canonical catalog name
    name: str
    args: dict[str, Any]  # plain Keras arguments
    components: dict[str, ComponentUse]  # slot arg -> component given in the file
    sublayers: dict[str, Union[LayerNode, list[LayerNode]]]
    inputs: list[str] | None
    path: tuple
    mark: tuple = (1, 1)  # line and column of the layer in its file
    kind: str = "layer"  # layer | op (type: the operation's name, args: its arguments) | call (of: the layer)
    of: str | None = None  # a call's layer: one layer object, one set of weights, several calls

    @property
    def is_layer(self) -> bool:
        return self.kind == "layer"


@record
class ModelSpec:
    """A checked model file: what the plan and the build read, nothing Keras-specific.

    `layers` is the graph in file order: layers, operations on tensors and further calls of layers
    (`LayerNode.kind`); only layers own slots, so a layer called twice is planned, built and audited once.
    """

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

    def nodes(self) -> Iterator[LayerNode]:
        """Every entry, each followed by the layers it wraps (depth first, in file order)."""
        stack = list(reversed(self.layers))
        while stack:
            node = stack.pop()
            yield node
            for sub in reversed(list(node.sublayers.values())):
                stack.extend(reversed(sub) if isinstance(sub, list) else [sub])

    def calls(self) -> dict[str, list[str]]:
        """Layer name -> the entries that call it again (only layers called more than once)."""
        out: dict[str, list[str]] = {}
        for node in self.layers:
            if node.kind == "call" and node.of is not None:
                out.setdefault(node.of, []).append(node.name)
        return out


@record
class ModelCheck:
    """What checking a model file found, and its spec when it has one."""

    findings: list[Finding] = field(default_factory=list)
    spec: ModelSpec | None = None
    plan: Plan | None = None
    policy: Policy | None = None
    judged: bool = True  # False: errors kept the sharing of its slots from being judged (no plan)


# -- semantic checks --------------------------------------------------------------

class _Checker:
    def __init__(self, loaded: Loaded, limits: Limits):
        self.loaded = loaded
        self.limits = limits
        self.cat = catalog()
        self.findings: list[Finding] = []
        self.layer_count = 0
        self._shared_names: Suggester | None = None
        self.input_names: set[str] = set()
        self.top: dict[str, LayerNode] = {}  # top-level entries checked so far, by name
        self.shared: dict[str, ComponentUse | None] = {}  # shared declarations (None: one with errors)
        self.failed: set[str] = set()  # names of top-level entries with errors of their own (a call of one is not)

    def err(self, path: Path, rule: str, message: str, at_key: bool = False, fix: Fix | None = None) -> None:
        """A finding at `path`; `fix` is its safe repair, its path relative to `path` (as a `Problem`'s)."""
        self.findings.append(self.loaded.finding(path, rule, message, at_key=at_key,
                                                 fix=fix.moved(path[:len(path) - len(fix.path)]) if fix else None))

    def unknown_argument(self, path: Path, owner: str, key: Any, known: list[str], raw: dict) -> None:
        """`owner` takes no argument `key`: did-you-mean, and its fix when it is the one answer (and not written)."""
        hint, new = suggestion(key, known)
        fix = Fix.rename((key,), key, new, at_key=True) if new is not None and new not in raw else None
        self.err(path + (key,), UNKNOWN_ARGUMENT, f"{owner} takes no argument {shown(key)}{hint}", at_key=True, fix=fix)

    # components ---------------------------------------------------------------
    def forbidden_keys(self, value: Any, path: Path) -> bool:
        """Report `module:` / `registered_name:` anywhere inside a value; True if any."""
        found = False
        stack = [(value, path)]
        while stack:
            v, p = stack.pop()
            if isinstance(v, dict):
                for k, sub in v.items():
                    if k in FORBIDDEN_CONFIG_KEYS:
                        self.err(p + (k,), CONFIG_MODULE_KEY,
                                 f"'{k}:' is not honoured: names resolve only through the policyfactory catalog "
                                 f"and classes registered from Python", at_key=True)
                        found = True
                    else:
                        stack.append((sub, p + (k,)))
            elif isinstance(v, list):
                stack.extend((sub, p + (i,)) for i, sub in enumerate(v))
        return found

    def _located(self, use: ComponentUse, path: Path) -> ComponentUse:
        line, col = self.loaded.mark(path)
        return replace(use, file=self.loaded.file, line=line, column=col)

    def component(self, value: Any, kind: str, path: Path, shared_decls: dict | None) -> ComponentUse | None:
        if isinstance(value, dict) and "shared" in value:
            return self.shared_reference(value, kind, path, shared_decls)
        use, problems = resolve_component(kind, value)
        for p in problems:
            self.err(path + p.path, p.rule, p.message, at_key=p.at_key, fix=p.fix)
        return self._located(use, path) if use else None

    def shared_reference(self, value: dict, kind: str, path: Path, shared_decls: dict | None) -> ComponentUse | None:
        if shared_decls is None:
            self.err(path, SHARED_IN_SHARED, "a shared declaration cannot refer to another one")
            return None
        extra = [k for k in value if k != "shared"]
        if extra:
            self.err(path + (extra[0],), SCHEMA_UNKNOWN_KEY, f"unknown key {shown(extra[0])} beside 'shared:'",
                     at_key=True)
            return None
        name = value["shared"]
        if not isinstance(name, str) or name not in shared_decls:
            if self._shared_names is None:
                self._shared_names = Suggester(shared_decls)
            self.err(path + ("shared",), SHARED_UNKNOWN,
                     f"no shared component named {describe(name) if not isinstance(name, str) else shown(name)}"
                     f"{self._shared_names.suggest(name)}"
                     + ("" if shared_decls else " (the file declares none under 'shared:')"))
            return None
        decl = shared_decls[name]
        if decl is None:
            return None  # its own finding was reported at the declaration
        if decl.kind != kind:
            self.err(path + ("shared",), SHARED_WRONG_KIND,
                     f"shared {shown(name)} is {article(decl.kind)}, but this slot takes {article(kind)}")
            return None
        return self._located(replace(decl, shared=name), path)

    def _type_ok(self, info: dict, value: Any, path: Path, name: str) -> bool:
        p = type_problem(info, value, path, name)
        if p is not None:
            self.err(p.path, p.rule, p.message)
        return p is None

    # layers -------------------------------------------------------------------
    def counted(self, path: Path) -> bool:
        """Count one more entry; False (and one finding) past the limit on layers."""
        self.layer_count += 1
        if self.layer_count == self.limits.max_layers + 1:
            self.err(path, LIMIT_LAYERS, f"more than {self.limits.max_layers} layers")
        return self.layer_count <= self.limits.max_layers

    def layer(self, raw: Any, path: Path, namer: Namer, shared_decls: dict | None, functional: bool,
              nested: bool) -> LayerNode | None:
        if not self.counted(path):
            return None
        if _graph_entry(raw):
            return self.graph_entry(raw, path, namer, functional, nested)
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
                self.unknown_argument(path, lt.name, key, list(lt.params) + ["name", "inputs"], raw)
            elif key in lt.slots:
                comp = None if value is None else self.component(value, lt.slots[key].kind, kpath, shared_decls)
                problem = slot_problem(lt.name, key, lt.slots[key].kind, comp.class_name) if comp else None
                if problem is not None:
                    self.err(kpath, ARGUMENT_VALUE, problem)
                elif comp is not None:
                    components[key] = comp
            elif key in lt.layer_params:
                sub = self.sublayer(value, kpath, key, namer, shared_decls, functional)
                if sub is not None:
                    sublayers[key] = sub
            elif self.plain_argument(lt, key, value, kpath):
                args[key] = value
        self.whole_layer(lt, raw, args, path)
        self.check_wrapper(lt, sublayers, path)
        if len(self.findings) > n_before:
            return None
        return self.placed(LayerNode(lt.name, name, args, components, sublayers,
                                     inputs if isinstance(inputs, list) else None, path, self.loaded.mark(path)), nested)

    def placed(self, node: LayerNode, nested: bool) -> LayerNode:
        """A checked entry, known by name to the entries below it (a `call:` names a top-level layer)."""
        if not nested:
            self.top[node.name] = node
        return node

    def graph_entry(self, raw: dict, path: Path, namer: Namer, functional: bool, nested: bool) -> LayerNode | None:
        """An operation or a further call of a layer: entries of the model's own graph, never inside a wrapper."""
        what = "an operation" if "op" in raw else "a call"
        if nested:
            self.err(path, WRAPPER_LAYER, f"a wrapper takes a layer (type:), not {what}")
            return None
        node = self.op_entry(raw, path, namer, functional) if "op" in raw else \
            self.call_entry(raw, path, namer, functional)
        if node is not None:
            self.top[node.name] = node
        return node

    def entry_name(self, raw: dict, path: Path, namer: Namer, base: str, noun: str = "name") -> str:
        """The name of an entry (layer, operation, call): given and checked, else `base`, `base_1` ..."""
        name = raw.get("name")
        if name is not None and not isinstance(name, str):
            self.err(path + ("name",), SCHEMA_TYPE, f"'name': expected a string, got {describe(name)}")
            name = None
        problem = name_problem(name)
        if problem is not None:
            self.err(path + ("name",), NAME_INVALID, problem)
        if name is None:
            name = namer.next(base)
            namer.take(name)
        elif not namer.take(name):
            what = "an input of the model" if name in self.input_names else "already used"
            self.err(path + ("name",), DUPLICATE_LAYER_NAME, f"{noun} {shown(name)} is {what}")
        return name

    def op_entry(self, raw: dict, path: Path, namer: Namer, functional: bool) -> LayerNode | None:
        """`{op: add, inputs: [a, b]}`: an operation from the closed list, its arguments and operands."""
        n_before = len(self.findings)
        opname = raw.get("op")
        op = OPS.get(opname) if isinstance(opname, str) else None
        if op is None:
            self.err(path + ("op",), UNKNOWN_OPERATION,
                     f"unknown operation {shown(opname) if isinstance(opname, str) else describe(opname)}"
                     f"{did_you_mean(opname, list(OPS)) if isinstance(opname, str) else ''}: an operation is one "
                     f"of policyfactory's closed list ({', '.join(OPS)})")
            return None
        name = self.entry_name(raw, path, namer, op.name)
        inputs = self.layer_inputs(raw, path, functional, False)
        args = self.op_arguments(op, raw, path)
        n_in = len(inputs) if isinstance(inputs, list) else 1
        problem = operand_problem(op, n_in, raw.get("value"), "value" in raw, raw.get("value_first"))
        if problem is not None:
            self.err(path + (("value",) if "value" in raw else ("inputs",) if "inputs" in raw else ()),
                     ARGUMENT_VALUE, problem)
        for key in ("value", "value_first"):
            if key in raw:
                args[key] = raw[key]
        if len(self.findings) > n_before:
            return None
        return LayerNode(op.name, name, args, {}, {}, inputs if isinstance(inputs, list) else None, path,
                         self.loaded.mark(path), kind="op")

    def op_arguments(self, op: OpType, raw: dict, path: Path) -> dict[str, Any]:
        """An operation's own arguments (axis, newshape ...), checked against the table."""
        args: dict[str, Any] = {}
        for key, value in raw.items():
            if key in OP_KEYS:
                continue
            if not isinstance(key, str) or key not in op.params:
                self.unknown_argument(path, op.name, key, list(op.params) + list(OP_KEYS), raw)
                continue
            problem = op_argument_problem(op, key, value)
            if problem is not None:
                self.err(path + (key,), ARGUMENT_VALUE, problem)
            args[key] = value
        for key, info in op.params.items():
            if info.get("required") and key not in raw:
                self.err(path, MISSING_ARGUMENT, f"{op.name} needs argument {shown(key)}")
        return args

    def call_entry(self, raw: dict, path: Path, namer: Namer, functional: bool) -> LayerNode | None:
        """`{call: enc, inputs: [b]}`: an earlier layer applied again, with its weights; it takes no arguments."""
        n_before = len(self.findings)
        target = raw.get("call")
        of = self.top.get(target) if isinstance(target, str) else None
        if (of is None or not of.is_layer) and not (isinstance(target, str) and target in self.failed):
            self.call_target(target, of, path)
        for key in raw:
            if key not in ("call", "name", "inputs"):
                self.err(path + (key,), CALL_ENTRY,
                         f"a call entry takes only 'call:', 'name:' and 'inputs:'; {shown(key)} belongs to the layer's "
                         f"own entry (a call reuses the layer as it is, with its weights)", at_key=True)
        name = self.entry_name(raw, path, namer, f"{target}_call" if isinstance(target, str) else "call")
        inputs = self.layer_inputs(raw, path, functional, False)
        if len(self.findings) > n_before or of is None:
            return None
        return LayerNode(of.type, name, {}, {}, {}, inputs if isinstance(inputs, list) else None, path,
                         self.loaded.mark(path), kind="call", of=of.name)

    def call_target(self, target: Any, of: LayerNode | None, path: Path) -> None:
        """`call:` names no earlier layer entry: what it names instead, with a did-you-mean among the layers."""
        named = isinstance(target, str)
        where = ("an operation" if of is not None and of.kind == "op" else
                 f"another call (of {shown(of.of)})" if of is not None else
                 "an input of the model" if named and target in self.input_names else "no earlier layer")
        hint = Suggester([n for n, v in self.top.items() if v.is_layer]).suggest(target) if of is None and named else ""
        self.err(path + ("call",), CALL_ENTRY, f"'call:' names an earlier layer entry to apply again; "
                                               f"{shown(target) if named else describe(target)} is {where}{hint}")

    def layer_type(self, raw: Any, path: Path) -> LayerType | None:
        if not isinstance(raw, dict):
            self.err(path, SCHEMA_TYPE, f"a layer is a mapping with 'type:', got {describe(raw)}")
            return None
        tname = raw.get("type")
        if not isinstance(tname, str):
            if "type" not in raw:
                self.err(path, SCHEMA_MISSING_KEY, "missing required key 'type'")
            else:
                self.err(path + ("type",), SCHEMA_TYPE, f"'type': expected a string, got {describe(tname)}")
            return None
        lt = self.cat.layer(tname)
        if lt is None:
            problem = unknown_layer(tname, ("type",))
            self.err(path + ("type",), problem.rule, problem.message, fix=problem.fix)
        return lt

    def layer_name(self, raw: dict, path: Path, lt: LayerType, namer: Namer) -> str:
        return self.entry_name(raw, path, namer, lt.name, "layer name")

    def layer_inputs(self, raw: dict, path: Path, functional: bool, nested: bool) -> Any:
        inputs = raw.get("inputs")
        if inputs is None:
            return None
        if nested:
            self.err(path + ("inputs",), SCHEMA_UNKNOWN_KEY, "a wrapped layer takes no 'inputs:'", at_key=True)
        elif not functional:
            self.err(path + ("inputs",), INPUTS_IN_SEQUENTIAL,
                     "'inputs:' on a layer needs a functional model (top-level 'inputs:' instead of 'input:')", at_key=True)
        elif not (isinstance(inputs, list) and all(isinstance(i, str) for i in inputs)):
            self.err(path + ("inputs",), SCHEMA_TYPE, f"'inputs': expected a list of names, got {describe(inputs)}")
            return None
        return inputs

    def sublayer(self, value: Any, kpath: Path, key: str, namer: Namer, shared_decls: dict | None,
                 functional: bool) -> LayerNode | list[LayerNode] | None:
        if value is None:
            return None
        if isinstance(value, list) and key in ("cells", "layers", "cell"):
            subs = [self.layer(v, kpath + (i,), namer, shared_decls, functional, True) for i, v in enumerate(value)]
            whole = [s for s in subs if s is not None]
            return whole if len(whole) == len(subs) else None
        return self.layer(value, kpath, namer, shared_decls, functional, True)

    def plain_argument(self, lt: LayerType, key: str, value: Any, kpath: Path) -> bool:
        if key in FILE_PATH_ARGS and isinstance(value, str):
            self.err(kpath, FILE_PATH_ARGUMENT,
                     f"{shown(key)} is read as a file path by Keras: give it inline, as a list of values")
            return False
        if isinstance(value, dict) and "class_name" in value:
            self.err(kpath, CONFIG_OBJECT_NOT_ALLOWED,
                     f"{shown(key)} takes plain data here; Keras object configs are read only in component slots")
            return False
        if key in ACTIVATION_PARAMS and value is not None:
            if not isinstance(value, str):
                self.err(kpath, SCHEMA_TYPE, f"{shown(key)}: expected an activation name, got {describe(value)}")
                return False
            if value not in self.cat.activations:
                self.err(kpath, UNKNOWN_ACTIVATION,
                         f"unknown activation {shown(value)}{did_you_mean(value, self.cat.activations)}")
                return False
        if not self._type_ok(lt.params[key], value, kpath, key):
            return False
        problem = argument_problem(lt.name, key, value) or value_problem(lt.name, key, value)
        if value is None and key in SIZE_ARGS and lt.params[key].get("default", 1) is not None:
            problem = f"{shown(key)} cannot be null for {lt.name}: give a whole number (at least 1)"
        if problem is not None:
            self.err(kpath, ARGUMENT_VALUE, problem)
        return problem is None

    def whole_layer(self, lt: LayerType, raw: dict, args: dict, path: Path) -> None:
        """Required arguments, and combinations of arguments Keras refuses."""
        for req in lt.required:
            if req not in raw:
                self.err(path, MISSING_ARGUMENT, f"{lt.name} needs argument {shown(req)}")
        for req in needed_args(lt.name):
            if raw.get(req) is None and req not in lt.required:
                self.err(path, MISSING_ARGUMENT, f"{lt.name} needs argument {shown(req)} (Keras refuses it without one)")
        for key, problem in pair_problems(lt.name, raw):
            self.err(path + ((key,) if key else ()), ARGUMENT_VALUE if key else MISSING_ARGUMENT, problem)
        has_weights = any(s.kind == "initializer" for s in lt.slots.values())
        for key, problem in layer_problems(lt.name, args, has_weights):
            self.err(path + (key,), ARGUMENT_VALUE, problem)

    def check_wrapper(self, lt: LayerType, sublayers: dict, path: Path) -> None:
        for arg, sub in sublayers.items():
            allowed = sublayer_types(lt.name, arg)
            for s in (sub if isinstance(sub, list) else [sub]):
                if allowed is not None and s.type not in allowed:
                    self.err(path + (arg,), WRAPPER_LAYER, f"Keras refuses {s.type} in {shown(arg)} of {lt.name}"
                                                             f"{' (it takes a recurrent cell)' if 'cell' in arg else ''}")
                    return
        if lt.name == "Bidirectional" and "layer" in sublayers:
            inner_lt = self.cat.layer(sublayers["layer"].type)
            if inner_lt is not None and "go_backwards" not in inner_lt.params:
                self.err(path + ("layer",), WRAPPER_LAYER,
                         f"Bidirectional wraps a recurrent layer; {sublayers['layer'].type} is not one")

    # the model as a whole -------------------------------------------------------
    def inputs_checked(self, mf: ModelFile, namer: Namer) -> None:
        """Names and shapes of the model and its inputs; input names are taken before any layer's."""
        problem = name_problem(mf.name)
        if problem is not None:
            self.err(("name",), NAME_INVALID, problem)
        specs = {"input": (("input",), mf.input)} if mf.input is not None else {
            n: (("inputs", n), spec) for n, spec in (mf.inputs or {}).items()}
        for name, (path, spec) in specs.items():
            problem = name_problem(name)
            if problem is not None:
                self.err(path, NAME_INVALID, problem, at_key=True)
            for p in (shape_problem(spec.shape), dtype_problem("dtype", spec.dtype)):
                if p is not None:
                    self.err(path, ARGUMENT_VALUE, p)
            self.input_names.add(name)
            namer.take(name)

    def budget(self, entries: list[LayerNode | None], mf: ModelFile) -> None:
        """Follow the shapes the file states, layer by layer: a finding for every layer whose weights would pass
        the budget (a lower bound) and for every pooling or convolution window Keras would refuse."""
        shapes: dict[str, list | None] = {n: list(s.shape) or None for n, s in (mf.inputs or {}).items()}
        ranks: dict[str, int | None] = {n: len(s.shape) for n, s in (mf.inputs or {}).items()}
        last, last_rank = _first_input(mf, shapes, ranks)
        nodes = [n for n in entries if n is not None]
        by_name = {n.name: n for n in nodes}
        first_in: dict[str, list | None] = {}
        for node in entries:
            if node is None:  # an entry with errors: what it gives is unknown (no finding downstream of it)
                last, last_rank = None, None
            elif node.kind == "op":
                refs = node.inputs or []
                last, last_rank = self.follow_op(node, [shapes.get(r) for r in refs] or [last],
                                                 [ranks.get(r) for r in refs] or [last_rank])
            else:
                shape_in = shapes.get(node.inputs[0]) if node.inputs else last
                rank_in = ranks.get(node.inputs[0]) if node.inputs else last_rank
                last, last_rank = self.follow_layer(node, by_name, first_in, shape_in, rank_in, shapes)
            if node is not None:
                shapes[node.name], ranks[node.name] = last, last_rank
        self.outputs_not_inputs(nodes, mf)

    def follow_layer(self, node: LayerNode, by_name: dict[str, LayerNode], first_in: dict[str, list | None],
                     shape_in: list | None, rank_in: int | None, shapes: dict) -> tuple[list | None, int | None]:
        """A layer entry (its first call: the input its weights are made for) or a further call of one."""
        if node.kind == "call":
            layer = by_name.get(node.of or "")
            return self.follow_call(node, layer, first_in.get(layer.name), shape_in, rank_in, shapes) \
                if layer is not None else (None, None)
        first_in[node.name] = shape_in
        return self.follow(node, shape_in, rank_in, shapes)

    def follow_op(self, node: LayerNode, shapes: list, ranks: list) -> tuple[list | None, int | None]:
        """An operation on its inputs: the shapes broadcast, join or reshape as Keras would; its output shape."""
        op = OPS[node.type]
        if "value" in node.args:
            shapes, ranks = shapes + [[]], ranks + [0]  # a number broadcasts as a scalar
        shape, problem = op_shape(op, node.args, shapes)
        if problem is not None:
            self.err(node.path, ARGUMENT_VALUE, f"operation {shown(node.name)} ({op.name}): {problem}")
            return None, None
        return shape, (len(shape) if shape is not None else op_rank(op, node.args, ranks))

    def follow_call(self, node: LayerNode, layer: LayerNode, first: list | None, shape_in: list | None,
                    rank_in: int | None, shapes: dict[str, list | None]) -> tuple[list | None, int | None]:
        """A further call of a layer: its weights were made for the first call's input, so the input width must be
        the same wherever the weights depend on it; then the layer is followed as on its first call."""
        w1 = first[-1] if first else None
        w2 = shape_in[-1] if shape_in else None
        if isinstance(w1, int) and isinstance(w2, int) and w1 != w2 and _estimate(layer, [w1])[0] != _estimate(
                layer, [w2])[0]:
            self.err(node.path + (("inputs",) if node.inputs else ()), ARGUMENT_VALUE,
                     f"call {shown(node.name)} of layer {shown(layer.name)} ({layer.type}): its weights were made for "
                     f"inputs of width {w1} at its first call; this input has width {w2}")
            return None, None
        again = replace(layer, name=node.name, inputs=node.inputs, path=node.path, mark=node.mark)
        return self.follow(again, shape_in, rank_in, shapes)

    def follow(self, node: LayerNode, shape_in: list | None, rank_in: int | None,
               shapes: dict[str, list | None]) -> tuple[list | None, int | None]:
        """One layer on its input: connection, window and weight budget checked. Its output shape (None when
        unknown, or when the layer is refused: no cascade of findings) and rank."""
        count, shape = _estimate(node, shape_in)
        where, problem, rank = _connect(node, len(node.inputs or [None]), rank_in, shape_in)
        if problem is None and len(node.inputs or ()) >= 2:
            ins = [shapes.get(ref) for ref in node.inputs or ()]
            if node.type in MERGE_SAME_SHAPE:
                where, problem = ("inputs",), _merge_problem(ins, node.inputs or [])
            elif node.type == "Concatenate":  # its width is its inputs' together, not its first input's
                where, problem = ("inputs",), _concat_problem(ins, node.inputs or [], node.args.get("axis", -1))
                shape = concat_shape(node.args.get("axis", -1), ins)
        if problem:
            self.err(node.path + where, ARGUMENT_VALUE, f"layer {shown(node.name)} ({node.type}): {problem}")
            shape = None
        problem = _window_problem(node, shape_in)
        if problem:
            self.err(node.path, ARGUMENT_VALUE, f"layer {shown(node.name)} ({node.type}): {problem}")
            shape = None
        if count > self.limits.max_params:
            self.err(node.path, LIMIT_PARAMS,
                     f"layer {shown(node.name)} ({node.type}) would hold at least {count:,} weights, over the budget "
                     f"of {self.limits.max_params:,} (raise it with --max-params)")
            shape = None
        if rank is None and shape is not None and node.type in SHAPED_BY_ARGUMENTS:
            rank = len(shape)  # Reshape's target, a padding: the shape is exact, so its rank is known
        return shape, rank

    def outputs_not_inputs(self, nodes: list[LayerNode], mf: ModelFile) -> None:
        """A finding where a layer that returns its input tensor itself (Equalization, as probed) is given a tensor
        another layer made, or gives a model output: Keras marks that tensor as the layer's output too and refuses
        the model ("part of a cycle")."""
        if not nodes:
            return
        by_name = {n.name: n for n in nodes}
        for i, node in enumerate(nodes):
            made = [r for r in node.inputs or [] if r not in self.input_names] if mf.inputs else (["?"] if i else [])
            if node.is_layer and returns_input(node.type) and made:
                self.err(node.path, ARGUMENT_VALUE,
                         f"{node.type} {shown(node.name)} returns the tensor it is given unchanged, and Keras then "
                         f"records that tensor as its output: a tensor another layer made becomes part of a cycle "
                         f"and Keras refuses the model (apply {node.type} to a model input)")
        for j, out in enumerate(mf.outputs or [nodes[-1].name]):
            found = by_name.get(out)
            if found is not None and returns_input(found.type):
                self.err(found.path if mf.outputs is None else ("outputs", j), ARGUMENT_VALUE,
                         f"the model's output {shown(out)} ({found.type}) is the tensor it was given, returned "
                         f"unchanged when the model is built, and Keras refuses it as an output (part of a cycle; "
                         f"add a layer that computes something after it)")

    def model(self, mf: ModelFile, data: dict, gone: frozenset[tuple]) -> list[LayerNode | None]:
        """Every check of the model as a whole and of its entries: one per entry, None where it has errors.

        `gone` holds the parts the schema refused (`("inputs",)`, `("shared", "l2")` ...): what depends on them
        is not checked (no finding for a reference to a shared entry that has its own error)."""
        self.io(data, gone)
        namer = Namer()
        self.inputs_checked(mf, namer)
        self.shared = self.shared_declarations(mf, data)
        self.shared.update({p[1]: None for p in gone if p[0] == "shared" and len(p) == 2})
        if ("layers",) in gone:
            return []
        raw_inputs = data.get("inputs")
        functional = isinstance(raw_inputs, dict)
        entries: list[LayerNode | None] = []
        for i, raw in enumerate(data["layers"]):
            entries.append(self.layer(raw, ("layers", i), namer, self.shared, functional, False))
            if entries[-1] is None and isinstance(raw, dict) and isinstance(raw.get("name"), str):
                self.failed.add(raw["name"])
        if isinstance(raw_inputs, dict) and ("inputs",) not in gone:
            self.wiring(mf, data["layers"], entries, set(raw_inputs), ("outputs",) not in gone)
        self.budget(entries, mf)
        return entries

    def io(self, data: dict, gone: frozenset[tuple]) -> None:
        """`input:` or `inputs:`, and `outputs:` beside `inputs:`; read from the file itself, so a part the schema
        refused is not reported missing as well."""
        has_input, has_inputs = data.get("input") is not None, data.get("inputs") is not None
        if has_input and has_inputs:
            self.err(("inputs",), MODEL_INPUTS, "give either 'input:' (sequential) or 'inputs:' (functional), not both",
                     at_key=True)
        if not has_input and not has_inputs:
            self.err((), MODEL_INPUTS, "a model needs 'input: {shape: [...]}' (sequential) or 'inputs:' (functional)")
        if data.get("inputs") == {}:
            self.err(("inputs",), MODEL_INPUTS, "'inputs:' names no input: a functional model needs at least one")
        if data.get("outputs") is not None and not has_inputs and ("outputs",) not in gone:
            self.err(("outputs",), MODEL_INPUTS, "'outputs:' belongs to a functional model (with 'inputs:')", at_key=True)

    def shared_declarations(self, mf: ModelFile, data: dict) -> dict[str, ComponentUse | None]:
        decls: dict[str, ComponentUse | None] = {}
        for sname, decl in mf.shared.items():
            dpath = ("shared", sname)
            given = [k for k in KINDS if getattr(decl, k) is not None]
            if len(given) != 1:
                self.err(dpath, SHARED_DECLARATION,
                         f"shared {shown(sname)} must name exactly one of initializer, regularizer, constraint"
                         + (f" (it names {', '.join(given)})" if given else ""))
                decls[sname] = None
                continue
            kind = given[0]
            decls[sname] = self.component(data["shared"][sname][kind], kind, dpath + (kind,), None)
        return decls

    def layers_best_effort(self, data: dict) -> None:
        """Check every layer of a file whose top level has errors, with what can be read of its context."""
        decls: dict[str, ComponentUse | None] = {}
        shared = data.get("shared")
        for name, decl in (shared.items() if isinstance(shared, dict) else ()):
            kinds = [k for k in KINDS if isinstance(decl, dict) and decl.get(k) is not None]
            decls[name] = self.component(decl[kinds[0]], kinds[0], ("shared", name, kinds[0]), None) \
                if len(kinds) == 1 and isinstance(decl, dict) else None
        namer = Namer()
        functional = isinstance(data.get("inputs"), dict)
        for i, raw in enumerate(data["layers"]):
            self.layer(raw, ("layers", i), namer, decls, functional, False)

    def wiring(self, mf: ModelFile, raws: list, entries: list[LayerNode | None], input_names: set[str],
               outputs: bool) -> None:
        """Every `inputs:` reference names a model input or an earlier entry, and every output an entry. An entry
        with errors of its own still has its references checked, and is known by the name it gives."""
        known = set(input_names)
        names = Suggester(known)  # bounded did-you-mean over a growing set: N unknown names cost O(N)
        for i, (raw, node) in enumerate(zip(raws, entries)):
            refs = node.inputs if node is not None else _raw_refs(raw)
            for j, ref in enumerate(refs or []):
                if ref not in known:
                    self.err(("layers", i, "inputs", j), UNKNOWN_REFERENCE,
                             f"{shown(ref)} is neither a model input nor an earlier layer{names.suggest(ref)}")
            name = node.name if node is not None else (raw.get("name") if isinstance(raw, dict) else None)
            if isinstance(name, str):
                known.add(name)
                names.add(name)
        for j, ref in enumerate(mf.outputs or [] if outputs else []):
            if ref not in known:
                self.err(("outputs", j), UNKNOWN_REFERENCE, f"output {shown(ref)} names no layer{names.suggest(ref)}")

    def allows(self, mf: ModelFile) -> tuple[Allow, ...]:
        out = []
        for i, a in enumerate(mf.allow):
            line, col = self.loaded.mark(("allow", i))
            out.append(Allow(a.rule, tuple(a.slots), a.reason, self.loaded.file, line, col))
        return tuple(out)


PolicyLoader = Callable[[str, Loaded], "tuple[Policy | None, list[Finding]]"]


Connection = tuple[tuple, "str | None", "int | None"]  # (where, why Keras cannot connect it, its output rank)


def _first_input(mf: ModelFile, shapes: dict, ranks: dict) -> tuple[list | None, int | None]:
    """The shape and rank a first entry without `inputs:` reads: the sequential input, or a functional model's
    only input (unknown with several)."""
    if mf.input is not None:
        return list(mf.input.shape) or None, len(mf.input.shape)
    if len(shapes) == 1:
        return next(iter(shapes.values())), next(iter(ranks.values()))
    return None, None


def _raw_refs(raw: Any) -> list[str]:
    """The `inputs:` names of an entry that has errors of its own (none unless a list of names)."""
    refs = raw.get("inputs") if isinstance(raw, dict) else None
    return refs if isinstance(refs, list) and all(isinstance(r, str) for r in refs) else []


def _graph_entry(raw: Any) -> bool:
    """An operation (`op:`) or a further call of a layer (`call:`) rather than a layer (`type:`)."""
    return isinstance(raw, dict) and ("op" in raw or "call" in raw) and "type" not in raw


def _connect(node: LayerNode, n_in: int, rank: int | None, shape: list | None, in_pipeline: bool = False) -> Connection:
    """(where, why Keras cannot connect the node, its output rank): from the probed calls of each layer type, wrappers
    followed into their inner layer. No finding where the rank or the layer type is not known. `in_pipeline`: the
    node runs inside a Pipeline, which calls everything in it in training mode (the probe's `in_pipeline` ranks)."""
    inner = node.sublayers.get("layer")
    merge = _wrapped_merge(node, inner)
    if merge is not None:
        return merge
    if node.type in STEP_WRAPPERS and isinstance(inner, LayerNode):
        return _connect_steps(node, inner, n_in, rank, shape, in_pipeline)
    problem = call_problem(node.type, n_in, rank, node.args, in_pipeline)
    if problem is not None:
        return (), problem, None
    if node.type in PASS_WRAPPERS and isinstance(inner, LayerNode):
        where, problem, out = _connect(inner, n_in, rank, shape, in_pipeline)
        if node.type == "Bidirectional" and node.args.get("merge_mode", "concat") is None:
            out = None
        return ("layer", *where), problem, out
    own = _argument_problem(node, rank, shape)
    if own is not None:
        return own[0], own[1], None
    inner_layers = node.sublayers.get("layers")
    if node.type in SEQUENCE_WRAPPERS and isinstance(inner_layers, list):  # its layers run in order
        return _connect_sequence(inner_layers, n_in, rank, shape)
    if node.sublayers and node.type not in ("RNN",):
        return (), None, None
    return (), None, output_rank(node.type, n_in, rank, node.args, in_pipeline)


def _connect_steps(node: LayerNode, inner: LayerNode, n_in: int, rank: int | None, shape: list | None,
                   in_pipeline: bool) -> Connection:
    """TimeDistributed: its layer is called on each step, one axis less, and must say what shape it returns."""
    if rank is not None and rank < 2:
        return (), f"{node.type} needs inputs with a time axis and at least one more axis; this input has {rank}", None
    if probe(inner.type).get("in_time_distributed") is False:
        return ("layer",), (f"Keras cannot call {inner.type} inside {node.type} at any rank: {node.type} asks its "
                            f"layer what shape it returns, and {inner.type} does not say (measured)"), None
    where, problem, out = _connect(inner, n_in, rank - 1 if rank is not None else None, shape[1:] if shape else None,
                                   in_pipeline)
    return ("layer", *where), problem, (out + 1 if out is not None and problem is None else None)


def _wrapped_merge(node: LayerNode, inner: Any) -> Connection | None:
    """A merge or attention layer inside a wrapper: the build calls a merge on a list of inputs and attention on a
    query and a value (one input twice), a wrapper passes it one tensor."""
    wrapped = [inner] if node.type in STEP_WRAPPERS and isinstance(inner, LayerNode) else \
        node.sublayers.get("layers") if node.type in SEQUENCE_WRAPPERS else None
    for i, layer in enumerate(wrapped if isinstance(wrapped, list) else ()):
        if layer.type in LIST_INPUT_TYPES or layer.type in ATTENTION_TYPES:
            needs = "a list of inputs" if layer.type in LIST_INPUT_TYPES else "a query and a value"
            return (("layer",) if node.type in STEP_WRAPPERS else ("layers", i)), (
                f"{node.type} calls its {'layer' if node.type in STEP_WRAPPERS else 'layers'} on one tensor, and "
                f"Keras calls {layer.type} on {needs}"), None
    return None


def _argument_problem(node: LayerNode, rank: int | None, shape: list | None) -> tuple[tuple, str] | None:
    """(where, why) for an argument that does not fit the input: an axis it lacks, a reshape, a width."""
    listed = input_list_problem(node.type, node.args, rank)
    if listed is not None:
        return (listed[0],), listed[1]
    axis = axis_problem(node.type, node.args, rank)
    if axis is not None:
        return (axis[0],), axis[1]
    reshape = reshape_problem(node.type, node.args, shape)
    if reshape is not None:
        return ("target_shape",), reshape
    width = shape[-1] if shape and isinstance(shape[-1], int) else None
    width_issue = width_problem(node.type, node.args, width)
    if width_issue is not None:
        return ((width_issue[0],) if width_issue[0] in node.args else ()), width_issue[1]
    return None


def _connect_sequence(layers: list, n_in: int, rank: int | None, shape: list | None) -> Connection:
    """A Pipeline's layers, each on the output of the one before, as the Pipeline calls them (in training mode)."""
    for i, layer in enumerate(layers):
        where, problem, rank = _connect(layer, n_in if i == 0 else 1, rank, shape, in_pipeline=True)
        windowed = _window_problem(layer, shape) if problem is None else None
        problem = problem or (f"{layer.type} inside it: {windowed}" if windowed else None)
        if problem is not None:
            return ("layers", i, *where), problem, None
        shape = _estimate(layer, shape)[1]
        if shape is not None and rank is not None and len(shape) != rank:  # estimated as called outside a Pipeline
            shape = None
    return (), None, rank


def _window_problem(node: LayerNode, shape: list | None) -> str | None:
    """Why Keras would refuse the node's window on an input of `shape`, or its wrapped layer's on what the wrapper
    gives it (TimeDistributed: each step, one axis less; SpectralNormalization, Bidirectional: the same input)."""
    inner = node.sublayers.get("layer")
    if isinstance(inner, LayerNode) and node.type in STEP_WRAPPERS | PASS_WRAPPERS:
        problem = _window_problem(inner, (shape[1:] or None) if shape and node.type in STEP_WRAPPERS else shape)
        return f"{inner.type} inside it: {problem}" if problem else None
    return window_problem(node.type, node.args, shape)


def _merge_problem(shapes: list, refs: list[str]) -> str | None:
    """Why Keras cannot merge inputs of these shapes elementwise: two fully known shapes of one rank that differ
    on an axis where neither is 1 (no broadcast)."""
    known = [(ref, sh) for ref, sh in zip(refs, shapes)
             if sh and all(isinstance(d, int) and not isinstance(d, bool) for d in sh)]
    for (ra, a), (rb, b) in zip(known, known[1:]):
        if len(a) == len(b) and any(x != y and 1 not in (x, y) for x, y in zip(a, b)):
            return (f"its inputs {shown(ra)} {a} and {shown(rb)} {b} differ in shape; an elementwise merge needs "
                    f"the same shape (or 1 on an axis)")
    return None


def _concat_problem(shapes: list, refs: list[str], axis: Any) -> str | None:
    """Why Keras cannot concatenate inputs of these shapes: two fully known shapes of different ranks, or that
    differ on an axis other than the one joined."""
    known = [(ref, sh) for ref, sh in zip(refs, shapes)
             if sh and all(isinstance(d, int) and not isinstance(d, bool) for d in sh)]
    for (ra, a), (rb, b) in zip(known, known[1:]):
        if len(a) != len(b):
            return f"its inputs {shown(ra)} {a} and {shown(rb)} {b} have different ranks; Concatenate needs one rank"
        if not isinstance(axis, int) or not -len(a) - 1 <= axis <= len(a) or axis == 0:
            return None  # the batch axis, or an axis Keras judges itself
        joined = axis - 1 if axis > 0 else len(a) + axis
        if any(x != y for i, (x, y) in enumerate(zip(a, b)) if i != joined):
            return (f"its inputs {shown(ra)} {a} and {shown(rb)} {b} differ on an axis other than the one joined "
                    f"(axis {axis}); Concatenate needs the same size there")
    return None


def _estimate(node: LayerNode, shape_in: list | None) -> tuple[int, list | None]:
    """(lower bound on the node's weights, its output shape or None), wrappers included."""
    n_in = shape_in[-1] if shape_in and isinstance(shape_in[-1], int) else None
    layers = node.sublayers.get("layers")
    if node.type in SEQUENCE_WRAPPERS and isinstance(layers, list):  # each on the shape the one before makes
        total, shape = 0, shape_in
        for layer in layers:
            count, shape = _estimate(layer, shape)
            total += count
        return total, shape
    inner = node.sublayers.get("layer") or node.sublayers.get("cell")
    if isinstance(inner, LayerNode) and node.type == "TimeDistributed":  # the inner layer sees one step
        count, shape = _estimate(inner, shape_in[1:] if shape_in else None)
        return count, ([shape_in[0], *shape] if shape_in and shape else None)
    if isinstance(inner, LayerNode):
        count, shape = _estimate(inner, shape_in)
        width = shape[-1] if shape else None
        if node.type == "Bidirectional":
            merge = node.args.get("merge_mode", "concat")
            return 2 * count, [2 * width if width is not None and merge == "concat" else width]
        return count, shape
    return layer_params(node.type, node.args, n_in), output_shape(node.type, node.args, shape_in, len(node.inputs or [None]))


def check_model(loaded: Loaded, policy_loader: PolicyLoader, limits: Limits = DEFAULT_LIMITS) -> ModelCheck:
    """Validate a loaded model file, load its policy and plan it: findings, spec and the one plan.

    `policy_loader(ref, loaded)` resolves the file's `policy:` (or an override
    given by the caller) into a `Policy` and findings.
    """
    result = ModelCheck()
    data = loaded.value
    if not isinstance(data, dict):
        result.findings.append(loaded.finding((), SCHEMA_TOP_LEVEL, "top level must be a mapping with 'kind: model'"))
        return result
    ck = _Checker(loaded, limits)
    if ck.forbidden_keys(data, ()):
        result.findings = ck.findings
        return result
    layers_raw = data.get("layers")
    own_layers = isinstance(layers_raw, list) and bool(layers_raw)
    # Layers are checked by our own checker below, in the same pass: the schema sees a stand-in list.
    mf, findings = validate_as("ModelFile", {**data, "layers": [{"type": "Dense"}]} if own_layers else data, loaded)
    gone: frozenset[tuple] = frozenset()
    if mf is None:  # one pass: check the rest without the parts in error, skipping only what depends on them
        mf, gone = salvaged("ModelFile", {**data, "layers": [{"type": "Dense"}]} if own_layers else data)
    if mf is None:
        if own_layers:  # a top level that cannot be read does not hide the layers' own problems
            ck.layers_best_effort(data)
        result.findings = findings + ck.findings
        return result
    nodes = ck.model(mf, data, gone)
    result.findings = findings + ck.findings
    # the policy is read whatever the layers hold: its problems are independent of theirs
    policy, pfindings = policy_loader(mf.policy, loaded) if ("policy",) not in gone else (None, [])
    result.policy = policy
    if any(f.severity == "error" for f in result.findings) or policy is None:
        result.findings.extend(pfindings)
        result.judged = False
        return result
    warnings, result.findings = tuple(result.findings), list(pfindings)
    result.spec = ModelSpec(
        loaded.file, mf.name or "model", mf.seed, mf.policy, mf.input, mf.inputs, mf.outputs,
        {k: v for k, v in ck.shared.items() if v is not None}, [n for n in nodes if n is not None],
        loaded.base_dir, ck.allows(mf),
    )
    result.plan = plan_model(result.spec, policy, warnings)
    result.findings.extend(result.plan.findings)
    return result


def plan_model(spec: ModelSpec, policy: Policy, warnings: tuple[Finding, ...] = ()) -> Plan:
    """The plan of a validated model, slots in the order the factory builds them.

    Order: shared declarations, then each layer after the layers it wraps; a
    Bidirectional layer's own slots, then its backward copy (which repeats its
    shared references and re-derives its explicit seeds). Without `seed:` in
    the file, derived seeds stay unbound ("random") until a build binds them.
    """
    planner = Planner(policy, spec.seed, explicit_seeds(spec))
    for name, c in spec.shared.items():
        planner.declare_shared(name, c.kind, c.class_name, c.config)
    for node in spec.layers:
        if node.is_layer:  # operations own no slots; a further call reuses its layer's
            _plan_node(planner, spec, node, owner="", prefix="", backward=False)
    plan = planner.freeze(spec.allows)
    # the rules that own a check over the model graph (core/rules/*.py: `@RULE.check`)
    checked = tuple(f for _, check in graph_checks() for f in check(spec, plan))
    extra = warnings + checked  # the file's warnings travel with the plan, so every command reports them
    return replace(plan, findings=plan.findings + extra) if extra else plan


def explicit_seeds(spec: ModelSpec) -> tuple[int, ...]:
    """Every explicit initializer seed the file writes (shared declarations and slots, wrapped layers included)."""
    uses = list(spec.shared.values()) + [c for node in spec.nodes() for c in node.components.values()]
    seeds = {u.config.get("seed") for u in uses if u.kind == "initializer" and u.shared is None}
    return tuple(sorted(s for s in seeds if isinstance(s, int) and not isinstance(s, bool)))


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
