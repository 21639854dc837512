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
    "Dense": {"units": 2}, "Discretization": {"num_bins": 2}, "Dot": {"axes": -1},
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
SLOT_PROBES = {"initializer": ["orthogonal", "identity"], "regularizer": ["l2"], "constraint": ["non_neg"]}
_WORD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,40}$")


class Prober:
    def __init__(self, catalog_layers: dict, string_defaults: list[str]):
        import keras

        self.keras = keras
        self.layers = catalog_layers
        self.string_defaults = string_defaults
        self._inputs: dict = {}

    # -- making and calling ---------------------------------------------------------------------------------
    def cls(self, name: str):
        return getattr(self.keras.layers, name)

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

    # -- what values each argument takes ----------------------------------------------------------------------------
    def arguments(self, name: str, context: tuple | None) -> tuple[dict, dict, list, list]:
        """(refused probe keys by argument, accepted strings by argument, arguments that change the output rank,
        arguments without which construction fails)."""
        entry = self.layers[name]
        refused: dict = {}
        choices: dict = {}
        rank_args: list = []
        base_rank = None
        if context is not None:
            ok, y = self.tries(lambda: self.call(name, self.make(name), context[0]))
            base_rank = self.rank_of(y) if ok else None
        skip = SKIPPED | set(entry["slots"]) | set(entry["layer_params"])
        for arg in entry["params"]:
            if arg in skip:
                continue
            bad, changes_rank = [], False
            # A list or a fraction refused when the layer is called, where the whole number 1 is taken, is a type
            # Keras refuses (RandomCrop's height: [2, 2]); otherwise only construction tells about numbers.
            int_ok = self.verdict(name, arg, 1, context, True)[0]
            for key, value in PROBES:
                call = key in TYPE_KEYS or (int_ok and key.startswith(("list:", "float:0.5", "float:1.5")))
                verdict, rank = self.verdict(name, arg, value, context, call)
                if not verdict:
                    bad.append(key)
                elif rank is not None and base_rank is not None and rank != base_rank:
                    changes_rank = True
            if arg in CONTEXT_NUMBERS:
                bad = [k for k in bad if not k.startswith(("int:", "float:")) or k in _SMALL]
            if changes_rank:
                rank_args.append(arg)
            if "str" in bad:
                accepted = [s for s in self.candidates(name, arg)
                            if self.verdict(name, arg, s, context, True)[0]]
                if accepted:
                    choices[arg] = accepted
            if bad:
                refused[arg] = bad
        needs = [arg for arg in BASE.get(name, {}) if arg not in entry["required"]
                 and not self.tries(lambda a=arg: self.cls(name)(**{k: v for k, v in BASE[name].items() if k != a}))[0]]
        return refused, choices, rank_args, needs

    def verdict(self, name: str, arg: str, value: Any, context: tuple | None, call: bool) -> tuple[bool, int | None]:
        """(whether Keras takes `value` for `arg`, the output rank when called)."""
        ok, layer = self.tries(lambda: self.make(name, {arg: value}))
        if not ok:
            return False, None
        if not call or context is None:
            return True, None
        ok, y = self.tries(lambda: self.call(name, layer, context[0]))
        return ok, (self.rank_of(y) if ok else None)

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

    @staticmethod
    def _var(path: str) -> str:
        return path.split("/", 1)[1] if "/" in path else path

    @staticmethod
    def _size(shape) -> int:
        n = 1
        for d in shape:
            n *= int(d)
        return n

    def probe(self, name: str) -> dict:
        calls = self.calls(name)
        n_in = "1" if "1" in calls else ("2" if "2" in calls else None)
        context = None
        rank = None
        if n_in is not None:
            ranks = [int(r) for r in calls[n_in]["ranks"]]
            rank = max(r for r in ranks if r <= 4) if min(ranks) <= 4 else min(ranks)
            context = ([self.tensor(rank, calls[n_in]["dtype"])] * int(n_in), rank)
        refused, choices, rank_args, needs = self.arguments(name, context)
        info: dict = {"base": BASE.get(name, {}), "calls": calls, "refused": refused, "choices": choices,
                      "rank_args": rank_args, "needs": needs,
                      "slot_refused": self.slots(name, context), "sublayers": self.sublayers(name, context)}
        if n_in is not None and calls[n_in]["dtype"] == "float32":
            info["weights"] = self.weights(name, rank, int(n_in))
        return {k: v for k, v in info.items() if v or k == "calls"}


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
