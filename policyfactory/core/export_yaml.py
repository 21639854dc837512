"""Export: a Keras model's config, read as data, written as a model file (`kind: model`).

Why TF-free: a `.keras` file is a zip archive whose `config.json` describes the
model as plain JSON, so `policyfactory export model.keras` reads that member with
`zipfile` and `json` -- it never loads weights, deserializes objects or runs
code -- and needs no Keras. The Keras side (`keras_side/export.py`) feeds
the same function with a live model's config plus which slots hold one
component object, so sharing by identity becomes `shared:` entries.

What comes out is a model file `validate` judges and `build` builds:

* names resolve only through the catalog; a custom class is refused with one
  finding per class, and Keras operations, nested or subclassed models and
  layers called more than once are refused as the format cannot express them;
* only non-default arguments are written (defaults from the catalog, plus the
  values Keras writes in place of a null default: `data_format: channels_last`,
  `activation: linear`, `dtype: float32`);
* components take their shortest form: nothing for Keras's default, an alias
  (`he_normal`) for a default config, else `{class_name, config}`;
* the text is checked before it is returned: it loads back to exactly the data
  written, and `validate` finds nothing invalid in it.

Example::

    >>> config = {"class_name": "Sequential", "module": "keras", "config": {"name": "tiny", "layers": [
    ...     {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [None, 4]}},
    ...     {"module": "keras.layers", "class_name": "Dense", "config": {"name": "dense", "units": 2,
    ...      "activation": "linear", "kernel_initializer": {"module": "keras.initializers",
    ...      "class_name": "HeNormal", "config": {"seed": None}}}}]}}
    >>> print(export_config(config, source="a doctest").text.split("kind:")[1])
     model
    version: 1
    name: tiny
    policy: strict
    input: {shape: [4]}
    layers:
      - {type: Dense, name: dense, units: 2, kernel_initializer: he_normal}
    <BLANKLINE>
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from .catalog import catalog
from .exportread import read_keras_config
from .exporttranslate import Translation
from .findings import Finding, InvalidInput
from .records import field, record
from .rules.tools import EXPORT_UNSUPPORTED
from .text import plural
from .validate import validate_loaded
from .yamlemit import to_yaml, wrap
from .yamlload import Loaded, load_text


@record
class Exported:
    """An exported model file: its text, its data, and what `validate` says about it."""

    text: str
    data: dict
    findings: list[Finding] = field(default_factory=list)  # policy findings and warnings of the exported file
    layers: int = 0
    shared: int = 0


def export_file(path: str, *, policy: str = "strict", seed: int | None = None,
                base_dir: str | None = None) -> Exported:
    """Export the model of a `.keras` file (its config.json, read as data). Raises `InvalidInput`."""
    _check_arguments(policy, seed)  # before the file is read
    config, version = read_keras_config(path)
    return export_config(config, source=os.path.basename(path), file=path, policy=policy, seed=seed,
                         keras_version=version, base_dir=base_dir)


def _check_arguments(policy: Any, seed: Any) -> None:
    """`TypeError` for a `policy` that is not a string (a name or a path, written into the file as it is) or a
    `seed` that is not a whole number: a mapping that contains itself would otherwise recurse without end."""
    if not isinstance(policy, (str, os.PathLike)):
        raise TypeError(f"policy= takes a built-in name or a path (the policy the exported file names), "
                        f"got {type(policy).__name__}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise TypeError(f"seed= takes a whole number or None, got {type(seed).__name__}")


def export_config(serialized: Mapping, *, source: str, file: str = "<model>", line: int = 1,
                  identity: Mapping[tuple, Any] | None = None, policy: str = "strict", seed: int | None = None,
                  keras_version: str | None = None, base_dir: str | None = None) -> Exported:
    """A model file from a serialized Keras model (`{"class_name", "config", ...}`, as in config.json).

    `identity` maps slot paths -- `(layer name, [sublayer key, [index]]..., slot arg)` -- to a key of
    the component object that fills the slot in a live model: slots with one key become one `shared:`
    entry. Findings are placed at `file`:`line`. Raises `InvalidInput` when the model cannot be exported.
    """
    _check_arguments(policy, seed)
    ex = Translation(file, line, identity or {})
    data = ex.model(serialized, os.fspath(policy), seed)
    if ex.findings() or data is None:
        raise InvalidInput(ex.findings() or [ex.fail(EXPORT_UNSUPPORTED, "nothing to export")])
    header = _header(source, data, ex, keras_version)
    text = to_yaml(data, header)
    findings = _self_check(text, data, ex, base_dir)
    return Exported(text, data, findings, len(data["layers"]), len(data.get("shared", {})))


def _header(source: str, data: dict, ex: Translation, keras_version: str | None) -> list[str]:
    n_layers = len(data["layers"])
    kv = f"Keras {keras_version}" if keras_version else "Keras (version not recorded)"
    text = [f"Exported by policyfactory from {source} ({ex.model_class} model '{data['name']}', {plural(n_layers, 'layer')}, "
            f"{kv}).",
            "Layer types, names, wiring and non-default arguments come from the Keras config; weights do not "
            "(build gives freshly initialized weights). Defaults left out are the catalog's "
            f"(Keras {catalog().keras_version}) and data_format: channels_last, activation: linear, dtype: float32."]
    shared = data.get("shared", {})
    if shared:
        text.append(f"shared: lists {plural(len(shared), 'component object')} that several slots held in the live model; "
                    "validate judges them against the policy.")
    text.extend(ex.notes)
    lines = []
    for paragraph in text:
        lines.extend(wrap(paragraph))
    return lines


def _self_check(text: str, data: dict, ex: Translation, base_dir: str | None) -> list[Finding]:
    """Load the text back and validate it: the export must be a valid model file with exactly this data."""
    loaded = load_text(text, name="<exported>", base_dir=base_dir or os.getcwd())
    if json.dumps(loaded.value) != json.dumps(data):  # pragma: no cover - a bug in the YAML writer
        raise InvalidInput(ex.fail(EXPORT_UNSUPPORTED, "the exported text does not read back as the data "
                                      "written (please report this model)"))
    result = validate_loaded(loaded, expect="model")
    invalid = [f for f in result.findings if f.category == "invalid"]
    if invalid:
        raise InvalidInput([ex.fail(f.rule, f"{_layer_at(loaded, data, f.line)}{f.message} "
                                       "(the exported model file would not be valid)") for f in invalid])
    return list(result.findings)


def _layer_at(loaded: Loaded, data: dict, line: int) -> str:
    name = ""
    for i, layer in enumerate(data.get("layers", [])):
        if loaded.mark(("layers", i))[0] <= line:
            name = layer.get("name", "")
    return f"layer '{name}': " if name else ""
