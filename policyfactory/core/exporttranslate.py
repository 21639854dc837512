"""A Keras model's config (read as data) translated to a model file's data (`kind: model`).

Names resolve only through the catalog; what the model file cannot express is
refused, refusals for one reason gathered into one finding; only non-default
arguments are kept and components take their shortest form. See `export_yaml`.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Mapping
from typing import Any

from .catalog import ComponentType, LayerType, catalog
from .findings import Finding
from .kerasconfig import MODEL_CLASSES, is_keras, layer_name
from .layerinfo import LIST_INPUT_TYPES
from .naming import snake_case
from .ops import BINARY, BY_KERAS_CLASS, CONCAT, OPS, OpType
from .records import field, record
from .resolve import parse_component
from .rules.components import LAYER_NOT_ALLOWED, UNKNOWN_COMPONENT_CLASS, UNKNOWN_LAYER_TYPE
from .rules.tools import EXPORT_UNSUPPORTED

LAYER_MODULE = "keras.layers"
COMPONENT_MODULES = {"initializer": "keras.initializers", "regularizer": "keras.regularizers",
                     "constraint": "keras.constraints"}
# What Keras writes in a config where the constructor's default is null (standard Keras configuration).
RESOLVED_DEFAULTS = {"data_format": "channels_last", "activation": "linear"}
# Config keys that are not constructor arguments of the catalog type, with the value Keras gives them by itself.
# (Keys whose value is null or false are dropped too: that is what Keras assumes when they are absent.)
IMPLICIT_KEYS = {"data_format": "channels_last", "oov_method": "floormod"}
DERIVED_KEYS = ("vocabulary_size",)  # derived by Keras from another argument (the vocabulary)
IGNORED_CALL_KWARGS = ("mask", "training")  # recorded by Keras at a symbolic call; null/false changes nothing
_OMIT = object()
COMMUTATIVE = ("add", "multiply", "maximum", "minimum")  # a constant operand's place does not matter


@record
class _Refused:
    """Layers (or places) refused for one reason, reported as one finding."""

    rule: str
    text: str
    where: list[str] = field(default_factory=list)
    quote: bool = True  # the places are bare names, quoted once when shown


@record
class _Pending:
    """One call of a layer, operation or nested model of a functional config, waiting for its inputs."""

    entry: dict
    name: str
    index: int  # which call of the entry (its inbound node)
    node: Any
    scope: tuple  # the nested models it is inside (empty: the exported model)


class Translation:
    """One translation: the model data it builds, and what it refused or noted on the way."""

    def __init__(self, file: str, line: int, identity: Mapping[tuple, Any]):
        self.cat = catalog()
        self.file, self.line = file, line
        self.identity = identity
        self.refused: dict[tuple, _Refused] = {}
        self.names: set[str] = set()
        self.uses: dict[Any, list[tuple[dict, str, str, Any, Any]]] = {}  # identity -> (owner, arg, kind, full, short)
        self.notes: list[str] = []
        self.model_class = ""
        self.emitted: list[dict] = []  # the entries of a functional model, in the order they are written
        self.prev: str | None = None  # the entry a following entry without inputs: reads
        self.tensors: dict[tuple, str] = {}  # (scope, Keras layer, call, output) -> the entry that makes it
        self.replays: dict[tuple, tuple] = {}  # scope of a nested model's later call -> scope of its first call

    # -- findings -----------------------------------------------------------------------------------
    def fail(self, rule: str, message: str) -> Finding:
        return Finding(self.file, self.line, 1, rule, message)

    def refuse(self, key: tuple, rule: str, text: str, where: str | None = None) -> None:
        """Record a refusal; refusals with one key become one finding that lists every place."""
        r = self.refused.setdefault(key, _Refused(rule, text))
        if where is not None and where not in r.where:
            r.where.append(where)

    def findings(self) -> list[Finding]:
        out = []
        for r in self.refused.values():
            text = r.text
            if r.where:
                places = [f"'{w}'" if r.quote else w for w in r.where]
                shown = ", ".join(places[:5]) + (f" and {len(places) - 5} more" if len(places) > 5 else "")
                text = text.replace("{where}", shown).replace("{n}", str(len(r.where)))
            out.append(self.fail(r.rule, text))
        return out

    def unsupported(self, where: str, text: str) -> None:
        """One finding per cause: places refused for the same reason are listed in it (`where` as shown)."""
        r = self.refused.setdefault(("unsupported", text), _Refused(EXPORT_UNSUPPORTED, "{where}: " + text,
                                                                    quote=False))
        if where not in r.where:
            r.where.append(where)

    # -- the model ------------------------------------------------------------------------------------
    def model(self, serialized: Mapping, policy: str, seed: int | None) -> dict | None:
        cls = serialized.get("class_name") if isinstance(serialized, Mapping) else None
        cfg = serialized.get("config") if isinstance(serialized, Mapping) else None
        if not isinstance(cls, str) or not isinstance(cfg, dict):
            self.unsupported("the config", "not a serialized Keras model (class_name and config)")
            return None
        self.model_class = cls
        module = serialized.get("module")
        if cls not in MODEL_CLASSES or not is_keras(module, serialized.get("registered_name"), cls):
            self.refuse(("model",), EXPORT_UNSUPPORTED,
                        f"model class '{cls}' is a subclassed model: its config holds no layer graph; export takes "
                        f"Functional and Sequential models (build it as keras.Model(inputs, outputs) to export it)")
            return None
        layers = cfg.get("layers")
        if not isinstance(layers, list) or not layers:
            self.unsupported(f"model '{cfg.get('name')}'", "its config lists no layers")
            return None
        data: dict[str, Any] = {"kind": "model", "version": 1, "name": str(cfg.get("name") or "model"),
                                "policy": policy}
        if seed is not None:
            data["seed"] = seed
        self.names = {layer_name(e) for e in layers}
        if cls == "Sequential":
            body = self.sequential(cfg, layers)
        else:
            body = self.functional(cfg, layers)
        if body is None:
            return None
        shared = self.shared_entries()
        for key, value in body.items():
            if key == "layers" and shared:
                data["shared"] = shared
            data[key] = value
        return data

    def sequential(self, cfg: dict, layers: list) -> dict | None:
        first = _dict(layers[0])
        spec: dict[str, Any] = {}
        if first.get("class_name") == "InputLayer":
            spec = self.input_spec(first) or {}
            layers = layers[1:]
        elif isinstance(cfg.get("build_input_shape"), list) and cfg["build_input_shape"]:
            spec = {"shape": cfg["build_input_shape"][1:]}  # built with model.build(shape), no keras.Input
        if not spec:
            self.unsupported(f"Sequential model '{cfg.get('name')}'", "has no input shape: start it with "
                             "keras.Input(shape) or build it before exporting")
            return None
        out = [self.layer(e) for e in self.flattened(layers)]
        if not out:
            self.unsupported(f"model '{cfg.get('name')}'", "has no layers besides its input")
        return {"input": spec, "layers": out}

    def flattened(self, layers: list) -> list:
        """A Sequential model's layers, those of a nested Sequential model written in its place (they run in
        order all the same)."""
        out = []
        for e in layers:
            cfg = _dict(e.get("config")) if isinstance(e, dict) else {}
            if not (isinstance(e, dict) and e.get("class_name") == "Sequential"
                    and is_keras(e.get("module"), e.get("registered_name"), "Sequential")):
                out.append(e)
                continue
            inner = [x for x in _list(cfg.get("layers")) if not (isinstance(x, dict) and x.get("class_name") == "InputLayer")]
            clash = sorted({layer_name(x) for x in inner} & self.names)
            if clash:
                self.unsupported(f"nested model '{layer_name(e)}'", f"has layers named as layers of the outer model "
                                 f"({', '.join(clash[:3])}); the model file writes nested layers in the outer model, "
                                 "where names are unique")
                continue
            self.names |= {layer_name(x) for x in inner}
            out.extend(self.flattened(inner))
        return out

    def functional(self, cfg: dict, layers: list) -> dict | None:
        inputs: dict[str, dict] = {}
        for entry in layers:
            if isinstance(entry, dict) and entry.get("class_name") == "InputLayer":
                spec = self.input_spec(entry)
                if spec is not None:
                    inputs[layer_name(entry)] = spec
        refs = self.refs(cfg.get("input_layers"), "inputs")
        outputs = self.refs(cfg.get("output_layers"), "outputs")
        if refs is None or outputs is None:
            return None
        order = [name for name, _ in refs]
        inputs = {n: inputs[n] for n in order if n in inputs}
        self.emitted = []
        self.prev = order[0] if len(order) == 1 else None
        self.tensors = {((), n, 0, 0): n for n in inputs}
        self.graph(layers, ())
        if not self.emitted:
            self.unsupported(f"model '{cfg.get('name')}'", "has no layers besides its inputs")
        out_names = [self.tensors.get(((), n, k, 0), n) for n, k in outputs]
        return {"inputs": inputs, "layers": self.emitted, "outputs": out_names}

    def graph(self, layers: list, scope: tuple) -> None:
        """Every call in a functional config as entries, each after the entries it reads (a layer's later calls
        may read layers listed after it). Entries whose inputs never appear are refused."""
        pending = [_Pending(e, layer_name(e), k, node, scope)
                   for e in layers if isinstance(e, dict) and e.get("class_name") != "InputLayer"
                   for k, node in enumerate(_list(e.get("inbound_nodes")) or [None])]
        while pending:
            waiting = [p for p in pending if not self.emit_when_ready(p)]
            if len(waiting) == len(pending):
                for p in waiting:
                    self.unsupported(f"layer '{p.name}'", "is not called on any input, or on a tensor the config "
                                     "does not make")
                return
            pending = waiting

    def emit_when_ready(self, p: _Pending) -> bool:
        """Emit one call if every tensor it reads has an entry (True), else leave it waiting (False)."""
        if p.node is None:
            self.unsupported(f"layer '{p.name}'", "is not called on any input")
            return True
        if p.index > 0 and (p.scope, p.name, 0, 0) not in self.tensors:
            return False  # a further call follows the layer's own entry
        parsed = self.call_args(p)
        if parsed is not None:
            operands, as_list = parsed
            if any(isinstance(o, tuple) and o not in self.tensors for o in operands):
                return False
            self.emit(p, [self.tensors[o] if isinstance(o, tuple) else o for o in operands], as_list)
        # a refused call still makes its tensor: the entries reading it are judged too (no cascade of findings)
        self.tensors.setdefault((p.scope, p.name, p.index, 0), p.name)
        return True

    def call_args(self, p: _Pending) -> tuple[list, bool] | None:
        """The operands of one call: tensors as (scope, layer, call, output) keys, constants as they are; and
        whether they came as one list. None when the call cannot be written (refused)."""
        node = _dict(p.node)
        where = f"layer '{p.name}'"
        for key, value in _dict(node.get("kwargs")).items():
            if not (key in IGNORED_CALL_KWARGS and value in (None, False)):
                self.unsupported(where, f"is called with the argument {key}={_short(value)}; the model file passes "
                                 "only the layer's inputs, positionally")
                return None
        args = _list(node.get("args"))
        as_list = len(args) == 1 and isinstance(args[0], list)
        operands = []
        for t in (args[0] if as_list else args):
            history = _dict(t.get("config")).get("keras_history") if isinstance(t, dict) else None
            if isinstance(t, dict) and t.get("class_name") == "__keras_tensor__" and _is_history(history):
                assert history is not None
                if history[2] != 0:
                    self.unsupported(where, f"takes output {history[2]} of layer '{history[0]}'; the model file uses "
                                     "the first output of a layer")
                    return None
                operands.append((p.scope, history[0], history[1], 0))
            else:
                operands.append(self.plain(t, f"{where} operand"))
        if any(o is _OMIT for o in operands):
            return None
        return operands, as_list

    def emit(self, p: _Pending, operands: list, as_list: bool) -> None:
        """Write one call: an operation, a nested model inlined, a layer's own entry or a further call of it."""
        entry, cls, module = p.entry, p.entry.get("class_name"), p.entry.get("module")
        if isinstance(module, str) and module.startswith("keras.src.ops"):
            out = self.operation(p, operands, as_list)
        elif cls in MODEL_CLASSES and is_keras(module, entry.get("registered_name"), str(cls)):
            self.nested(p, operands)
            return
        elif not all(isinstance(o, str) for o in operands):
            self.unsupported(f"layer '{p.name}'", "is called on a constant; the model file calls layers on "
                             "tensors (an operation entry takes a constant as value:)")
            return
        elif p.index == 0 and p.scope not in self.replays:
            out = self.called_layer(p, operands, as_list)
        else:  # a further call of the layer, or its call in a nested model called again
            out = self.call_entry(self.file_name(self.replays.get(p.scope, p.scope), p.name), operands)
        if out:
            self.emitted.append(out)
            self.prev = out["name"]
            self.tensors[(p.scope, p.name, p.index, 0)] = out["name"]

    def call_entry(self, layer: str, operands: list) -> dict:
        out: dict[str, Any] = {"call": layer, "name": self.fresh(f"{layer}_call")}
        if operands != [self.prev]:
            out["inputs"] = operands
        return out

    def file_name(self, scope: tuple, name: str) -> str:
        return self.tensors.get((scope, name, 0, 0), name)

    def fresh(self, base: str) -> str:
        """A name no layer of the model has: base, base_1 ..."""
        name, n = base, 1
        while name in self.names:
            name, n = f"{base}_{n}", n + 1
        self.names.add(name)
        return name

    def called_layer(self, p: _Pending, operands: list, as_list: bool) -> dict:
        cls = p.entry.get("class_name")
        lt = self.cat.layer(cls)
        if lt is not None and as_list != (lt.name in LIST_INPUT_TYPES):
            how = "a list of inputs" if as_list else "separate inputs"
            self.unsupported(f"layer '{p.name}' ({lt.name})", f"is called on {how}, which the model file cannot "
                             f"write for this layer type")
            return {}
        name = p.name if not p.scope else self.file_name(p.scope, p.name)
        return self.layer(p.entry, None if operands == [self.prev] else operands, name=name)

    def operation(self, p: _Pending, operands: list, as_list: bool) -> dict:
        """A Keras operation on tensors as an `op:` entry of the closed list (`core/ops.py`)."""
        cls, module = str(p.entry.get("class_name")), str(p.entry.get("module"))
        op = BY_KERAS_CLASS.get((module, cls))
        if op is None:
            self.refuse(("op", module, cls), EXPORT_UNSUPPORTED,
                        f"Keras operation {cls} ({module}) is applied to symbolic tensors {{n}} time(s) ({{where}}), "
                        f"and it is not one of the operations a model file can write ({', '.join(OPS)}); compute it "
                        f"with those or with a catalog layer", p.name)
            return {}
        out: dict[str, Any] = {"op": op.name, "name": self.fresh(p.name) if p.scope in self.replays else
                               self.file_name(p.scope, p.name)}
        tensors = [o for o in operands if isinstance(o, str)]
        consts = [o for o in operands if not isinstance(o, str)]
        if not _writable_operands(op, consts, as_list):
            self.unsupported(f"operation '{p.name}' ({op.name})", "is applied to operands the model file cannot "
                             f"write: {_short(operands)}")
            return {}
        if tensors != [self.prev] or op.kind == CONCAT:
            out["inputs"] = tensors
        if consts:
            out["value"] = consts[0]
            if not isinstance(operands[0], str) and op.name not in COMMUTATIVE:
                out["value_first"] = True
        self.op_config(p, op, out)
        return out

    def op_config(self, p: _Pending, op: OpType, out: dict) -> None:
        """An operation's own arguments from its Keras config, the non-default ones written into `out`."""
        for key, value in _dict(p.entry.get("config")).items():
            if key == "name":
                continue
            info = op.params.get(key)
            value = self.plain(value, f"operation '{p.name}' argument '{key}'")
            if info is None:
                self.unsupported(f"operation '{p.name}' ({op.name})", f"has '{key}: {_short(value)}', which is not "
                                 f"an argument policyfactory knows for {op.name}")
            elif value is not _OMIT and not ("default" in info and _same(info["default"], value)):
                out[key] = value

    def nested(self, p: _Pending, operands: list) -> None:
        """A nested Sequential or Functional model: at its first call its layers are written in its place, with
        their names and weights; at a later call each of its layers is called again (`call:` entries, the same
        weights) and its operations applied again. The outer model reads its output as the last of them."""
        cfg = _dict(p.entry.get("config"))
        where = f"nested model '{p.name}'"
        inner = [e for e in _list(cfg.get("layers")) if isinstance(e, dict)]
        own = {layer_name(e) for e in inner if e.get("class_name") != "InputLayer"}
        first = p.scope + (p.name,)
        if p.scope in self.replays:
            self.unsupported(where, "is nested in a nested model that is called more than once; the model file "
                             "writes the calls of one level of nested models")
            return
        if p.index == 0:
            clash = sorted(own & self.names)
            if clash:
                self.unsupported(where, f"has layers named as layers of the outer model ({', '.join(clash[:3])}); "
                                 "the model file writes nested layers in the outer model, where names are unique")
                return
            self.names |= own
            scope = first
        else:
            scope = first + (p.index,)
            self.replays[scope] = first
        if p.entry.get("class_name") == "Sequential":
            self.nested_sequential(p, inner, scope, operands)
        else:
            self.nested_functional(p, cfg, inner, scope, operands)

    def nested_sequential(self, p: _Pending, inner: list, scope: tuple, operands: list) -> None:
        prev_key = None
        for e in inner:
            if e.get("class_name") == "InputLayer":
                continue
            name = layer_name(e)
            ins = [self.tensors[prev_key]] if prev_key else operands
            if scope in self.replays:
                out = self.call_entry(name, ins)
            else:
                out = self.layer(e, None if ins == [self.prev] else ins, name=name)
            if out:
                self.emitted.append(out)
                self.prev = out["name"]
            prev_key = (scope, name, 0, 0)
            self.tensors[prev_key] = out.get("name", name)
        if prev_key is not None:
            self.tensors[(p.scope, p.name, p.index, 0)] = self.tensors[prev_key]

    def nested_functional(self, p: _Pending, cfg: dict, inner: list, scope: tuple, operands: list) -> None:
        order = [name for name, _ in self.refs(cfg.get("input_layers"), "inputs") or []]
        outputs = self.refs(cfg.get("output_layers"), "outputs") or []
        if len(order) != len(operands) or len(outputs) != 1:
            self.unsupported(f"nested model '{p.name}'", "has several outputs, or is called on other inputs than it "
                             "declares; the model file inlines nested models with one output")
            return
        for name, ref in zip(order, operands):
            self.tensors[(scope, name, 0, 0)] = ref
        self.graph(inner, scope)
        self.tensors[(p.scope, p.name, p.index, 0)] = self.tensors.get((scope, *outputs[0], 0), outputs[0][0])

    def input_spec(self, entry: dict) -> dict | None:
        cfg = _dict(entry.get("config"))
        name = layer_name(entry)
        shape = cfg.get("batch_shape", cfg.get("batch_input_shape"))
        if not isinstance(shape, list) or not shape:
            self.unsupported(f"input '{name}'", "has no shape in its config")
            return None
        for flag in ("sparse", "ragged", "optional"):
            if cfg.get(flag):
                self.unsupported(f"input '{name}'", f"is {flag}: the model file has dense, required inputs only")
        spec: dict[str, Any] = {"shape": shape[1:]}
        dtype = cfg.get("dtype")
        if isinstance(dtype, dict):  # a dtype policy
            dtype = _dict(dtype.get("config")).get("name")
        if isinstance(dtype, str) and dtype != "float32":
            spec["dtype"] = dtype
        return spec

    def refs(self, struct: Any, what: str) -> list[tuple[str, int]] | None:
        """Names of the model's input or output layers, in order."""
        if isinstance(struct, dict):  # Keras flattens a dict in the order of its sorted keys
            keys = sorted(struct, key=str)
            self.notes.append(f"The model's {what} were a dict; the model file lists them in the order Keras "
                              f"flattens it (sorted keys: {', '.join(map(str, keys))}).")
            items = [struct[k] for k in keys]
        elif _is_history(struct):
            items = [struct]
        elif isinstance(struct, list):
            items = struct
        else:
            self.unsupported("the model", f"its config names no {what}")
            return None
        names = []
        for item in items:
            if not _is_history(item):
                self.unsupported("the model", f"nested {what} structures cannot be written; give a flat list")
                return None
            if item[2] != 0:
                self.unsupported(f"output {item[2]} of layer '{item[0]}'", "the model file uses the first "
                                 "output of a layer only (a layer with several outputs)")
            names.append((item[0], item[1]))  # the layer, and which of its calls
        return names

    # -- layers -------------------------------------------------------------------------------------
    def layer_type(self, entry: Any, where: str) -> LayerType | None:
        if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str):
            self.unsupported(where, "is not a serialized Keras layer")
            return None
        cls, module, registered = entry["class_name"], entry.get("module"), entry.get("registered_name")
        lt = self.cat.layer(cls)
        if lt is not None and (lt.registered or is_keras(module, registered, cls, lt.module)):
            return lt
        bare = where.removeprefix("layer ").strip("'")
        if cls in MODEL_CLASSES and is_keras(module, registered, cls):
            self.unsupported(where, f"is a nested {cls} model inside a Sequential model or a wrapper; the model file "
                             "writes the layers of a nested model in its place in a functional model only: build "
                             "the outer model with keras.Model(inputs, outputs), or export the inner model on its own")
        elif cls in self.cat.excluded_layers and is_keras(module, registered, cls, LAYER_MODULE):
            self.refuse(("excluded", cls), LAYER_NOT_ALLOWED,
                        f"layer class '{cls}' ({{where}}) cannot be exported: {self.cat.excluded_layers[cls]}; "
                        f"replace it by a catalog layer, or by a custom layer class brought in with "
                        f"policyfactory.register_layer", bare)
        else:
            origin = f"registered as '{registered}'" if registered else f"module {module}"
            self.refuse(("layer", cls), UNKNOWN_LAYER_TYPE,
                        f"layer class '{cls}' ({origin}; {{where}}) is not in the policyfactory catalog: names resolve "
                        f"only through the catalog, and policyfactory.register_layer({cls}) is the way to bring a "
                        f"custom layer in (then export the live model from Python inside that registration)",
                        bare)
        return None

    def layer(self, entry: Any, inputs: list[str] | None = None, path: tuple | None = None, context: str = "",
              name: str | None = None) -> dict:
        """One layer as a model-file mapping (an empty one when it was refused).

        `path` is None for a top-level layer, else the slot path of a wrapped layer
        (the wrapper's path and its argument), which the identity map uses.
        """
        cfg = _dict(entry.get("config")) if isinstance(entry, dict) else {}
        raw_name = layer_name(entry)
        lt = self.layer_type(entry, f"layer '{raw_name}'")
        if lt is None:
            return {}
        if name is None:
            name = raw_name if path is None else self.nested_name(raw_name, context)
        key_path = (name,) if path is None else path
        out: dict[str, Any] = {"type": lt.name, "name": name}
        if inputs is not None:
            out["inputs"] = inputs
        where = f"layer '{name}' ({lt.name})"
        if cfg.get("return_state") is True:
            self.unsupported(where, "returns its states too (return_state=True): the model file uses layers with one "
                             "output")
        for key, value in cfg.items():
            if key == "name":
                continue
            if key in lt.slots:
                self.slot(out, lt, key, value, key_path + (key,), where)
            elif key in lt.layer_params:
                sub = self.sublayer(lt, cfg, key, value, key_path, where)
                if sub is not _OMIT:
                    out[key] = sub
            else:
                plain = self.argument(lt, key, value, cfg, where, context)
                if plain is not _OMIT:
                    out[key] = plain
        return out

    def nested_name(self, name: str, context: str) -> str:
        """A wrapped layer's name: Bidirectional's `forward_` prefix dropped, made unique in the file."""
        if context == "bidirectional" and name.startswith("forward_"):
            name = name[len("forward_"):]
        base, n = name, 1
        while name in self.names:
            name = f"{base}_{n}"
            n += 1
        self.names.add(name)
        return name

    def sublayer(self, lt: LayerType, cfg: dict, key: str, value: Any, path: tuple, where: str) -> Any:
        if value is None:
            return _OMIT
        context = "bidirectional" if lt.name == "Bidirectional" else ""
        if lt.name == "Bidirectional" and key == "backward_layer" and _same_backward(cfg.get("layer"), value):
            return _OMIT  # Keras's own copy of the forward layer: the factory builds it, with its own seeds
        if isinstance(value, list):
            return [self.layer(v, None, path + (key, i), context) for i, v in enumerate(value)]
        if not isinstance(value, dict):
            self.unsupported(where, f"argument '{key}' is not a serialized layer")
            return _OMIT
        return self.layer(value, None, path + (key,), context)

    def argument(self, lt: LayerType, key: str, value: Any, cfg: dict, where: str, context: str) -> Any:
        """A plain constructor argument as data, or _OMIT when it is Keras's default."""
        if key == "dtype":
            return self.dtype(value, where)
        if key not in lt.params:
            if value is None or value is False or key in DERIVED_KEYS or IMPLICIT_KEYS.get(key, _OMIT) == value \
                    or (key == "zero_output_for_mask" and context == "bidirectional"):
                return _OMIT
            self.unsupported(where, f"its config has '{key}: {_short(value)}', which is not an argument of "
                             f"{lt.name} in the catalog (Keras {self.cat.keras_version})")
            return _OMIT
        value = self.plain(value, f"{where} argument '{key}'")
        if value is _OMIT:
            return _OMIT
        info = lt.params[key]
        if "default" in info and _same(info["default"], value):
            return _OMIT
        if info.get("default", 0) is None and RESOLVED_DEFAULTS.get(key, _OMIT) == value:
            return _OMIT
        if key == "strides" and info.get("default", 0) is None and value == cfg.get("pool_size"):
            return _OMIT  # pooling: null strides mean the pool size
        return value

    def dtype(self, value: Any, where: str) -> Any:
        if value is None:
            return _OMIT
        name = value
        if isinstance(value, dict):
            if value.get("class_name") != "DTypePolicy" or not isinstance(value.get("config"), dict):
                self.unsupported(where, f"has the dtype policy {value.get('class_name')!r}, which the model file "
                                 "cannot write (a dtype policy name only)")
                return _OMIT
            name = value["config"].get("name")
        if not isinstance(name, str):
            self.unsupported(where, f"has a dtype that is not a name: {_short(value)}")
            return _OMIT
        return _OMIT if name == "float32" else name

    def plain(self, value: Any, where: str) -> Any:
        """Plain data from a config value: Keras's tuple and array wrappers become lists; objects are refused."""
        if isinstance(value, list):
            items = [self.plain(v, where) for v in value]
            return _OMIT if any(v is _OMIT for v in items) else items
        if isinstance(value, dict):
            if value.get("class_name") in ("__tuple__", "__numpy__") and isinstance(value.get("config"), dict):
                return self.plain(value["config"].get("value"), where)
            self.unsupported(where, f"holds {_short(value)}, a Keras object rather than data; the model file "
                             "writes plain values only")
            return _OMIT
        return value

    # -- components -------------------------------------------------------------------------------------
    def slot(self, out: dict, lt: LayerType, arg: str, value: Any, path: tuple, where: str) -> None:
        slot = lt.slots[arg]
        comp = self.component(slot.kind, value, f"{where} {arg}")
        if comp is None:
            return
        ct, config = comp
        full: Any = {"class_name": ct.name, "config": config} if config else _alias(ct)
        short = _OMIT if not config and ct.name == slot.default else full
        key = self.identity.get(path)
        if key is not None:
            self.uses.setdefault(key, []).append((out, arg, slot.kind, full, short))
            out[arg] = full  # placeholder, kept in its place; `shared_entries` decides
        elif short is not _OMIT:
            out[arg] = short

    def component(self, kind: str, value: Any, where: str) -> tuple[ComponentType, dict] | None:
        """The catalog class and non-default config of a serialized component, or None (null or refused)."""
        if value is None:
            return None
        written, _ = parse_component(kind, value)
        if written is None:
            self.unsupported(where, f"holds {_short(value)}, not a serialized {kind}")
            return None
        ct = written.component
        if isinstance(value, str):
            if ct is None:
                self.refuse(("component", kind, value), UNKNOWN_COMPONENT_CLASS,
                            f"{kind} '{value}' ({{where}}) is not in the policyfactory catalog", where)
                return None
            return ct, {}
        cls, module, registered = written.name, written.module, written.registered_name
        if ct is None or not (ct.registered or is_keras(module, registered, cls, COMPONENT_MODULES[kind])):
            origin = f"registered as '{registered}'" if registered else f"module {module}"
            self.refuse(("component", kind, cls), UNKNOWN_COMPONENT_CLASS,
                        f"{kind} class '{cls}' ({origin}; {{where}}) is not in the policyfactory catalog: "
                        f"policyfactory.register_component('{kind}', {cls}) is the way to bring it in (then export "
                        f"the live model from Python inside that registration)", where)
            return None
        config = {}
        for k, v in written.settings.items():
            info = ct.params.get(k)
            if info is None:
                if v is not None:
                    self.unsupported(where, f"{ct.name} has '{k}: {_short(v)}', which is not an argument of {ct.name} "
                                     "in the catalog")
                continue
            v = self.plain(v, f"{where} argument '{k}'")
            if v is not _OMIT and not ("default" in info and _same(info["default"], v)):
                config[k] = v
        return ct, config

    def shared_entries(self) -> dict[str, dict]:
        """One `shared:` entry for every component object that fills two or more written slots."""
        shared: dict[str, dict] = {}
        for uses in self.uses.values():
            if len(uses) < 2:
                for owner, arg, _kind, _full, short in uses:
                    if short is _OMIT:
                        del owner[arg]
                    else:
                        owner[arg] = short
                continue
            _owner, _arg, kind, full, _short_form = uses[0]
            base = snake_case(full if isinstance(full, str) else full["class_name"])
            name, n = base, 2
            while name in shared:
                name, n = f"{base}_{n}", n + 1
            shared[name] = {kind: full}
            for owner, arg, *_ in uses:
                owner[arg] = {"shared": name}
        return shared


# -- helpers ----------------------------------------------------------------------------------------------

def _writable_operands(op: OpType, consts: list, as_list: bool) -> bool:
    """Whether an operation's operands can be written: a list for concatenate only, at most one constant and only
    for a binary operation, and that constant a number."""
    if as_list != (op.kind == CONCAT) and as_list:
        return False
    if not consts:
        return True
    value = consts[0]
    return len(consts) == 1 and op.kind == BINARY and isinstance(value, (int, float)) and not isinstance(value, bool)


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _is_history(v: Any) -> bool:
    return (isinstance(v, list) and len(v) == 3 and isinstance(v[0], str)
            and all(isinstance(i, int) and not isinstance(i, bool) for i in v[1:]))


def _same(default: Any, value: Any) -> bool:
    """Whether a config value is the default, also as Keras normalizes it (1 -> [1, 1], (1, 1) -> ((1, 1), (1, 1))).

        >>> _same(1, [1, 1]), _same([1, 1], [[1, 1], [1, 1]]), _same(0.01, 0.009999999776482582), _same(1, [1, 2])
        (True, True, True, False)
    """
    if type(default) is type(value) and default == value:
        return True
    if isinstance(default, (int, float)) and not isinstance(default, bool) and isinstance(value, (int, float)) \
            and not isinstance(value, bool):
        return default == value or _float32(default) == _float32(value)  # Keras keeps some factors as float32
    if isinstance(value, list) and value:
        if isinstance(default, list):
            return len(default) == len(value) and all(_same(d, v) for d, v in zip(default, value))
        return not isinstance(default, (str, dict)) and default is not None and all(_same(default, v) for v in value)
    return False


def _float32(x: float) -> float:
    try:
        return struct.unpack("f", struct.pack("f", x))[0]
    except (OverflowError, struct.error):
        return x


def _same_backward(forward: Any, backward: Any) -> bool:
    """Whether Bidirectional's backward layer is Keras's copy of the forward one (go_backwards flipped)."""
    if not (isinstance(forward, dict) and isinstance(backward, dict)):
        return False
    f, b = _dict(forward.get("config")), _dict(backward.get("config"))
    if bool(b.get("go_backwards")) == bool(f.get("go_backwards")):
        return False
    return (forward.get("class_name") == backward.get("class_name")
            and _strip(f, ("name", "go_backwards")) == _strip(b, ("name", "go_backwards")))


def _strip(value: Any, keys: tuple = ()) -> Any:
    """A config without the given top-level keys and without Keras's `shared_object_id` anywhere."""
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in keys and k != "shared_object_id"}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _alias(ct: ComponentType) -> str:
    return ct.aliases[0] if ct.aliases else ct.name


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."
