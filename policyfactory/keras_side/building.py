"""`build_model`: a validated model file, built through the `LayerFactory`.

What was validated is exactly what gets built: the core's `ModelSpec` carries
every layer's canonical type, name, arguments and resolved components, and the
factory plans its slots with the same `Planner` that judged them.

    >>> import policyfactory as pf
    >>> model = pf.build_model("examples/forecaster.yaml")
    >>> [l.name for l in model.layers][1:]
    ['lstm_a', 'lstm', 'dense']
"""

from __future__ import annotations

import os
from typing import Any

import keras

from ..core.atomic import atomic_output
from ..core.findings import Finding, InvalidInput, PolicyViolation
from ..core.modelfile import LayerNode, ModelSpec
from ..core.policy import Policy
from ..core.validate import ValidationResult, validate_mapping, validate_path
from .factory import ATTENTION_TYPES, LayerFactory

LIST_INPUT_TYPES = {"Add", "Average", "Concatenate", "Dot", "Maximum", "Minimum", "Multiply", "Subtract",
                    "Attention", "AdditiveAttention"}


def _checked(path_or_mapping: Any, policy) -> ValidationResult:
    if isinstance(path_or_mapping, dict):
        result = validate_mapping(path_or_mapping, policy=policy, expect="model")
    else:
        result = validate_path(os.fspath(path_or_mapping), policy=policy, expect="model")
    invalid = [f for f in result.findings if f.category == "invalid"]
    if invalid:
        raise InvalidInput(invalid)
    if result.findings:
        raise PolicyViolation(result.findings)
    return result


def build_model(path_or_mapping: Any, *, policy: "str | Policy | None" = None, strategy=None) -> keras.Model:
    """Validate a model file (path or mapping) and build it with Keras.

    Raises `PolicyViolation` when the model breaks its policy and `InvalidInput`
    (a `ValueError`) when the file is not valid. With `strategy=`
    (a `tf.distribute` strategy), variables are created in its scope.
    """
    result = _checked(path_or_mapping, policy)
    if strategy is not None:
        with strategy.scope():
            return build_from_spec(result.spec, result.policy)
    return build_from_spec(result.spec, result.policy)


def _keras_error(spec: ModelSpec, node: LayerNode | None, what: str, exc: Exception) -> InvalidInput:
    line, col = node.mark if node is not None else (1, 1)
    msg = " ".join(str(exc).split())
    if len(msg) > 300:
        msg = msg[:297] + "..."
    return InvalidInput(Finding(spec.file, line, col, "keras-error", f"{what}: {msg}"))


def build_from_spec(spec: ModelSpec, policy: Policy) -> keras.Model:
    factory = LayerFactory(policy, seed=spec.seed)
    handles = {name: factory.shared(name, {"class_name": c.class_name, "config": c.config}, kind=c.kind)
               for name, c in spec.shared.items()}

    def make(node: LayerNode):
        kwargs = dict(node.args)
        for arg, comp in node.components.items():
            kwargs[arg] = handles[comp.shared] if comp.shared else {"class_name": comp.class_name, "config": comp.config}
        for arg, sub in node.sublayers.items():
            kwargs[arg] = [make(s) for s in sub] if isinstance(sub, list) else make(sub)
        try:
            return factory.layer(node.type, name=node.name, **kwargs)
        except (InvalidInput, PolicyViolation) as exc:
            raise type(exc)([_at(f, spec, node) for f in exc.findings]) from None
        except Exception as exc:  # Keras refusing an argument value
            raise _keras_error(spec, node, f"Keras refused layer '{node.name}' ({node.type})", exc) from None

    def call(node: LayerNode, layer, ins: list):
        try:
            if node.type in LIST_INPUT_TYPES:
                return layer(ins)
            if node.type in ATTENTION_TYPES and len(ins) == 1:
                return layer(ins[0], ins[0])
            return layer(*ins)
        except Exception as exc:
            raise _keras_error(spec, node, f"Keras could not connect layer '{node.name}' ({node.type})", exc) from None

    if spec.input is not None:
        inputs = keras.Input(shape=tuple(spec.input.shape), dtype=spec.input.dtype, name="input")
        x = inputs
        for node in spec.layers:
            x = call(node, make(node), [x])
        return keras.Model(inputs, x, name=spec.name)

    tensors = {n: keras.Input(shape=tuple(i.shape), dtype=i.dtype, name=n) for n, i in spec.inputs.items()}
    model_inputs = list(tensors.values())
    last = model_inputs[0] if len(model_inputs) == 1 else None
    for node in spec.layers:
        if node.inputs:
            ins = [tensors[n] for n in node.inputs]
        elif last is not None:
            ins = [last]
        else:
            raise InvalidInput(Finding(spec.file, *node.mark, "unknown-reference",
                                       f"layer '{node.name}' needs 'inputs:' (the model has several inputs)"))
        last = tensors[node.name] = call(node, make(node), ins)
    outputs = [tensors[o] for o in spec.outputs] if spec.outputs else [last]
    return keras.Model(model_inputs if len(model_inputs) > 1 else model_inputs[0],
                       outputs if len(outputs) > 1 else outputs[0], name=spec.name)


def _at(f: Finding, spec: ModelSpec, node: LayerNode) -> Finding:
    if f.file != "<python>":
        return f
    return Finding(spec.file, node.mark[0], node.mark[1], f.rule, f.message, f.severity, f.category, f.data)


def build_and_save(spec: ModelSpec, output: str | None, policy: Policy) -> tuple[str, keras.Model]:
    """Build a validated spec and write it as a `.keras` file (default: beside the model file)."""
    if output is None:
        stem = os.path.splitext(os.path.basename(spec.file))[0]
        output = os.path.join(os.path.dirname(spec.file), stem + ".keras")
    if not output.endswith(".keras"):
        raise InvalidInput(Finding(output, 1, 1, "output-path", "the output file name must end in .keras"))
    folder = os.path.dirname(os.path.abspath(output))
    if not os.path.isdir(folder):
        raise InvalidInput(Finding(output, 1, 1, "output-path", f"no such folder: {folder}"))
    model = build_from_spec(spec, policy)
    try:
        with atomic_output(output, suffix=".keras") as tmp:  # Keras insists on the .keras suffix
            model.save(tmp)
    except OSError as exc:
        raise InvalidInput(Finding(output, 1, 1, "output-path", f"cannot write: {exc.strerror or exc}")) from None
    return output, model
