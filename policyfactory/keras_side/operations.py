"""The operations of a model file (`{op: add, inputs: [a, b]}`) made with Keras.

The core's closed table (`core/ops.py`) names, for each operation, the Keras operation class that
records it in a functional model; this module makes that class, named as the file names the entry,
and calls it on the entry's tensors. Only classes of the table are ever made: a file names an entry of
the table, never a function.

    >>> import keras
    >>> from policyfactory.core.ops import OPS
    >>> x = keras.Input((3,))
    >>> y = apply_op(OPS["multiply"], "twice", {"value": 2.0}, [x])
    >>> model = keras.Model(x, y)
    >>> [op.name for op in model.operations][1:], keras.ops.convert_to_numpy(model(keras.ops.ones((1, 3)))).tolist()
    (['twice'], [[2.0, 2.0, 2.0]])
"""

from __future__ import annotations

from typing import Any

from keras.src.ops import nn, numpy

from ..core.ops import BINARY, CONCAT, NN, OpType

_MODULES = {"numpy": numpy, NN: nn}
_OWN_KEYS = ("value", "value_first")


def op_class(op: OpType) -> type:
    """The Keras operation class of a table entry."""
    return getattr(_MODULES[op.module], op.keras_class)


def apply_op(op: OpType, name: str, args: dict, ins: list) -> Any:
    """The operation applied to its input tensors (and its constant operand), as the model file entry says."""
    made = op_class(op)(**{k: v for k, v in args.items() if k not in _OWN_KEYS}, name=name)
    if op.kind == CONCAT:
        return made(list(ins))
    if op.kind == BINARY and "value" in args:
        value = args["value"]
        return made(value, ins[0]) if args.get("value_first") else made(ins[0], value)
    return made(*ins)
