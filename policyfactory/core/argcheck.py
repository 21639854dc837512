"""What Keras would refuse, known without Keras: ranges, choices, finite numbers, dtypes, names.

Why: `validate` promises that whatever it passes, `build` builds. Keras checks
many argument values only when a layer or initializer is constructed; this
table states the common ones as data so a file gets a finding at the offending
key instead of a Keras error at build time. Keras itself stays the last word:
anything it still refuses becomes a `keras-error` finding at the layer.

    >>> argument_problem("Dropout", "rate", 5)
    "'rate' must be at least 0 and below 1, got 5"
    >>> argument_problem("Conv2D", "padding", "causal")
    "'padding' must be one of 'valid', 'same', got 'causal'"
    >>> argument_problem("Dense", "units", 8) is None
    True
"""

from __future__ import annotations

import math
import re
from typing import Any

from .text import shown

# Sizes and counts: a whole number of at least 1 (null where Keras has a null default).
_AT_LEAST_ONE = {"units", "filters", "output_dim", "input_dim", "num_heads", "key_dim", "value_dim", "depth_multiplier",
                 "groups", "num_key_value_heads", "head_dim", "n", "num_bins", "num_tokens", "max_tokens",
                 "power_iterations", "lora_rank"}
_NOT_NEGATIVE = {"l1", "l2", "factor", "negative_slope", "max_value", "stddev"}
_INITIALIZER_NUMBERS = {"gain", "mean", "stddev", "scale", "value", "minval", "maxval"}
NUMBER_LIMIT = 1e30  # initializer numbers beyond this overflow float32 weights into inf
SEED_LIMIT = 2**31 - 1
# A whole number or a list of them, each at least 1.
_SIZES_AT_LEAST_ONE = {"kernel_size", "strides", "pool_size", "dilation_rate", "dilation", "size"}
SIZE_ARGS = _AT_LEAST_ONE | _SIZES_AT_LEAST_ONE  # null only where Keras's own default is null
_RATES = {"rate", "dropout", "recurrent_dropout"}  # in [0, 1)
_ONE_D_CAUSAL = {"Conv1D", "SeparableConv1D", "DepthwiseConv1D", "SeparableConvolution1D", "Convolution1D"}
_CHOICES = {
    ("*", "data_format"): ("channels_last", "channels_first"),
    ("*", "merge_mode"): ("sum", "mul", "concat", "ave"),
    ("VarianceScaling", "mode"): ("fan_in", "fan_out", "fan_avg"),
    ("VarianceScaling", "distribution"): ("truncated_normal", "untruncated_normal", "uniform", "normal"),
    ("OrthogonalRegularizer", "mode"): ("rows", "columns"),
    ("TextVectorization", "split"): ("whitespace", "character"),
}
DTYPES = ("float16", "float32", "float64", "bfloat16", "int8", "int16", "int32", "int64", "uint8", "uint16",
          "uint32", "uint64", "bool", "string", "complex64", "complex128")
DTYPE_POLICIES = ("mixed_float16", "mixed_bfloat16")


def non_finite(value: Any) -> bool:
    """Whether a number anywhere in `value` (lists and mappings included) is NaN or infinite."""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, float) and not math.isfinite(v):
            return True
        if isinstance(v, dict):
            stack.extend(v.values())
        elif isinstance(v, (list, tuple)):
            stack.extend(v)
    return False


def _whole(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _range(name: str, value: Any, low: float, high: float | None, high_open: bool, low_open: bool = False) -> str | None:
    if not _number(value):
        return None  # the type check speaks about wrong types
    too_low = value <= low if low_open else value < low
    too_high = high is not None and (value >= high if high_open else value > high)
    if not (too_low or too_high):
        return None
    lower = f"above {low:g}" if low_open else f"at least {low:g}"
    upper = "" if high is None else f" and {'below' if high_open else 'at most'} {high:g}"
    return f"{shown(name)} must be {lower}{upper}, got {value}"


_RANK = re.compile(r"([123])D(Transpose)?$")


def _sizes(owner: str, name: str, value: Any) -> str | None:
    items = value if isinstance(value, list) else [value]
    if value is None or not all(_whole(v) for v in items):
        return None
    if any(v < 1 for v in items):
        return f"{shown(name)} must be at least 1 in every dimension, got {value}"
    rank = _RANK.search(owner)
    if isinstance(value, list) and rank and len(value) != int(rank.group(1)):
        return f"{shown(name)} of {owner} takes one number or a list of {rank.group(1)}, got {value}"
    return None


def _choice(name: str, value: Any, choices: tuple[str, ...]) -> str | None:
    if value is None or not isinstance(value, str) or value in choices:
        return None
    return f"{shown(name)} must be one of {', '.join(shown(c) for c in choices)}, got {shown(value)}"


def dtype_problem(name: str, value: Any, policies: bool = False) -> str | None:
    allowed = DTYPES + (DTYPE_POLICIES if policies else ())
    if value is None or not isinstance(value, str) or value in allowed:
        return None
    return (f"{shown(name)} must be a Keras dtype (float32, float16, bfloat16, int32, int64, bool, string ..."
            f"{', or a policy such as mixed_float16' if policies else ''}), got {shown(value)}")


def argument_problem(owner: str, name: str, value: Any) -> str | None:
    """Why Keras would refuse `value` for argument `name` of layer or component class `owner`, or None."""
    return _number_problem(name, value) or _kind_problem(owner, name, value)


def _number_problem(name: str, value: Any) -> str | None:
    """Numbers Keras refuses whatever the layer: not finite, sizes below 1, negative rates, huge values, seeds."""
    if non_finite(value):
        return f"{shown(name)} must be a finite number, got {value}"
    if name in _AT_LEAST_ONE and _whole(value) and value < 1:
        return f"{shown(name)} must be at least 1, got {value}"
    if name in _NOT_NEGATIVE and _number(value) and value < 0:
        return f"{shown(name)} must be at least 0, got {value}"
    if name in _INITIALIZER_NUMBERS and _number(value) and abs(value) > NUMBER_LIMIT:
        return f"{shown(name)} must be at most {NUMBER_LIMIT:g} in size (larger values overflow float32 weights)"
    if name == "seed" and _whole(value) and not 0 <= value <= SEED_LIMIT:
        return f"'seed' must be from 0 to {SEED_LIMIT} (Keras keeps seeds in 32 bits), got {value}"
    return None


def _kind_problem(owner: str, name: str, value: Any) -> str | None:
    """Sizes, rates, choices and structures, by what the argument means for `owner`."""
    if name in _SIZES_AT_LEAST_ONE:
        return _sizes(owner, name, value)
    if name in _RATES:
        return _range(name, value, 0, 1, high_open=True)
    if name == "momentum":
        return _range(name, value, 0, 1, high_open=False)
    if name == "epsilon" or (owner == "VarianceScaling" and name == "scale"):
        return _range(name, value, 0, None, high_open=False, low_open=True)
    if name == "padding" and isinstance(value, str):
        return _choice(name, value, ("valid", "same", "causal") if owner in _ONE_D_CAUSAL else ("valid", "same"))
    if name == "dtype":
        return dtype_problem(name, value, policies=True)
    choices = _CHOICES.get((owner, name)) or _CHOICES.get(("*", name))
    if choices is not None:
        return _choice(name, value, choices)
    return _structure_problem(owner, name, value)


def _structure_problem(owner: str, name: str, value: Any) -> str | None:
    """Arguments whose parts must fit together: permutations, reshapes, vocabularies."""
    if name == "dims" and owner == "Permute" and isinstance(value, list) and sorted(value) != list(range(1, len(value) + 1)):
        return f"'dims' must be a permutation of 1..{len(value)}, got {value}"
    if name == "target_shape" and isinstance(value, list) and value.count(-1) > 1:
        return f"'target_shape' may hold -1 at most once, got {value}"
    if name in ("vocabulary", "idf_weights") and value is not None:
        if not isinstance(value, list) or any(isinstance(v, (list, dict)) for v in value):
            return f"{shown(name)} must be a list of values"
        if name == "vocabulary" and len({repr(v) for v in value}) != len(value):
            return "'vocabulary' holds a value twice"
    return None


def layer_problems(layer_type: str, args: dict, has_weights: bool) -> list[tuple[str, str]]:
    """(argument, problem) for combinations of a layer's arguments that Keras refuses."""
    out = []
    groups, filters = args.get("groups"), args.get("filters")
    if isinstance(groups, int) and isinstance(filters, int) and groups > 0 and filters % groups:
        out.append(("groups", f"'groups' ({groups}) must divide 'filters' ({filters})"))
    strides, dilation = args.get("strides"), args.get("dilation_rate")
    if _beyond_one(strides) and _beyond_one(dilation):
        out.append(("dilation_rate", "'strides' and 'dilation_rate' cannot both be above 1"))
    dtype = args.get("dtype")
    if has_weights and isinstance(dtype, str) and dtype not in ("float16", "float32", "float64", "bfloat16") \
            and dtype not in DTYPE_POLICIES:
        out.append(("dtype", f"a layer with weights computes in a float dtype (float32, float16, bfloat16, "
                             f"mixed_float16 ...), got {shown(dtype)}"))
    heads, kv_heads = args.get("num_query_heads"), args.get("num_key_value_heads")
    if isinstance(heads, int) and isinstance(kv_heads, int) and kv_heads > 0 and heads % kv_heads:
        out.append(("num_key_value_heads", f"'num_query_heads' ({heads}) must be a multiple of "
                                           f"'num_key_value_heads' ({kv_heads})"))
    return out


def _beyond_one(value: Any) -> bool:
    items = value if isinstance(value, list) else [value]
    return any(_whole(v) and v > 1 for v in items)


def name_problem(name: Any) -> str | None:
    """Why Keras would refuse a model, input or layer name, or None."""
    if not isinstance(name, str):
        return None
    if not name:
        return "a name cannot be empty"
    if "/" in name:
        return f"name {shown(name)} contains '/', which Keras reserves for weight paths"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in name):
        return f"name {shown(name)} contains control characters"
    return None


def shape_problem(shape: Any) -> str | None:
    """Why an input shape (without the batch dimension) is refused, or None."""
    if isinstance(shape, list) and any(_whole(d) and d < 1 for d in shape):
        return f"every dimension of 'shape' must be at least 1 or null, got {shape}"
    return None
