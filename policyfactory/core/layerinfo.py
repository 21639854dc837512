"""One table keyed by layer type: what Keras takes and refuses, generated where Keras can tell, hand facts beside it.

Why one table: a new layer type used to touch five hand-written sets in five modules. The generated part is each
catalog layer's `probe` (written by `scripts/gen_catalog.py` through `scripts/probe_keras.py` from the installed
Keras, and re-probed by `tests/test_catalog_drift.py`): which value kinds each argument refuses, the strings it
takes, the input ranks and input counts the layer can be called on (and the rank it returns), the components a slot
refuses, the arguments it needs in effect, the sublayers a recurrent wrapper takes, its weights as
`fixed + per_channel * input width`, and the shape it returns: the rule of its last axis (`width`: the input's,
an argument's such as `units`, or a fixed size, found by calling it at two input widths), whether the axes before
it are the input's (`axes`), which arguments change the rank, those axes or the width (`rank_args`,
`shape_args`, `width_args`), and whether it returns its input tensor itself (`returns_input`). The hand-written
facts -- how the build calls a layer, which wrappers run what -- are the constants below. Nothing here imports
Keras.

    >>> value_problem("Conv2D", "kernel_size", "3")
    "Keras refuses 'kernel_size' = '3' for Conv2D (it takes an integer or a list of 2 integers)"
    >>> value_problem("Conv2D", "kernel_size", [3, 3]) is None
    True
"""

from __future__ import annotations

import math
from typing import Any

from .backend import current_backend
from .catalog import catalog
from .text import shown

# How the build calls a layer: on a list of its inputs (`Add()([a, b])`), or as attention (query, value), where one
# input is passed twice. Every other layer gets its inputs as positional arguments.
LIST_INPUT_TYPES = frozenset({"Add", "Average", "Concatenate", "Dot", "Maximum", "Minimum", "Multiply", "Subtract",
                              "Attention", "AdditiveAttention", "CustomScaleLayer"})
ATTENTION_TYPES = ("MultiHeadAttention", "GroupQueryAttention")
# An attention layer copies its initializers into the projections it makes: query, key, value and output.
ATTENTION_PROJECTIONS = 4
# Wrappers whose inner layer sees one step less of the input (its time axis is mapped over).
STEP_WRAPPERS = frozenset({"TimeDistributed"})
# Wrappers that run their list of layers in order (`layers:`), each on the previous one's output.
SEQUENCE_WRAPPERS = frozenset({"Pipeline"})
# Merges that combine their inputs elementwise: Keras refuses inputs whose shapes differ (but for axes of 1).
MERGE_SAME_SHAPE = frozenset({"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"})
# Wrappers whose output is their inner layer's (same rank, width possibly doubled).
PASS_WRAPPERS = frozenset({"Bidirectional", "SpectralNormalization"})
# Layers whose variables live in child layers their config does not list: the child whose variable layout they
# take, read with the parent's config (an LSTM's cell takes the LSTM's initializers; attention projections take
# the attention layer's). Children that are no catalog type have their layout here: (variable, config flag that
# must be true for it to exist, or None).
CHILD_LAYOUTS = {"LSTM": "LSTMCell", "GRU": "GRUCell", "SimpleRNN": "SimpleRNNCell",
                 "ConvLSTM1D": "ConvLSTMCell", "ConvLSTM2D": "ConvLSTMCell", "ConvLSTM3D": "ConvLSTMCell",
                 "MultiHeadAttention": "_Projection", "GroupQueryAttention": "_Projection"}
HAND_VARIABLES: dict[str, list[tuple[str, str | None]]] = {
    "_Projection": [("kernel", None), ("bias", "use_bias")],
    "ConvLSTMCell": [("kernel", None), ("recurrent_kernel", None), ("bias", "use_bias")],
    # the probe builds EinsumDense without bias_axes; a word there adds a bias
    "EinsumDense": [("kernel", None), ("bias", "bias_axes")],
}
# Arguments naming axes of the input (checked against its rank: Keras refuses an axis the input does not have).
AXIS_ARGS = ("axis",)
# Axes counted with the batch axis that index the weight's shape (the input without it): PReLU's shared_axes,
# where Keras sets param_shape[i - 1], so i - 1 must be an index of the input's own axes.
WEIGHT_AXIS_ARGS = ("shared_axes",)
# Lists whose length follows the input they are called on (an entry per input axis: Permute's dims, an axis list)
# or is free (a vocabulary): the probes saw other lengths refused only on the input they were called on, so a
# length is never refused from the probes, and such a list leaves the input rank unjudged.
INPUT_LISTS = frozenset({"dims", "axis", "vocabulary", "idf_weights"})
# Arguments Keras takes one or the other of, never both nor neither: the probe built the layer with the first (its
# base), so it saw every value of the second refused. The second's values are judged here instead: a list of numbers.
EITHER_ARGS = {"Discretization": ("num_bins", "bin_boundaries")}
# A value Keras takes only beside some values of another argument (the probe, built with that argument's default,
# saw it refused): (layer type, argument, value) -> (the other argument, its default, the values it takes it with).
ONLY_WITH = {("Discretization", "sparse", True): ("output_mode", "int", ("one_hot", "multi_hot", "count"))}
# Arguments that are a pair of numbers wherever Keras takes them, also where the probe saw any value pass (the
# layer reads it only in a sublayer another argument makes, RandomColorJitter's, or only on data).
NUMBER_PAIRS = frozenset({"value_range"})
# Arguments that are one of their probed words wherever Keras takes them: a window layer's `padding` ('valid',
# 'same'), whose numbers and lists Keras takes when the layer is made and refuses when it is called.
WORDS_ONLY = frozenset({"padding"})
# Arguments the probes saw change a layer's rank that change only the rank it returns, not the ranks it takes
# (GlobalMaxPooling1D(keepdims=True) still takes 2 axes besides the batch, LSTM(return_sequences=True) still 2).
OUTPUT_RANK_ONLY = frozenset({"keepdims", "return_sequences"})


def probe(layer_type: str) -> dict:
    """The generated knowledge of a layer type ({} for a registered type or one Keras could not be asked about)."""
    lt = catalog().layer(layer_type)
    return lt.probe if lt is not None else {}


# -- argument values ------------------------------------------------------------------------------------------

def value_key(value: Any) -> str | None:
    """The probe a value is judged by: its kind and, for numbers, where it lies (None: no probe stands for it)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return _int_key(value)
    if isinstance(value, float):
        return _float_key(value)
    if isinstance(value, str):
        return "str:number" if _numeric(value) else "str"
    if isinstance(value, list):
        return _list_key(value)
    return "dict" if isinstance(value, dict) else None


def _int_key(value: int) -> str:
    return "int:-1" if value < 0 else "int:0" if value == 0 else "int:1" if value == 1 else \
        "int:2" if value == 2 else "int:3" if value < 8 else "int:8"


def _float_key(value: float) -> str | None:
    if not math.isfinite(value):
        return None
    return "float:-0.5" if value < 0 else "float:0" if value == 0 else "float:0.5" if value < 1 else \
        "float:1" if value == 1 else "float:1.5"


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _list_key(value: list) -> str | None:
    if not value:
        return "list:0"
    if any(isinstance(v, str) for v in value):
        return "list:str"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in value) and len(value) <= 3:
        return f"list:{len(value)}"
    return None


def _accepted(refused: set[str], choices: list[str] | None = None) -> str:
    """What an argument takes, in words, from the probes it did not refuse."""
    parts = [f"one of {', '.join(shown(c) for c in choices)}"] if choices else []
    if any(k.startswith("int:") and k not in refused for k in ("int:1", "int:2", "int:3", "int:8", "int:0", "int:-1")):
        parts.append("an integer")
    if any(k not in refused for k in ("float:0.5", "float:1.5", "float:-0.5")):
        parts.append("a number")
    if "true" not in refused and "false" not in refused:
        parts.append("true or false")
    if "str" not in refused and not choices:
        parts.append("a string")
    lists = [n for n in (1, 2, 3) if f"list:{n}" not in refused]
    if lists:
        parts.append(f"a list of {' or '.join(map(str, lists))} integers")
    if "list:str" not in refused:
        parts.append("a list of strings")
    if "null" not in refused:
        parts.append("null")
    return " or ".join(parts) if parts else "no value Keras was probed with"


def value_problem(layer_type: str, arg: str, value: Any) -> str | None:
    """Why Keras refuses `value` for argument `arg` of `layer_type` (as probed from Keras), or None if not known."""
    info = probe(layer_type)
    refused = set(info.get("refused", {}).get(arg, ()))
    choices = info.get("choices", {}).get(arg)
    hand = _hand_problem(layer_type, arg, value, bool(refused), choices)
    if hand is not None:
        return hand or None
    if isinstance(value, str) and choices:
        if value in choices:
            return None
        return f"{shown(arg)} of {layer_type} must be one of {', '.join(shown(c) for c in choices)}, got {shown(value)}"
    key = value_key(value)
    if key is None:  # a list of fractions: its numbers are still judged one by one
        return _refused_element(layer_type, arg, value, info)
    if key not in refused:
        return _refused_element(layer_type, arg, value, info) or _element_problem(layer_type, arg, value, refused, key)
    if key in _INT_LISTS and arg in INPUT_LISTS:
        return None  # its length follows the input (or is free): the probe saw it refused on its own input only
    return f"Keras refuses {shown(arg)} = {shown(value)} for {layer_type} (it takes {_accepted(refused, choices)})"


def _hand_problem(layer_type: str, arg: str, value: Any, probed: bool, choices: list | None) -> str | None:
    """The hand facts beside the probes (ONLY_WITH, EITHER_ARGS, NUMBER_PAIRS, WORDS_ONLY): the problem, '' when
    they take the value, None when they do not speak of it (the probes judge it)."""
    if isinstance(value, bool) and (layer_type, arg, value) in ONLY_WITH:
        return ""  # judged with the argument it depends on (pair_problems)
    if arg in EITHER_ARGS.get(layer_type, ())[1:]:
        numbers = isinstance(value, list) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
        return "" if value is None or numbers else \
            f"Keras refuses {shown(arg)} = {shown(value)} for {layer_type} (it takes a list of numbers)"
    if arg in NUMBER_PAIRS and not probed and not _number_pair(value):
        return f"Keras refuses {shown(arg)} = {shown(value)} for {layer_type} (it takes a list of two numbers)"
    if arg in WORDS_ONLY and choices and not isinstance(value, str):
        return f"{shown(arg)} of {layer_type} must be one of {', '.join(shown(c) for c in choices)}, got {shown(value)}"
    return None


def _number_pair(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)


def _refused_element(layer_type: str, arg: str, value: Any, info: dict) -> str | None:
    """A list holding a number the probe saw Keras refuse inside a list it takes (`refused_elements`: Dropout's
    noise_shape holds positive sizes or nulls, so [0, 1] is refused)."""
    keys = info.get("refused_elements", {}).get(arg)
    if not keys or not isinstance(value, list):
        return None
    bad = next((v for v in value if isinstance(v, (int, float)) and not isinstance(v, bool) and value_key(v) in keys),
               None)
    return None if bad is None else f"Keras refuses {shown(arg)} = {shown(value)} for {layer_type}: it refuses {bad} there"


def _element_problem(layer_type: str, arg: str, value: Any, refused: set, key: str) -> str | None:
    """A list of numbers Keras takes in shape (RandomColorJitter's `factor: [a, b]`) holding a number it refuses
    on its own (`factor: 2`, out of range): refused too. Only for arguments that take some numbers (the probe's
    refusals are then ranges, not "no number at all") and never for lists that follow the input."""
    if not isinstance(value, list) or arg in INPUT_LISTS or not value:
        return None
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        return None
    numbers = {k for k in _NUMBER_KEYS if k not in refused}
    if not numbers or numbers == set(_NUMBER_KEYS):
        return None
    bad = next((v for v in value if value_key(v) in refused), None)
    if bad is None:
        return None
    return (f"Keras refuses {shown(arg)} = {shown(value)} for {layer_type}: it refuses {bad} there "
            f"(as it refuses {shown(arg)} = {bad})")


_NUMBER_KEYS = ("int:-1", "int:0", "int:1", "int:2", "int:3", "int:8", "float:-0.5", "float:0", "float:0.5",
                "float:1", "float:1.5")


_INT_LISTS = frozenset({"list:1", "list:2", "list:3"})


def slot_problem(layer_type: str, slot_arg: str, kind: str, class_name: str) -> str | None:
    """Why Keras refuses a component in a slot of `layer_type` (an orthogonal initializer on a 1-D bias), or None."""
    refused = probe(layer_type).get("slot_refused", {}).get(slot_arg, ())
    if not refused:
        return None
    cat = catalog()
    names = {c.name for r in refused if (c := cat.component(kind, r)) is not None}
    if kind == "regularizer" and names:  # a regularizer refused there: the slot is refused whatever it holds
        return f"{layer_type} takes no {shown(slot_arg)}: Keras refuses any value there"
    if class_name in names:
        return (f"Keras refuses {shown(class_name)} for {shown(slot_arg)} of {layer_type}"
                f"{' (it needs a 2-D weight; this one has fewer axes)' if kind == 'initializer' else ''}")
    return None


def needed_args(layer_type: str) -> list[str]:
    """Arguments Keras does not mark as required but refuses to construct the layer without (`num_tokens`); where
    another argument may stand in for one (EITHER_ARGS), `pair_problems` says what is missing."""
    either = EITHER_ARGS.get(layer_type, ())
    return [a for a in probe(layer_type).get("needs", ()) if a not in either]


def pair_problems(layer_type: str, args: dict) -> list[tuple[str | None, str]]:
    """(argument, or None for the layer, problem) for the pairs of arguments in EITHER_ARGS and ONLY_WITH.

        >>> pair_problems("Discretization", {})
        [(None, "Discretization needs argument 'num_bins' or 'bin_boundaries' (Keras refuses it without one)")]
        >>> pair_problems("Discretization", {"num_bins": 3, "sparse": True})[0][1]
        "Keras takes 'sparse' = true for Discretization only with 'output_mode' one_hot, multi_hot or count, not 'int'"
    """
    out: list[tuple[str | None, str]] = []
    either = EITHER_ARGS.get(layer_type)
    if either is not None:
        given = [a for a in either if args.get(a) is not None]
        if not given:
            out.append((None, f"{layer_type} needs argument {' or '.join(shown(a) for a in either)} "
                              f"(Keras refuses it without one)"))
        elif len(given) > 1:
            out.append((given[-1], f"{layer_type} takes {' or '.join(shown(a) for a in either)}, not both"))
    for (name, arg, value), (other, default, takes) in ONLY_WITH.items():
        if name == layer_type and args.get(arg) == value and args.get(other, default) not in takes:
            out.append((arg, f"Keras takes {shown(arg)} = {str(value).lower()} for {layer_type} only with {shown(other)} "
                             f"{', '.join(takes[:-1])} or {takes[-1]}, not {shown(args.get(other, default))}"))
    return out


def sublayer_types(layer_type: str, arg: str) -> list[str] | None:
    """The layer types a recurrent wrapper takes in `arg` (None where any may go); SpectralNormalization takes the
    types that hold a kernel or embeddings (it normalizes that weight)."""
    if layer_type == "SpectralNormalization" and arg == "layer":
        return sorted(name for name, lt in catalog().layers.items()  # its own weight, not a cell's (LSTM)
                      if {"kernel", "embeddings"} & set(lt.probe.get("weights", {})))
    return probe(layer_type).get("sublayers", {}).get(arg)


# -- connecting layers ---------------------------------------------------------------------------------------------

def input_list_problem(layer_type: str, args: dict, rank: int | None) -> tuple[str, str] | None:
    """(argument, why) for a list that must name every axis of the input and does not (Permute's dims)."""
    dims = args.get("dims")
    if layer_type == "Permute" and isinstance(dims, list) and rank is not None and len(dims) != rank:
        return "dims", (f"Permute's 'dims' {dims} name {len(dims)} ax{'i' if len(dims) == 1 else 'e'}s; "
                        f"this input has {rank} besides the batch axis")
    return None


PIPELINE_WHY = "Keras's Pipeline calls its layers in training mode"


def call_problem(layer_type: str, n_inputs: int, rank: int | None, args: dict | None = None,
                 in_pipeline: bool = False) -> str | None:
    """Why Keras cannot call `layer_type` on `n_inputs` inputs of `rank` axes (batch axis not counted), or None;
    `in_pipeline`: as a Pipeline calls it (the probe's `in_pipeline` ranks, where they differ).

    Only where the layer was probed: no finding for a registered type or one Keras could not be asked about."""
    info = probe(layer_type)
    if not info:
        return None
    calls = info.get("calls", {})
    if not calls:
        return (f"Keras cannot call {layer_type} on model inputs directly"
                + (" (a cell goes in RNN's 'cell:' or StackedRNNCells' 'cells:')" if layer_type.endswith("Cell") else ""))
    n = 2 if n_inputs >= 2 else 1
    if str(n) not in calls:
        other = "two or more inputs" if n == 1 else "one input"
        return f"{layer_type} needs {other} (this layer gets {n_inputs})"
    if args and _unprobed_ranks(layer_type, args, info, for_input=True):
        return None
    ranks = sorted(int(r) for r in _called_ranks(layer_type, info, n, in_pipeline, args or {}))
    piped = ranks != sorted(int(r) for r in calls[str(n)]["ranks"])
    if not ranks:  # inside a Pipeline, with the arguments measured: another value may do (bin_boundaries)
        return None if args and changed_args(layer_type, args) else \
            f"inside a Pipeline, {layer_type} fails on inputs of every rank ({PIPELINE_WHY})"
    if rank is not None and rank <= 5 and rank not in ranks:
        return (f"{'inside a Pipeline, ' if piped else ''}{layer_type} takes inputs of {_ranks(ranks)} besides the batch "
                f"axis{f' ({PIPELINE_WHY})' if piped else ''}; this input has {rank}")
    return None


def _called_ranks(layer_type: str, info: dict, n: int, in_pipeline: bool, args: dict) -> dict:
    """{input rank: output rank} of the probed calls on `n` inputs; inside a Pipeline, where that differs, as
    measured on the backend checked for (JAX and PyTorch measured on themselves, any other as TensorFlow)."""
    piped = None
    if in_pipeline and n == 1 and not _reshaping_args(layer_type, args):
        measured = catalog().in_pipeline.get(current_backend().name)
        piped = measured.get(layer_type) if measured is not None else info.get("in_pipeline")
    return piped if piped is not None else info.get("calls", {}).get(str(n), {}).get("ranks", {})


def _reshaping_args(layer_type: str, args: dict) -> bool:
    """Whether an argument that the probes saw change the output's shape has another value than they measured the
    ranks inside a Pipeline with (RandomCrop's data_format): those ranks then do not speak for this layer."""
    info = probe(layer_type)
    shaping = {*info.get("rank_args", ()), *info.get("shape_args", ()), *info.get("width_args", ())}
    return any(arg in shaping for arg in changed_args(layer_type, args))


def _ranks(ranks: list[int]) -> str:
    if len(ranks) > 1 and ranks == list(range(ranks[0], ranks[-1] + 1)):
        return f"{ranks[0]} to {ranks[-1]} axes"
    return f"{' or '.join(map(str, ranks))} ax{'i' if ranks == [1] else 'e'}s"


def input_dtype(layer_type: str, n_inputs: int) -> str | None:
    """The dtype of input the layer was probed on (float32 for most; int32 for lookups; None if unknown)."""
    calls = probe(layer_type).get("calls", {})
    entry = calls.get("2" if n_inputs >= 2 else "1")
    return entry.get("dtype") if entry else None


# Arguments that never change what a layer returns the shape of (its activation, its name, its slots).
SHAPELESS_ARGS = frozenset({"name", "trainable", "dtype", "autocast", "input_shape", "activation",
                            "recurrent_activation", "seed"})


def changed_args(layer_type: str, args: dict) -> dict:
    """The arguments given another value than the probes built the layer with (slots and sublayers left out)."""
    lt = catalog().layer(layer_type)
    if lt is None:
        return {}
    base = lt.probe.get("base", {})
    return {arg: value for arg, value in args.items()
            if arg in lt.params and arg not in SHAPELESS_ARGS and arg not in lt.slots and arg not in lt.layer_params
            and value != base.get(arg, lt.params[arg].get("default"))}


def output_rank(layer_type: str, n_inputs: int, rank: int | None, args: dict, in_pipeline: bool = False) -> int | None:
    """The rank the layer returns on inputs of `rank` axes (inside a Pipeline: as it calls it), where the probes
    tell (None: unknown)."""
    info = probe(layer_type)
    if rank is None or not info:
        return None
    if _unprobed_ranks(layer_type, args, info):
        return None
    out = _called_ranks(layer_type, info, 2 if n_inputs >= 2 else 1, in_pipeline, args).get(str(rank))
    return out if isinstance(out, int) else None


def _unprobed_ranks(layer_type: str, args: dict, info: dict, for_input: bool = False) -> bool:
    """Whether the layer's arguments may change the ranks it takes or returns beyond what the probes saw.

    An argument probed to change the rank, or a list or word the probes did not call with (Reshape's
    target_shape, EinsumDense's equation): the ranks are not known. A list where the probe called one and compared
    ranks (`called_lists`: a window's kernel_size, AdaptiveMaxPooling2D's output_size, Hashing's salt), a word
    among the probed choices, or any word where the probe's word was taken, was called with and compared. For the
    ranks a layer takes (`for_input`), only the lists that follow the input count (`INPUT_LISTS`): a kernel size
    does not."""
    for arg, value in changed_args(layer_type, args).items():
        if for_input and arg in OUTPUT_RANK_ONLY:
            continue
        if arg in info.get("rank_args", ()):
            return True
        if isinstance(value, list) and ((for_input and arg in INPUT_LISTS)
                                        or (not for_input and arg not in info.get("called_lists", ()))):
            return True
        if isinstance(value, str) and value not in info.get("choices", {}).get(arg, ()) \
                and "str" in info.get("refused", {}).get(arg, ()):
            return True
    return False


def output_width(layer_type: str, args: dict, width: int | None) -> int | None:
    """The last axis of what the layer returns, from the probed rule: the input's, one of its arguments
    (`units`), or a fixed size; None where an argument the probes saw resize the output was changed."""
    info = probe(layer_type)
    rule = info.get("width")
    if rule is None:
        return None
    named = rule.get("arg") if isinstance(rule, dict) else None
    if any(arg in info.get("width_args", ()) and arg != named for arg in changed_args(layer_type, args)):
        return None
    if rule == "keep":
        return width
    if named is not None:
        lt = catalog().layers[layer_type]
        value = args.get(named, info.get("base", {}).get(named, lt.params.get(named, {}).get("default")))
        return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None
    return rule.get("fixed")


def output_axes(layer_type: str, args: dict) -> str | None:
    """How the axes before the last relate to the input's: "same" (Dense), "appended" (Embedding: the input's
    axes, then one more), or None where not known or an argument that reshapes the output was changed."""
    info = probe(layer_type)
    if any(arg in info.get("shape_args", ()) for arg in changed_args(layer_type, args)):
        return None
    return info.get("axes")


def returns_input(layer_type: str) -> bool:
    """Whether the layer, called on a symbolic input, returns that tensor itself (Equalization): Keras refuses a
    model whose output is its input."""
    return bool(probe(layer_type).get("returns_input"))


def axis_problem(layer_type: str, args: dict, rank: int | None) -> tuple[str, str] | None:
    """(argument, why) when an axis argument names an axis an input of `rank` axes (plus the batch) does not have."""
    if rank is None:
        return None
    total = rank + 1
    no_batch = probe(layer_type).get("batch_axis_refused", [])
    for arg in AXIS_ARGS:
        value = args.get(arg)
        items = value if isinstance(value, list) else [value]
        for v in items:
            if isinstance(v, int) and not isinstance(v, bool) and not -total <= v < total:
                return arg, (f"{shown(arg)} {v} of {layer_type} is not an axis of its input, which has {total} "
                             f"axes with the batch axis (use -{total} to {total - 1})")
            if arg in no_batch and isinstance(v, int) and not isinstance(v, bool) and v in (0, -total):
                return arg, (f"{shown(arg)} {v} of {layer_type} names the batch axis, whose size is not known when "
                             f"the layer is built: Keras refuses it (use 1 to {rank}, or -{rank} to -1)")
        repeated = _repeated_axis(value, total) if arg in probe(layer_type).get("repeated_axis_refused", ()) else None
        if repeated is not None:
            return arg, (f"{shown(arg)} {value} of {layer_type} names axis {repeated} twice (counting from the end "
                         f"with negatives, on an input of {total} axes with the batch axis): Keras refuses it")
    for arg in WEIGHT_AXIS_ARGS:
        value = args.get(arg)
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, int) and not isinstance(v, bool) and not -rank <= v - 1 < rank:
                return arg, (f"{shown(arg)} {v} of {layer_type} is not an axis of its input, which has {rank} "
                             f"besides the batch axis (use 1 to {rank})")
    return None


def _repeated_axis(value: Any, total: int) -> int | None:
    """The first axis a list of axes names twice, negatives counted from the end of `total` axes (None: none)."""
    if not isinstance(value, list):
        return None
    seen: set[int] = set()
    for v in value:
        if isinstance(v, int) and not isinstance(v, bool) and -total <= v < total:
            if v % total in seen:
                return v % total
            seen.add(v % total)
    return None


def reshape_problem(layer_type: str, args: dict, shape: list | None) -> str | None:
    """Why Reshape cannot turn an input of `shape` (fully known) into its target_shape: the sizes differ."""
    target = args.get("target_shape")
    if layer_type != "Reshape" or not shape or not all(isinstance(d, int) and d > 0 for d in shape) \
            or not isinstance(target, list) or not all(isinstance(d, int) and not isinstance(d, bool) for d in target):
        return None
    size, known = math.prod(shape), math.prod(d for d in target if d != -1)
    if known < 1 or (size % known if -1 in target else size != known):
        return (f"'target_shape' {target} does not hold the {size} values of its input {shape} "
                f"(the sizes must match; -1 takes what is left)")
    return None


# Layers that scale their input by a vector of this argument's length (keras.applications' LayerScale): it must be the
# input's width, or 1 (broadcast).
SCALE_VECTOR_ARGS = {"LayerScale": "projection_dim"}


def width_problem(layer_type: str, args: dict, width: int | None) -> tuple[str, str] | None:
    """(argument, why) when the input's width (its last axis) does not fit the layer: GroupNormalization's groups
    must divide the channels; LayerScale's vector must be as long as them."""
    arg = SCALE_VECTOR_ARGS.get(layer_type)
    if arg is not None and width is not None:
        size = args.get(arg)
        if isinstance(size, int) and not isinstance(size, bool) and size not in (1, width):
            return arg, f"{shown(arg)} ({size}) must be the width of its input ({width}) or 1: it scales each channel"
        return None
    if width is None or layer_type != "GroupNormalization" or args.get("axis", -1) != -1:
        return None
    groups = args.get("groups", catalog().layers[layer_type].params.get("groups", {}).get("default"))
    if isinstance(groups, int) and not isinstance(groups, bool) and groups > 0 and width % groups:
        return "groups", (f"'groups' ({groups}) must divide the {width} channels of its input "
                          f"(set 'groups' to a divisor of {width})")
    return None


# -- weights ---------------------------------------------------------------------------------------------------------

def probed_weights(layer_type: str, args: dict, width: int | None) -> int:
    """A lower bound on the weights of a layer from its probed variables, `fixed + per_channel * width` each.

    The probe built the layer with its base arguments; an argument given here with another value may change that:
    a flag (`center: false`) may drop variables, so only the statistics (`moving_*`) are counted; a number, list or
    string (`output_shape`) may resize them, so each still counts 1."""
    info = probe(layer_type)
    weights = info.get("weights")
    if not weights:
        return 0
    params = catalog().layers[layer_type].params if layer_type in catalog().layers else {}
    base = info.get("base", {})
    changed = [v for k, v in args.items() if k in params and v != base.get(k, params[k].get("default"))]
    drops = any(isinstance(v, bool) for v in changed)
    total = 0
    for name, w in weights.items():
        stats = name.rsplit("/", 1)[-1].startswith("moving_")
        if drops and not stats:
            continue
        total += max(w["fixed"] + w["per_channel"] * (width or 1), 0) if stats or not changed else 1
    return total


# -- variables -----------------------------------------------------------------------------------------------------

def variable_names(layer_type: str, config: dict, count: int) -> list[str] | None:
    """The names of a layer's `count` own saved variables in the order Keras saves them, from the probed order
    and the boolean arguments probed to drop or add some (None when the layout is not known or does not fit)."""
    if layer_type in HAND_VARIABLES:
        names = [n for n, flag in HAND_VARIABLES[layer_type] if flag is None or config.get(flag, flag == "use_bias")]
        return names if len(names) == count else None
    info = probe(layer_type).get("variables")
    if not info:
        return None
    names = list(info["order"])
    lt = catalog().layer(layer_type)
    params = lt.params if lt is not None else {}
    for arg, toggled in info.get("flags", {}).items():
        default = params.get(arg, {}).get("default")
        if bool(config.get(arg, default)) != default:
            names = [n for n in names if n in toggled] + [n for n in toggled if n not in names]
    return names if len(names) == count else None


def made_by(layer_type: str | None, variable: str) -> str | None:
    """The initializer slot that makes `variable` of `layer_type`, as probed (None: not known)."""
    if layer_type is None:
        return None
    return probe(layer_type).get("variables", {}).get("made_by", {}).get(variable)
