"""The closed list of Keras operations a model file may apply to tensors: `{op: add, inputs: [a, b]}`.

Why a closed table: Keras's functional API also records operations on symbolic tensors (`x * 2`,
`keras.ops.concatenate`, hard-swish written as ops), and `keras.applications` models use them. A model
file names such an operation by its `keras.ops` name; this table says what each one takes, how
`validate` follows its shapes, and which Keras operation class `build` makes (`keras_side/building.py`)
and `export` recognizes. Nothing in a file can name anything else: an operation outside the table is a
finding, never a look-up. No Keras import here.

Shapes are those of the checker: without the batch axis, `None` for a size not known. The operations'
own axes count the batch axis, as in `keras.ops` (`axis: -1` is the last, `axis: 0` the batch).

    >>> op_shape(OPS["add"], {}, [[4, 1], [1, 3]])
    ([4, 3], None)
    >>> op_shape(OPS["concatenate"], {"axis": -1}, [[2, 3], [2, 5]])
    ([2, 8], None)
    >>> op_shape(OPS["add"], {}, [[4], [3]])[1]
    'the shapes [4] and [3] do not broadcast (axis -1: 4 against 3)'
"""

from __future__ import annotations

import math
from typing import Any

from .records import field, record
from .text import shown

BINARY, UNARY, CONCAT, RESHAPE, REDUCE = "binary", "unary", "concatenate", "reshape", "reduce"
# Keras's modules of operations: `keras.src.ops.<module>`.
NUMPY, NN = "numpy", "nn"


@record(frozen=True)
class OpType:
    """One operation: its model-file name (the `keras.ops` function), how it combines tensors, the Keras
    operation class that records it in a functional model, and the arguments it takes besides its inputs."""

    name: str
    kind: str
    keras_class: str
    module: str = NUMPY
    params: dict[str, dict] = field(default_factory=dict)  # name -> {"type": ..., "default": ...} or required

    @property
    def keras_module(self) -> str:
        return f"keras.src.ops.{self.module}"


_AXIS: dict[str, dict] = {"axis": {"type": "int", "default": -1}}
_REDUCE: dict[str, dict] = {"axis": {"type": "axes", "default": None}, "keepdims": {"type": "bool", "default": False}}


def _table() -> dict[str, OpType]:
    binary = {"add": "Add", "subtract": "Subtract", "multiply": "Multiply", "divide": "Divide",
              "maximum": "Maximum", "minimum": "Minimum", "power": "Power"}
    unary = {"abs": "Absolute", "negative": "Negative", "square": "Square", "sqrt": "Sqrt", "exp": "Exp",
             "log": "Log", "tanh": "Tanh"}
    activations = {"relu": "Relu", "relu6": "Relu6", "sigmoid": "Sigmoid", "hard_sigmoid": "HardSigmoid",
                   "hard_silu": "HardSilu", "silu": "Silu", "softplus": "Softplus"}
    ops = [OpType(n, BINARY, c) for n, c in binary.items()]
    ops += [OpType(n, UNARY, c) for n, c in unary.items()]
    ops += [OpType(n, UNARY, c, NN) for n, c in activations.items()]
    ops += [OpType("gelu", UNARY, "Gelu", NN, {"approximate": {"type": "bool", "default": True}}),
            OpType("softmax", UNARY, "Softmax", NN, dict(_AXIS)),
            OpType("concatenate", CONCAT, "Concatenate", NUMPY, {"axis": {"type": "int", "default": 0}}),
            OpType("reshape", RESHAPE, "Reshape", NUMPY, {"newshape": {"type": "shape", "required": True}}),
            OpType("mean", REDUCE, "Mean", NUMPY, dict(_REDUCE)),
            OpType("sum", REDUCE, "Sum", NUMPY, dict(_REDUCE))]
    return {op.name: op for op in ops}


OPS: dict[str, OpType] = _table()
# The Keras operation class (module, class name) -> its entry: how export recognizes an operation.
BY_KERAS_CLASS: dict[tuple[str, str], OpType] = {(op.keras_module, op.keras_class): op for op in OPS.values()}
# Keys of an operation entry besides its own arguments.
OP_KEYS = ("op", "name", "inputs", "value", "value_first")


def _int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def argument_problem(op: OpType, key: str, value: Any) -> str | None:
    """Why an operation refuses an argument value (its type), else None."""
    kind = op.params[key].get("type")
    if kind == "int" and not _int(value):
        return f"{shown(key)} of {op.name} takes a whole number, got {value!r}"
    if kind == "bool" and not isinstance(value, bool):
        return f"{shown(key)} of {op.name} takes true or false, got {value!r}"
    if kind == "axes" and not (value is None or _int(value) or (isinstance(value, list) and value
                                                               and all(_int(a) for a in value))):
        return f"{shown(key)} of {op.name} takes a whole number, a list of them or null, got {value!r}"
    if kind == "shape":
        return _newshape_problem(value)
    return None


def _newshape_problem(value: Any) -> str | None:
    if not (isinstance(value, list) and value and all(_int(d) for d in value)):
        return f"'newshape' takes a list of whole numbers (the batch axis first, -1 for one axis), got {value!r}"
    if value.count(-1) > 1 or any(d == 0 or d < -1 for d in value):
        return f"'newshape' {value} may hold one -1 and otherwise sizes of at least 1"
    return None


def operand_problem(op: OpType, n_inputs: int, value: Any, has_value: bool, value_first: Any) -> str | None:
    """Why an operation cannot take these operands: how many tensors, and a constant where it takes one."""
    if op.kind == BINARY:
        if has_value and not _number(value):
            return f"'value' of {op.name} takes a number (the constant operand), got {value!r}"
        if value_first is not None and not isinstance(value_first, bool):
            return f"'value_first' takes true or false, got {value_first!r}"
        want = 1 if has_value else 2
        if n_inputs != want:
            takes = "one input and its value" if has_value else "two inputs, or one input and value:"
            return f"{op.name} takes two operands: {takes}; it has {n_inputs} input{'s' if n_inputs != 1 else ''}"
        return None
    if has_value or value_first is not None:
        return f"{op.name} takes no 'value' (only add, subtract, multiply, divide, maximum, minimum and power do)"
    if op.kind == CONCAT:
        return None if n_inputs >= 1 else "concatenate needs at least one input"
    return None if n_inputs == 1 else f"{op.name} takes one input, it has {n_inputs}"


# -- shapes ---------------------------------------------------------------------------------------------------

def op_shape(op: OpType, args: dict, shapes: list) -> tuple[list | None, str | None]:
    """(output shape or None when not known, why Keras refuses these inputs or None), shapes without batch."""
    if op.kind == UNARY:
        return _unary(op, args, shapes[0])
    if op.kind == BINARY:
        return _broadcast(shapes)
    if op.kind == CONCAT:
        return _concat(args.get("axis", 0), shapes)
    if op.kind == RESHAPE:
        return _reshape(args.get("newshape"), shapes[0])
    return _reduce(args.get("axis"), bool(args.get("keepdims", False)), shapes[0])


def _axis_in(axis: int, rank: int) -> int | None:
    """A `keras.ops` axis (batch included) as an index into a shape without batch; None: the batch or out of range."""
    full = axis + rank + 1 if axis < 0 else axis
    return full - 1 if 1 <= full <= rank else None


def _unary(op: OpType, args: dict, shape: list | None) -> tuple[list | None, str | None]:
    if op.name == "softmax" and shape is not None:
        axis = args.get("axis", -1)
        if not -len(shape) - 1 <= axis <= len(shape):
            return None, f"softmax has no axis {axis} on an input of rank {len(shape) + 1} (batch included)"
    return (list(shape) if shape is not None else None), None


def _broadcast(shapes: list) -> tuple[list | None, str | None]:
    known = [s for s in shapes if s is not None]
    if len(known) < len(shapes):
        return None, None
    if len(known) == 1:
        return list(known[0]), None
    a, b = known
    rank = max(len(a), len(b))
    pa, pb = [1] * (rank - len(a)) + list(a), [1] * (rank - len(b)) + list(b)
    out: list = []
    for i, (x, y) in enumerate(zip(pa, pb)):
        if x is not None and y is not None and x != y and 1 not in (x, y):
            return None, f"the shapes {a} and {b} do not broadcast (axis {i - rank}: {x} against {y})"
        out.append(y if x == 1 else x if y == 1 else x if x is not None else y)
    return out, None


def concat_shape(axis: Any, shapes: list) -> list | None:
    """What joining `shapes` along `axis` (batch included, as Keras counts it) makes: `keras.ops.concatenate`
    and the Concatenate layer alike; None where it is not known or Keras refuses it."""
    return _concat(axis, shapes)[0] if _int(axis) else None


def _concat(axis: int, shapes: list) -> tuple[list | None, str | None]:
    known = [s for s in shapes if s is not None]
    if len(known) < len(shapes) or not known:
        return None, None
    rank = len(known[0])
    if any(len(s) != rank for s in known):
        return None, f"concatenate needs inputs of one rank, got {' and '.join(map(str, known))}"
    if not -rank - 1 <= axis <= rank:
        return None, f"concatenate has no axis {axis} on inputs of rank {rank + 1} (batch included)"
    joined = _axis_in(axis, rank)
    if joined is None:
        return None, f"concatenate along axis {axis}, the batch axis, would mix samples; join features (axis: -1)"
    for s in known[1:]:
        if any(x is not None and y is not None and x != y for i, (x, y) in enumerate(zip(known[0], s)) if i != joined):
            return None, (f"concatenate along axis {axis} needs the same sizes on the other axes, got "
                          f"{known[0]} and {s}")
    out = list(known[0])
    sizes = [s[joined] for s in known]
    out[joined] = sum(sizes) if all(d is not None for d in sizes) else None
    return out, None


def _reshape(newshape: Any, shape: list | None) -> tuple[list | None, str | None]:
    if not isinstance(newshape, list) or not newshape:
        return None, None
    if newshape[0] != -1:
        return None, (f"'newshape' {newshape} changes the batch axis; it starts with -1 (the batch, kept) and gives "
                      f"the other axes")
    out = [None if d == -1 else d for d in newshape[1:]]
    if shape is not None and all(d is not None for d in shape):
        size, target = math.prod(shape), math.prod(d for d in out if d is not None)
        if size != target:
            return None, (f"reshape keeps the batch axis (newshape starts with -1), so the other axes must hold "
                          f"{size} values as the input {shape} does; {newshape[1:]} holds {target}")
    return out, None


def _reduce(axis: Any, keepdims: bool, shape: list | None) -> tuple[list | None, str | None]:
    axes = axis if isinstance(axis, list) else [axis]
    if axis is None or 0 in axes or (shape is not None and -len(shape) - 1 in axes):
        return None, "it would reduce over the batch axis and mix samples; give 'axis:' of the features (1 and up, or -1)"
    if shape is None:
        return None, None
    rank = len(shape)
    bad = [a for a in axes if not -rank - 1 <= a <= rank]
    if bad:
        return None, f"the input has no axis {bad[0]} (rank {rank + 1}, batch included)"
    idx = [_axis_in(a, rank) for a in axes]
    if len(set(idx)) < len(idx):  # axis: [1, 1] or [1, -1] on rank 2: Keras refuses an axis named twice
        return None, f"'axis' {axis} names one axis twice"
    return [1 if i in idx else d for i, d in enumerate(shape) if keepdims or i not in idx], None


def op_rank(op: OpType, args: dict, ranks: list) -> int | None:
    """The output rank (batch excluded) when the shapes are not known but the ranks are."""
    if op.kind in (UNARY, CONCAT):
        return ranks[0]
    if op.kind == BINARY:
        return None if None in ranks else max(ranks)
    if op.kind == RESHAPE:
        newshape = args.get("newshape")
        return len(newshape) - 1 if isinstance(newshape, list) and newshape and newshape[0] == -1 else None
    axis, rank = args.get("axis"), ranks[0]
    if axis is None or rank is None:
        return None
    return rank if args.get("keepdims") else rank - len(axis if isinstance(axis, list) else [axis])
