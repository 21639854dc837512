"""Ask the installed Keras what it refuses: the per-layer knowledge of catalog.json (`probe` of each layer type).

Why probing: `validate` must not import Keras, yet it promises that whatever it passes, `build` builds. Instead of
writing by hand which values each argument takes, this module constructs every layer type with representative
right and wrong values (a string where an int belongs, lists, out-of-range numbers, nulls), calls it on small
symbolic inputs of every rank, builds it at two widths to count its weights, and records what Keras refused.
`policyfactory/core/layerinfo.py` reads the result; `tests/test_catalog_drift.py` re-probes a sample.

The hand-written facts it needs (a base configuration each layer type can be built with, the sublayer a wrapper is
probed with) are the tables BASE and SUBLAYERS below.
"""

from __future__ import annotations

import ast
import inspect
import os
import re
import sys
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from policyfactory.core.layerinfo import ATTENTION_TYPES, LIST_INPUT_TYPES  # how the build calls a layer

# Probe values, each under the key validation classifies a value with (policyfactory/core/layerinfo.py `value_key`).
PROBES: list[tuple[str, Any]] = [
    ("null", None), ("true", True), ("false", False),
    ("int:-1", -1), ("int:0", 0), ("int:1", 1), ("int:2", 2), ("int:3", 3), ("int:8", 8),
    ("float:-0.5", -0.5), ("float:0", 0.0), ("float:0.5", 0.5), ("float:1", 1.0), ("float:1.5", 1.5),
    ("str", "x"), ("str:number", "3"),
    ("list:0", []), ("list:1", [1]), ("list:2", [1, 1]), ("list:3", [1, 1, 1]), ("list:str", ["x"]), ("dict", {}),
]
# Values whose refusal when the layer is called counts as knowledge: a refused number may depend on the input
# (a window longer than the input, groups that do not divide the channels); a refused type does not.
TYPE_KEYS = {"null", "true", "false", "str", "str:number", "list:str", "dict", "list:0"}
SKIPPED = {"name", "trainable", "dtype", "autocast", "input_shape", "input_dim",
           "activation", "recurrent_activation"}  # activations are checked against the catalog's list
# Arguments whose valid numbers depend on other arguments or on the input (groups must divide filters, an axis must
# exist): only their refused types, negative numbers and zero are recorded.
CONTEXT_NUMBERS = {"groups", "num_key_value_heads", "num_query_heads", "axis", "axes"}
_SMALL = {"int:-1", "int:0", "float:-0.5", "float:0"}
DIM = 4  # every dimension of the probe inputs
WIDTHS = (4, 6)  # channel counts the weights are counted at
CHANNELS = (DIM, 3, 1)  # channel counts a rank is tried with inside a Pipeline (an RGB or a gray image)

# Arguments a layer type is probed with: Keras's required ones, plus those it needs in effect.
BASE: dict[str, dict] = {
    "Activation": {"activation": "relu"}, "AlphaDropout": {"rate": 0.5}, "Dropout": {"rate": 0.5},
    "GaussianDropout": {"rate": 0.5}, "GaussianNoise": {"stddev": 0.1}, "SpatialDropout1D": {"rate": 0.5},
    "SpatialDropout2D": {"rate": 0.5}, "SpatialDropout3D": {"rate": 0.5},
    "AdaptiveAveragePooling1D": {"output_size": 2}, "AdaptiveAveragePooling2D": {"output_size": 2},
    "AdaptiveAveragePooling3D": {"output_size": 2}, "AdaptiveMaxPooling1D": {"output_size": 2},
    "AdaptiveMaxPooling2D": {"output_size": 2}, "AdaptiveMaxPooling3D": {"output_size": 2},
    "AveragePooling1D": {"pool_size": 2}, "AveragePooling2D": {"pool_size": 2}, "AveragePooling3D": {"pool_size": 2},
    "CategoryEncoding": {"num_tokens": 4}, "CenterCrop": {"height": 2, "width": 2},
    "RandomCrop": {"height": 2, "width": 2}, "Resizing": {"height": 2, "width": 2},
    "Dense": {"units": 2}, "LayerScale": {"init_values": 0.1, "projection_dim": 1},
    "CustomScaleLayer": {"scale": 0.5}, "StochasticDepth": {"drop_path_rate": 0.1},
    "Discretization": {"num_bins": 2}, "Dot": {"axes": -1},
    "EinsumDense": {"equation": "ab,bc->ac", "output_shape": 2},
    "Embedding": {"input_dim": 8, "output_dim": 2}, "ReversibleEmbedding": {"input_dim": 8, "output_dim": 2},
    "GroupQueryAttention": {"head_dim": 2, "num_query_heads": 2, "num_key_value_heads": 1},
    "MultiHeadAttention": {"num_heads": 2, "key_dim": 2},
    "HashedCrossing": {"num_bins": 4}, "Hashing": {"num_bins": 4}, "MaxNumBoundingBoxes": {"max_number": 2},
    "Permute": {"dims": [1]}, "RepeatVector": {"n": 2}, "Rescaling": {"scale": 0.5}, "Reshape": {"target_shape": [-1]},
    "RandomBrightness": {"factor": 0.1}, "RandomColorDegeneration": {"factor": 0.1}, "RandomContrast": {"factor": 0.1},
    "RandomHue": {"factor": 0.1}, "RandomPosterization": {"factor": 2}, "RandomRotation": {"factor": 0.1},
    "RandomSaturation": {"factor": 0.1}, "RandomSharpness": {"factor": 0.1},
    "RandomTranslation": {"height_factor": 0.1, "width_factor": 0.1}, "RandomZoom": {"height_factor": 0.1},
    "GroupNormalization": {"groups": 2},
}
for _t in ("Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose", "SeparableConv1D",
           "SeparableConv2D", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"):
    BASE[_t] = {"filters": 2, "kernel_size": 1}
for _t in ("DepthwiseConv1D", "DepthwiseConv2D"):
    BASE[_t] = {"kernel_size": 1}
for _t in ("GRU", "LSTM", "SimpleRNN", "GRUCell", "LSTMCell", "SimpleRNNCell"):
    BASE[_t] = {"units": 2}
# The sublayer each wrapper is probed with: (argument, layer type, is a list).
SUBLAYERS = {"Bidirectional": ("layer", "LSTM", False), "TimeDistributed": ("layer", "Dense", False),
             "RNN": ("cell", "LSTMCell", False), "StackedRNNCells": ("cells", "LSTMCell", True),
             "SpectralNormalization": ("layer", "Dense", False), "Pipeline": ("layers", "Identity", True)}
CHECKED_SUBLAYERS = ("Bidirectional", "RNN", "StackedRNNCells")
# Layers that choose what they run with Python's `random` each time they are called: the ranks a Pipeline takes them
# on change from one call to the next (measured: AugMix took 2, 3, both or none in five runs), so none is recorded.
CHOSEN_AT_RANDOM = {"AugMix": "keras/src/layers/preprocessing/image_preprocessing/aug_mix.py: py_random.choice"}
SLOT_PROBES = {"initializer": ["orthogonal", "identity"], "regularizer": ["l2"], "constraint": ["non_neg"]}
_WORD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,40}$")
_UNNAMED = re.compile(r"^variable_\d+$")  # add_weight without a name: Keras numbers it per process (LayerScale)


class Prober:
    def __init__(self, catalog_layers: dict, string_defaults: list[str]):
        import keras

        self.keras = keras
        self.layers = catalog_layers
        self.string_defaults = string_defaults
        self._inputs: dict = {}

    # -- making and calling ---------------------------------------------------------------------------------
    def cls(self, name: str):
        import importlib

        module = self.layers[name].get("module")  # a keras.applications layer (the catalog names its module)
        return getattr(importlib.import_module(module) if module else self.keras.layers, name)

    def make(self, name: str, extra: dict | None = None):
        kwargs = dict(BASE.get(name, {}))
        if name in SUBLAYERS:
            arg, inner, is_list = SUBLAYERS[name]
            sub = self.make(inner)
            kwargs[arg] = [sub] if is_list else sub
        kwargs.update(extra or {})
        return self.cls(name)(**kwargs)

    def tensor(self, rank: int, dtype: str = "float32", width: int = DIM):
        key = (rank, dtype, width)
        if key not in self._inputs:
            self._inputs[key] = self.keras.Input(shape=(DIM,) * (rank - 1) + (width,), dtype=dtype)
        return self._inputs[key]

    @staticmethod
    def call(name: str, layer, ins: list):
        if name in LIST_INPUT_TYPES:
            return layer(ins)
        if name in ATTENTION_TYPES and len(ins) == 1:
            return layer(ins[0], ins[0])
        return layer(*ins)

    @staticmethod
    def rank_of(out) -> int | None:
        shape = getattr(out, "shape", None)
        return len(shape) - 1 if shape is not None and not isinstance(out, (list, tuple)) else None

    @staticmethod
    def shape_of(out) -> tuple | None:
        shape = getattr(out, "shape", None)
        return tuple(shape[1:]) if shape is not None and not isinstance(out, (list, tuple)) else None

    def tries(self, fn) -> Any:
        try:
            return True, fn()
        except Exception:  # Keras refusing: what we are asking about
            return False, None

    # -- what a layer type is called on -----------------------------------------------------------------------
    def calls(self, name: str) -> dict:
        """For 1 and 2 inputs: the input dtype it takes and {input rank: output rank} (ranks without the batch)."""
        out: dict = {}
        for n_in in (1, 2):
            for dtype in ("float32", "int32", "string"):
                ranks = {}
                for rank in range(1, 6):
                    ok, y = self.tries(lambda r=rank, d=dtype, n=n_in: self.call(name, self.make(name), [self.tensor(r, d)] * n))
                    if ok:
                        ranks[str(rank)] = self.rank_of(y)
                if ranks:
                    out[str(n_in)] = {"dtype": dtype, "ranks": ranks}
                    break
        return out

    def in_pipeline(self, name: str, calls: dict) -> dict | None:
        """{input rank: output rank} of the layer inside Keras's Pipeline, where that differs from `calls` (one
        input), else None. Pipeline calls its layers in training mode and traces them rather than asking their
        output shape: random augmentations take only image ranks there, some layers none at all. A rank counts
        as taken when it is with any of CHANNELS channels (RandomGrayscale wants 1 or 3 there, not 4): validate
        does not refuse what Keras builds for some channel count."""
        direct = calls.get("1")
        if direct is None or name == "Pipeline" or name in CHOSEN_AT_RANDOM:
            return None
        ranks = {}
        for rank in range(1, 6):
            for width in CHANNELS:
                ok, y = self.tries(lambda r=rank, w=width: self.keras.layers.Pipeline([self.make(name)])(
                    self.tensor(r, direct["dtype"], w)))
                if ok:
                    ranks[str(rank)] = self.rank_of(y)
                    break
        return None if ranks == direct["ranks"] else ranks

    # -- what values each argument takes ----------------------------------------------------------------------------
    def arguments(self, name: str, context: tuple | None) -> tuple[dict, dict, list, list, list, list, list, dict]:
        """(refused probe keys by argument, accepted strings by argument, arguments that change the output rank,
        arguments without which construction fails, arguments that change the output's axes before the last, and
        its last axis, arguments a list of numbers was called with, its rank compared, and the probe keys of the
        numbers Keras refuses inside a list it takes, by argument)"""
        entry = self.layers[name]
        refused: dict = {}
        choices: dict = {}
        rank_args: list = []
        shape_args: list = []  # changed the axes before the last
        width_args: list = []  # changed the last axis
        called_lists: list = []  # a list of numbers taken when called: its rank is among those compared
        refused_elements: dict = {}  # numbers Keras refuses inside a list of numbers it takes
        base_rank = base_shape = None
        if context is not None:
            ok, y = self.tries(lambda: self.call(name, self.make(name), context[0]))
            base_rank, base_shape = (self.rank_of(y), self.shape_of(y)) if ok else (None, None)
        skip = SKIPPED | set(entry["slots"]) | set(entry["layer_params"])
        for arg in entry["params"]:
            if arg in skip:
                continue
            bad, seen, listed = self.values(name, arg, context)
            if listed:
                called_lists.append(arg)
            elements = self.list_elements(name, arg, bad)
            if elements:
                refused_elements[arg] = elements
            # whole numbers called too, for what they resize (a refusal when called is not recorded)
            seen += [(r, sh) for ok, r, sh in (self.verdict(name, arg, v, context, True, True) for v in (1, 3)) if ok]
            if arg in CONTEXT_NUMBERS:
                bad = [k for k in bad if not k.startswith(("int:", "float:")) or k in _SMALL]
            if "str" in bad:
                accepted = []
                for word in self.candidates(name, arg):
                    verdict, rank, shape = self.verdict(name, arg, word, context, True, True)
                    if verdict:
                        accepted.append(word)
                        seen.append((rank, shape))
                if accepted:
                    choices[arg] = accepted
            for changed, into in zip(self.resizes(seen, base_rank, base_shape), (rank_args, shape_args, width_args)):
                if changed:
                    into.append(arg)
            if bad:
                refused[arg] = bad
        needs = [arg for arg in BASE.get(name, {}) if arg not in entry["required"]
                 and not self.tries(lambda a=arg: self.cls(name)(**{k: v for k, v in BASE[name].items() if k != a}))[0]]
        return refused, choices, rank_args, needs, shape_args, width_args, called_lists, refused_elements

    def values(self, name: str, arg: str, context: tuple | None) -> tuple[list, list, bool]:
        """(the probe keys Keras refuses for `arg`, the (rank, shape) of each accepted call, whether a list of
        numbers was called and its rank compared)."""
        bad, seen, listed = [], [], False
        # A list or a fraction (a negative one too) refused when the layer is called, where the whole number 1 is
        # taken, is a type Keras refuses (RandomCrop's height: [2, 2]; LayerScale's projection_dim: -0.5, a shape
        # of (-0.5,)); otherwise only construction tells about numbers.
        int_ok = self.verdict(name, arg, 1, context, True)[0]
        for key, value in PROBES:
            call = key in TYPE_KEYS or (int_ok and key.startswith(("list:", "float:0.5", "float:1.5", "float:-0.5")))
            verdict, rank, shape = self.verdict(name, arg, value, context, call, True)
            if not verdict:
                bad.append(key)
                continue
            a_list = key in ("list:1", "list:2", "list:3") and context is not None
            if a_list and not call:  # called for the rank it returns alone: a refusal here may be the numbers'
                a_list, rank, shape = self.verdict(name, arg, value, context, True, True)
            seen.append((rank, shape))
            listed = listed or a_list
        return bad, seen, listed

    ELEMENTS = (("int:0", 0), ("int:-1", -1), ("float:-0.5", -0.5), ("float:0.5", 0.5), ("float:1", 1.0),
                ("float:1.5", 1.5))

    def list_elements(self, name: str, arg: str, bad: list) -> list:
        """The probe keys of the numbers Keras refuses, when made, first and last in a list of ones it takes
        (Dropout's noise_shape: [0, 1], [0.5, 1]); only for a list of ones taken, and numbers it takes alone are not
        asked. Refused in both places, so not a (low, high) pair out of order."""
        length = next((int(k[-1]) for k in ("list:2", "list:1", "list:3") if k not in bad), None)
        if length is None:
            return []
        ones = [1] * (length - 1)
        return [key for key, number in self.ELEMENTS if key in bad  # first and last: not a (low, high) out of order
                and not any(self.tries(lambda v=list(values): self.make(name, {arg: v}))[0]
                            for values in ([number, *ones], [*ones, number]))]

    @staticmethod
    def resizes(seen: list, base_rank: int | None, base_shape: tuple | None) -> tuple[bool, bool, bool]:
        """Whether any of the (rank, shape) outputs `seen` differs from the base layer's in rank, in its axes before
        the last, in its last axis."""
        seen = [(r, sh) for r, sh in seen if r is not None and sh is not None and base_shape is not None]
        base = base_shape or ()
        return (any(r != base_rank for r, _ in seen), any(sh[:-1] != base[:-1] for _, sh in seen),
                any(sh[-1:] != base[-1:] for _, sh in seen))

    def verdict(self, name: str, arg: str, value: Any, context: tuple | None, call: bool, shape: bool = False):
        """(whether Keras takes `value` for `arg`, the output rank when called[, its output shape])."""
        ok, layer = self.tries(lambda: self.make(name, {arg: value}))
        if not ok or not call or context is None:
            return (ok, None, None) if shape else (ok, None)
        ok, y = self.tries(lambda: self.call(name, layer, context[0]))
        rank = self.rank_of(y) if ok else None
        return (ok, rank, self.shape_of(y) if ok else None) if shape else (ok, rank)

    def width(self, name: str, rank: int, dtype: str, n_in: int) -> dict:
        """How the base layer's output relates to its input, called at WIDTHS channels: its last axis ("keep" the
        input's, the value of a base argument, or a fixed size) and whether the axes before it are the input's."""
        shapes = []
        same = False
        for width in WIDTHS:
            x = self.tensor(rank, dtype, width)
            ok, y = self.tries(lambda t=x: self.call(name, self.make(name), [t] * n_in))
            same = same or (ok and y is x)
            shape = self.shape_of(y) if ok else None
            if not shape or not all(isinstance(d, int) for d in shape):
                return {}
            shapes.append(shape)
        (a, b), axes = (shapes[0][-1], shapes[1][-1]), (DIM,) * (rank - 1)
        if (a, b) == WIDTHS:
            rule: Any = "keep"
        elif a == b:
            named = [k for k, v in BASE.get(name, {}).items() if v == a and not isinstance(v, bool)]
            rule = {"arg": named[0]} if len(named) == 1 else {"fixed": a}
        else:
            return {}
        out: dict = {"width": rule}
        if same:
            out["returns_input"] = True  # its output is its input tensor itself (Keras refuses it as a model output)
        if len(shapes[0]) == rank and shapes[0][:-1] == axes:
            out["axes"] = "same"  # the input's axes but the last (Dense)
        elif len(shapes[0]) == rank + 1 and shapes[0][:-1] == axes + (WIDTHS[0],):
            out["axes"] = "appended"  # the input's axes, one more after them (Embedding)
        return out

    def sized(self, name: str) -> dict:
        """For a layer made with an output size (`height` and `width`: Resizing, CenterCrop, RandomCrop; or
        `output_size`: adaptive pooling), per data format and input rank, the output shape it makes as a template:
        an input axis (its index), 'height', 'width' or 'output_size:I' (the I-th size). Keras's shapes on ranks
        other than an image's are its own: Resizing on (11, 9, 7, 5) makes (width, 9, 7, 5), AdaptiveMaxPooling2D
        on (11,) makes (size 0, size 1, 11)."""
        params = set(self.layers[name]["params"])
        if {"height", "width"} <= params:
            sizes, size = [{"height": 2, "width": 3}], {2: "height", 3: "width"}
        elif "output_size" in params:  # one size per pooled axis: the length Keras takes is the one that makes it
            sizes = [{"output_size": [2, 3, 5][:n]} for n in (1, 2, 3)]
            size = {2: "output_size:0", 3: "output_size:1", 5: "output_size:2"}
        else:
            return {}
        dims = (11, 13, 17, 19, 23)
        out: dict = {}
        for fmt in ("channels_last", "channels_first"):
            for rank in range(1, 6):
                shape = dims[:rank]
                for extra in sizes:
                    ok, y = self.tries(lambda s=shape, f=fmt, e=extra: self.make(name, {**e, "data_format": f})(
                        self.keras.Input(s)))
                    made = self.shape_of(y) if ok else None
                    if made is not None and all(d in size or d in shape for d in made):
                        out.setdefault(fmt, {})[str(rank)] = [size.get(d, shape.index(d) if d in shape else -1)
                                                              for d in made]
                        break
        return out

    def candidates(self, name: str, arg: str) -> list[str]:
        """Strings that might be choices of `arg`: the catalog's string defaults and the layer module's literals."""
        found = set(self.string_defaults)
        default = self.layers[name]["params"][arg].get("default")
        if isinstance(default, str):
            found.add(default)
        doc = inspect.getdoc(self.cls(name)) or ""
        found.update(w for w in re.findall(r"[\"'`]([A-Za-z_][A-Za-z0-9_]{0,40})[\"'`]", doc))
        for klass in self.cls(name).__mro__:
            module = sys.modules.get(klass.__module__)
            if module is None or not klass.__module__.startswith("keras.src.layers") \
                    or klass.__module__.endswith(".layer"):
                continue
            try:
                tree = ast.parse(inspect.getsource(module))
            except (OSError, TypeError, SyntaxError):
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and _WORD.match(node.value):
                    found.add(node.value)
        return sorted(found)

    def slots(self, name: str, context: tuple | None) -> dict:
        """Components Keras refuses in a slot of this layer type (an orthogonal initializer on a 1-D bias)."""
        out: dict = {}
        for arg, slot in self.layers[name]["slots"].items():
            bad = [c for c in SLOT_PROBES[slot["kind"]] if not self.verdict(name, arg, c, context, True)[0]]
            if bad:
                out[arg] = bad
        return out

    def sublayers(self, name: str, context: tuple | None) -> dict:
        """For a recurrent wrapper: the layer types Keras takes as its sublayer (each with its base arguments).
        Other wrappers take layers of any type; what their inner layer is called on is followed by validation."""
        if name not in CHECKED_SUBLAYERS or context is None:
            return {}
        arg, _, is_list = SUBLAYERS[name]
        ok_types = []
        for inner in sorted(self.layers):
            ok, sub = self.tries(lambda i=inner: self.make(i))
            if ok and self.tries(lambda s=sub: self.call(name, self.make(name, {arg: [s] if is_list else s}),
                                                         context[0]))[0]:
                ok_types.append(inner)
        return {arg: ok_types}

    def weights(self, name: str, context_rank: int | None, n_in: int) -> dict:
        """Each weight of the base layer: its size at WIDTHS input channels as a + b * width."""
        if context_rank is None:
            return {}
        sizes: list[dict] = []
        for width in WIDTHS:
            layer = self.make(name)
            ok, _ = self.tries(lambda lay=layer, w=width: self.call(name, lay, [self.tensor(context_rank, "float32", w)] * n_in))
            if not ok:
                return {}
            sizes.append({self._var(v.path): int(self._size(v.shape)) for v in layer.weights})
        out = {}
        for path, s0 in sizes[0].items():
            s1 = sizes[1].get(path, s0)
            per = (s1 - s0) // (WIDTHS[1] - WIDTHS[0])
            out[path] = {"fixed": s0 - per * WIDTHS[0], "per_channel": per}
        return out

    def variables(self, name: str, rank: int | None, n_in: int | None) -> dict:
        """The layer's own variables in the order Keras saves them (`order`), the order each boolean argument set
        the other way gives where it drops or adds some (`flags`: use_bias false drops the bias), and the
        initializer slot that makes each (`made_by`: found by giving the slot a constant no other slot gives).
        A layer that cannot be called on model inputs (a cell) is built on DIM features instead."""
        def own(extra: dict, keep: bool = False):
            layer = self.make(name, extra)
            ok, _ = self.tries(lambda: self.call(name, layer, [self.tensor(rank, "float32")] * n_in)
                               if rank is not None and n_in is not None else layer.build((None, DIM)))
            found = layer._trainable_variables + layer._non_trainable_variables if ok else None
            return found if keep else [_UNNAMED.sub("variable", v.name) for v in found] if found is not None else None

        order = own({})
        if not order:
            return {}
        flags = {}
        for arg, info in self.layers[name]["params"].items():
            if isinstance(info.get("default"), bool) and arg not in SKIPPED:
                names = own({arg: not info["default"]})
                if names is not None and names != order:
                    flags[arg] = names
        made_by: dict = {}
        for arg, slot in self.layers[name]["slots"].items():
            if slot["kind"] == "initializer":
                for v in own({arg: self.keras.initializers.Constant(0.375)}, keep=True) or ():
                    if v.name not in made_by and bool(self.keras.ops.all(v.value == 0.375)):
                        made_by[v.name] = arg
        out: dict = {"order": order, "made_by": made_by}
        if flags:
            out["flags"] = flags
        return {"variables": out}

    @staticmethod
    def _var(path: str) -> str:
        """A weight's path below the layer, without the counters Keras numbers sublayers with (`lstm_cell_3`)."""
        inner = path.split("/", 1)[1] if "/" in path else path
        return "/".join(re.sub(r"_\d+$", "", part) for part in inner.split("/"))

    @staticmethod
    def _size(shape) -> int:
        n = 1
        for d in shape:
            n *= int(d)
        return n

    def in_time_distributed(self, name: str, calls: dict) -> bool | None:
        """False when Keras refuses the layer inside TimeDistributed at every rank it takes called directly (one
        step more): TimeDistributed asks its layer what shape it returns, and Pipeline, LayerScale or
        StochasticDepth do not say (no compute_output_shape). None (not recorded) otherwise."""
        direct = calls.get("1")
        if direct is None or name == "TimeDistributed":
            return None
        ranks = [int(r) + 1 for r in direct["ranks"] if int(r) < 5]
        if not ranks:
            return None
        for rank in ranks:
            ok, _ = self.tries(lambda r=rank: self.keras.layers.TimeDistributed(self.make(name))(
                self.tensor(r, direct["dtype"])))
            if ok:
                return None
        return False

    def axis_refused(self, name: str, context: tuple | None, taken: Any, refused: tuple) -> list:
        """The axis arguments for which Keras takes `taken` on the probe's input and refuses every value of
        `refused`: the batch axis (0, or minus the number of axes) where it takes the first axis of the input's own
        (a normalization sizes a weight by the axis it names, and the batch axis has no size when the layer is
        built), or one axis named twice ([1, 1]) where it takes two ([1, 2]: Normalization reshapes by each once)."""
        if context is None:
            return []
        out = []
        for arg in ("axis",):
            if arg not in self.layers[name].get("params", {}):
                continue

            def builds(v: Any, a: str = arg) -> bool:
                return self.tries(lambda: self.call(name, self.make(name, {a: v}), context[0]))[0]

            if builds(taken) and not any(builds(v) for v in refused):
                out.append(arg)
        return out

    def probe(self, name: str) -> dict:
        calls = self.calls(name)
        n_in = "1" if "1" in calls else ("2" if "2" in calls else None)
        context = None
        rank = None
        if n_in is not None:
            ranks = [int(r) for r in calls[n_in]["ranks"]]
            rank = max(r for r in ranks if r <= 4) if min(ranks) <= 4 else min(ranks)
            context = ([self.tensor(rank, calls[n_in]["dtype"])] * int(n_in), rank)
        refused, choices, rank_args, needs, shape_args, width_args, called_lists, refused_elements = \
            self.arguments(name, context)
        info: dict = {"base": BASE.get(name, {}), "calls": calls, "in_pipeline": self.in_pipeline(name, calls),
                      "in_time_distributed": self.in_time_distributed(name, calls),
                      "refused": refused, "choices": choices,
                      "rank_args": rank_args, "shape_args": shape_args, "width_args": width_args, "needs": needs,
                      "called_lists": called_lists, "refused_elements": refused_elements, "sized": self.sized(name),
                      "slot_refused": self.slots(name, context), "sublayers": self.sublayers(name, context),
                      "batch_axis_refused": self.axis_refused(name, context, 1, (0, -(rank or 0) - 1)),
                      "repeated_axis_refused": self.axis_refused(name, context if (rank or 0) >= 2 else None,
                                                                 [1, 2], ([1, 1],))}
        if n_in is not None and calls[n_in]["dtype"] == "float32":
            info["weights"] = self.weights(name, rank, int(n_in))
        if n_in is not None and rank is not None:
            info.update(self.width(name, rank, calls[n_in]["dtype"], int(n_in)))
        if n_in is None or (rank is not None and calls[n_in]["dtype"] == "float32"):
            info.update(self.variables(name, rank, int(n_in) if n_in is not None else None))
        return {k: v for k, v in info.items()
                if v or k == "calls" or (k in ("in_pipeline", "in_time_distributed") and v is not None)}


def pipeline_table(catalog_layers: dict, skip: set[str] | frozenset[str] = frozenset()) -> dict:
    """{layer type: ranks inside a Pipeline} on the backend this process runs, for every probed layer type (but
    `skip`) where they differ from its direct calls (`Prober.in_pipeline` of each; the catalog's `calls`)."""
    import warnings

    import keras

    warnings.simplefilter("ignore")
    prober = Prober(catalog_layers, [])
    out = {}
    for name in sorted(catalog_layers):
        if name in skip:
            continue
        ranks = prober.in_pipeline(name, catalog_layers[name].get("probe", {}).get("calls", {}))
        if ranks is not None:
            out[name] = ranks
        keras.backend.clear_session()
    return out


def probe_all(catalog_layers: dict, names: list[str] | None = None) -> dict:
    """name -> probe, for every layer type of the catalog (or `names`)."""
    import warnings

    import keras

    warnings.simplefilter("ignore")  # Keras warns about every layer it was asked to build and could not
    strings = sorted({i["default"] for e in catalog_layers.values() for i in e["params"].values()
                      if isinstance(i.get("default"), str) and _WORD.match(i["default"])})
    prober = Prober(catalog_layers, strings)
    out = {}
    for name in names or sorted(catalog_layers):
        out[name] = prober.probe(name)
        keras.backend.clear_session()
    return out
