"""`build_model`: instantiate the one plan of a model file with Keras.

What was validated is exactly what gets built: the core checks the file once
and returns its `Plan` (every slot's class, config, seed and group, with the
verdict); the build binds the seeds (once, when the file has no `seed:`) and
instantiates that plan through the `LayerFactory`'s instantiation code, with
no second planning and no second resolution.

    >>> import policyfactory as pf
    >>> model = pf.build_model("examples/forecaster.yaml")
    >>> [l.name for l in model.layers][1:]
    ['lstm_a', 'lstm', 'dense']
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable
from typing import Any

import keras

from ..core.atomic import atomic_output, check_output, check_replace, mark_built
from ..core.findings import Finding, InvalidInput, PolicyfactoryError, PolicyViolation, exit_code
from ..core.layerinfo import ATTENTION_TYPES, LIST_INPUT_TYPES
from ..core.modelfile import LayerNode, ModelSpec
from ..core.ops import OPS
from ..core.plan import Plan
from ..core.policy import Policy
from ..core.records import replace
from ..core.rules.components import UNKNOWN_REFERENCE
from ..core.rules.tools import KERAS_ERROR, OUTPUT_PATH
from ..core.text import shown
from ..core.validate import ValidationResult, check_path, check_policy_argument, validate_mapping
from .factory import LayerFactory
from .operations import apply_op

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def checked(path_or_mapping: Any, policy: str | Policy | None = None) -> ValidationResult:
    """Check a model file (path or mapping); raise what stops it from being built."""
    if isinstance(path_or_mapping, dict):
        result = validate_mapping(path_or_mapping, policy=policy, expect="model")
    elif isinstance(path_or_mapping, (str, os.PathLike)):
        result = check_path(os.fspath(path_or_mapping), policy=policy, expect="model")
    else:
        raise TypeError(f"build_model takes a path or a mapping, got {type(path_or_mapping).__name__}")
    raise_for(result.findings)
    return result


def raise_for(findings: list[Finding]) -> None:
    """Raise `InvalidInput` (exit 2) or `PolicyViolation` (exit 1) for the errors among `findings`."""
    code = exit_code(findings)
    errors = [f for f in findings if f.severity == "error"]
    if code == 2:
        raise InvalidInput([f for f in errors if f.category == "invalid"])
    if code == 1:
        raise PolicyViolation(errors)


def build_model(path_or_mapping: Any, *, policy: str | Policy | None = None, strategy: Any = None) -> keras.Model:
    """Validate a model file (path or mapping) and build its plan with Keras.

    Raises `PolicyViolation` when the model breaks its policy and `InvalidInput`
    (a `ValueError`) when the file is not valid. With `strategy=` (a
    `tf.distribute` strategy on TensorFlow, or a `keras.distribution`
    distribution such as `DataParallel` or `ModelParallel` on JAX), variables
    are created in its scope: a sharded kernel holds the undistributed build's
    values (docs/backends.md).
    """
    if strategy is not None and not callable(getattr(strategy, "scope", None)):
        raise TypeError(f"strategy= takes a tf.distribute strategy or a keras.distribution distribution "
                        f"(DataParallel, ModelParallel), got {type(strategy).__name__}")
    check_policy_argument(policy)
    result = checked(path_or_mapping, policy)
    assert result.spec is not None and result.plan is not None
    if strategy is not None:
        with strategy.scope():
            return build_from_plan(result.spec, result.plan)
    return build_from_plan(result.spec, result.plan)


def _keras_error(spec: ModelSpec, node: LayerNode | None, what: str, exc: Exception) -> InvalidInput:
    line, col = node.mark if node is not None else (1, 1)
    msg = " ".join(_ANSI.sub("", str(exc)).split())  # Keras colours its messages for terminals
    if len(msg) > 300:
        msg = msg[:297] + "..."
    return InvalidInput(Finding(spec.file, line, col, KERAS_ERROR, f"{what}: {msg}"))


class _Builder:
    """Walks a validated spec and makes each layer from the plan's slots."""

    def __init__(self, spec: ModelSpec, plan: Plan):
        self.spec = spec
        self.factory = LayerFactory._replaying(plan)
        self.made: dict[str, tuple[LayerNode, keras.layers.Layer]] = {}  # layer name -> its node and object

    def apply(self, node: LayerNode, ins: list) -> Any:
        """One entry of the graph on its inputs: a layer made now, an operation, or a layer made before."""
        if node.kind == "op":
            try:
                return apply_op(OPS[node.type], node.name, node.args, ins)
            except Exception as exc:
                raise _keras_error(self.spec, node, f"Keras refused operation {shown(node.name)} ({node.type})",
                                   exc) from None
        if node.kind == "call":
            assert node.of is not None
            layer_node, layer = self.made[node.of]
            return self.call(replace(layer_node, path=node.path, mark=node.mark), layer, ins)
        layer = self.make(node)
        self.made[node.name] = (node, layer)
        return self.call(node, layer, ins)

    def make(self, node: LayerNode) -> keras.layers.Layer:
        kwargs = dict(node.args)
        for arg, sub in node.sublayers.items():
            kwargs[arg] = [self.make(s) for s in sub] if isinstance(sub, list) else self.make(sub)
        try:
            return self.factory.layer(node.type, name=node.name, **kwargs)
        except PolicyfactoryError as exc:
            raise type(exc)([_at(f, self.spec, node) for f in exc.findings]) from None
        except Exception as exc:  # Keras refusing an argument value
            raise _keras_error(self.spec, node, f"Keras refused layer {shown(node.name)} ({node.type})", exc) from None

    def call(self, node: LayerNode, layer: keras.layers.Layer, ins: list) -> Any:
        try:
            if node.type in LIST_INPUT_TYPES:
                return layer(ins)
            if node.type in ATTENTION_TYPES and len(ins) == 1:
                return layer(ins[0], ins[0])
            return layer(*ins)
        except Exception as exc:
            raise _keras_error(self.spec, node, f"Keras could not connect layer {shown(node.name)} ({node.type})",
                               exc) from None

    def sequential(self) -> keras.Model:
        spec = self.spec
        assert spec.input is not None
        inputs = keras.Input(shape=tuple(spec.input.shape), dtype=spec.input.dtype, name="input")
        x = inputs
        for node in spec.layers:
            x = self.apply(node, [x])
        return keras.Model(inputs, x, name=spec.name)

    def functional(self) -> keras.Model:
        spec = self.spec
        assert spec.inputs is not None
        tensors = {n: keras.Input(shape=tuple(i.shape), dtype=i.dtype, name=n) for n, i in spec.inputs.items()}
        model_inputs = list(tensors.values())
        last = model_inputs[0] if len(model_inputs) == 1 else None
        for node in spec.layers:
            if node.inputs:
                ins = [tensors[n] for n in node.inputs]
            elif last is not None:
                ins = [last]
            else:
                raise InvalidInput(Finding(spec.file, node.mark[0], node.mark[1], UNKNOWN_REFERENCE,
                                           f"layer {shown(node.name)} needs 'inputs:' (the model has several inputs)"))
            last = tensors[node.name] = self.apply(node, ins)
        outputs = [tensors[o] for o in spec.outputs] if spec.outputs else [last]
        return keras.Model(model_inputs if len(model_inputs) > 1 else model_inputs[0],
                           outputs if len(outputs) > 1 else outputs[0], name=spec.name)


def build_from_plan(spec: ModelSpec, plan: Plan, base_seed: int | None = None) -> keras.Model:
    """Instantiate a checked model's plan. Without `seed:` the derived seeds are drawn now, once.

    `base_seed` binds them to a given base instead (tests, reproducing one build).
    """
    return build_traced(spec, plan, base_seed)[0]


def build_traced(spec: ModelSpec, plan: Plan, base_seed: int | None = None
                 ) -> tuple[keras.Model, Callable[[Any], str | None]]:
    """`build_from_plan`, plus which plan group made each component (the audit of a model file reads it)."""
    if not plan.seeds_known:
        plan = plan.bind_seeds(base_seed if base_seed is not None else secrets.randbits(62))
    builder = _Builder(spec, plan)
    try:
        model = builder.sequential() if spec.input is not None else builder.functional()
    except PolicyfactoryError:
        raise
    except Exception as exc:  # keras.Input / keras.Model refusing the whole: still a finding, never a traceback
        raise _keras_error(spec, None, "Keras could not build the model", exc) from None
    return model, builder.factory._origin


def _at(f: Finding, spec: ModelSpec, node: LayerNode) -> Finding:
    if f.file == spec.file:
        return f
    return Finding(spec.file, node.mark[0], node.mark[1], f.rule, f.message, f.severity, f.category, f.data)


def build_and_save(spec: ModelSpec, plan: Plan, output: str | None, *, replace: bool = False
                   ) -> tuple[str, keras.Model]:
    """Build a checked model's plan and write it as a `.keras` file (default: beside the model file).

    An existing file at `output` is replaced only when `build` wrote it (its archive carries build's mark,
    see `policyfactory.core.atomic`) or when `replace` says so (`-o FILE`, `--overwrite`): a trained model
    saved under the same name is never replaced by fresh weights by default."""
    if output is None:
        stem = os.path.splitext(os.path.basename(spec.file))[0]
        output = os.path.join(os.path.dirname(spec.file), stem + ".keras")
    if not output.endswith(".keras"):
        raise InvalidInput(Finding(output, 1, 1, OUTPUT_PATH, "the output file name must end in .keras"))
    inputs = (spec.file, *plan.policy.sources)  # never overwrite the model file or a policy it reads
    check_output(output, inputs=inputs)  # before building
    if not replace:
        check_replace(output)
    model = build_from_plan(spec, plan)
    with atomic_output(output, suffix=".keras", inputs=inputs) as tmp:  # Keras insists on the .keras suffix
        try:
            model.save(tmp)
            mark_built(tmp)
        except Exception as exc:  # Keras refusing to save (an unserializable argument, a full disk ...)
            raise _keras_error(spec, None, "Keras could not save the model", exc) from None
        if not replace:  # again: building took a while, and a trained model may have been saved meanwhile
            check_replace(output)
    return output, model
