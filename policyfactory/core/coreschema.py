"""Validate well-formed files with Pydantic's core schema, without building the Pydantic models at start-up.

Why: building a Pydantic model class (and the machinery the first build
imports) costs more than everything else `policyfactory validate` does for a
small file. The file formats are the Pydantic models in `filemodels.py`; their
core schemas, as plain data (models turned into typed dicts, default factories
into defaults, object references into names), are generated into
`coreschema.json` by `scripts/gen_coreschema.py` and validated by
`pydantic_core` alone. A test derives them again from the models and compares,
so they cannot drift.

Only acceptance takes this path. A file that fails is validated again by the
Pydantic model itself, whose errors `schema.py` maps to file:line:column, so
every message is the one Pydantic gives. What validates is returned as
`Record`s: read-only attribute access to the same fields and defaults the
model would have.

    >>> r = validate("PolicyFile", {"kind": "policy", "version": 1, "name": "p", "rules": [
    ...     {"id": "a", "component": "initializer", "share": "deny"}]})
    >>> r.name, r.rules[0].layers, r.rules[0].scope, r.defaults
    ('p', ['*'], 'across-layers', None)
"""

from __future__ import annotations

import json
import os
from functools import cache, lru_cache
from typing import Any

from pydantic_core import SchemaValidator

PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "coreschema.json")


class Record:
    """A validated file, or a part of one: its fields as attributes (a model's, defaults filled in).

    Compared by value and not hashable, as a Pydantic model.
    """

    def __init__(self, name: str, fields: dict[str, Any]):
        self.__dict__.update(fields)
        self.__dict__["_record"] = name

    def __getattr__(self, key: str) -> Any:  # only for names that are not fields
        raise AttributeError(f"{self.__dict__.get('_record', 'Record')} has no field {key!r}")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Record) and self.__dict__ == other.__dict__

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items() if k != "_record")
        return f"{self.__dict__.get('_record', 'Record')}({fields})"


@lru_cache(maxsize=1)
def _schemas() -> dict[str, dict]:
    with open(PATH, encoding="utf-8") as fh:
        return json.load(fh)


@cache
def _validator(name: str) -> SchemaValidator:
    return SchemaValidator(_schemas()[name])


def schema(name: str) -> dict:
    """The plain core schema of file format `name`, as `coreschema.json` holds it (read, never changed)."""
    return _schemas()[name]


def validate(name: str, data: Any) -> Record:
    """`data` validated as file format `name` (a key of `filemodels.MODELS`); raises `pydantic_core.ValidationError`."""
    schema = _schemas()[name]
    return _record(schema, _validator(name).validate_python(data, strict=True), {})


def _record(schema: dict, value: Any, defs: dict[str, dict]) -> Any:
    """The validator's plain output made into Records wherever the schema has a model."""
    t = schema["type"]
    if t == "definitions":
        defs = {**defs, **{d["ref"]: d for d in schema["definitions"]}}
        return _record(schema["schema"], value, defs)
    if t == "definition-ref":
        return _record(defs[schema["schema_ref"]], value, defs)
    if value is None:
        return None
    if t in ("nullable", "default"):
        return _record(schema["schema"], value, defs)
    if t == "typed-dict":
        fields = schema["fields"]
        out = {k: (_record(fields[k]["schema"], v, defs) if k in fields else v) for k, v in value.items()}
        return Record(schema["metadata"]["record"], out)
    if t == "list":
        return [_record(schema["items_schema"], v, defs) for v in value]
    if t == "dict":
        return {k: _record(schema["values_schema"], v, defs) for k, v in value.items()}
    return value


# -- derivation from the Pydantic models (scripts/gen_coreschema.py and the drift test) ----------------------

def derive(model: type) -> dict:
    """The core schema of a Pydantic model as plain data: what `coreschema.json` holds for it."""
    model.model_rebuild(force=True)  # type: ignore[attr-defined]
    return _plain(model.__pydantic_core_schema__)  # type: ignore[attr-defined]


def _ref(ref: str) -> str:
    """`policyfactory.core.filemodels.Rule:9410...` -> `Rule` (object ids differ between processes)."""
    return ref.split(":")[0].rsplit(".", 1)[-1]


def _plain(node: Any) -> Any:
    if isinstance(node, list):
        return [_plain(x) for x in node]
    if not isinstance(node, dict):
        return node
    t = node.get("type")
    if t == "model":
        inner = node["schema"]
        config = node.get("config", {})
        out = {"type": "typed-dict",
               "fields": {k: _field(f) for k, f in inner["fields"].items()},
               "extra_behavior": config.get("extra_fields_behavior", "ignore"),
               "metadata": {"record": inner.get("model_name") or config.get("title")}}
        if any("metadata" in f for f in out["fields"].values()):  # the settings: their order is config's
            out["metadata"]["order"] = list(inner["fields"])
        if "ref" in node:
            out["ref"] = _ref(node["ref"])
        return out
    out = {}
    for key, value in node.items():
        if key in ("metadata", "serialization", "cls"):
            continue
        if key in ("ref", "schema_ref"):
            out[key] = _ref(value)
        elif key == "default_factory":
            out["default"] = value()  # list, dict, or a list of '*': plain data
        elif key == "default_factory_takes_data":
            continue
        else:
            out[key] = _plain(value)
    return out


def _field(f: dict) -> dict:
    """A model field as a typed-dict field: its alias (a TOML name such as `max-bytes`), and for a field with
    a `cli` extra (the settings) its description and command line, as `metadata` the validator ignores."""
    out = {"type": "typed-dict-field", "schema": _plain(f["schema"]), "required": f["schema"]["type"] != "default"}
    if isinstance(f.get("validation_alias"), str):
        out["validation_alias"] = f["validation_alias"]
    meta = f.get("metadata", {})
    extra = meta.get("pydantic_js_extra")
    if isinstance(extra, dict) and "cli" in extra:
        out["metadata"] = {"help": meta.get("pydantic_js_updates", {}).get("description", ""), "cli": extra["cli"]}
    return out


def derive_all() -> dict[str, dict]:
    """Every file format's plain core schema, by name, from `filemodels.MODELS`."""
    from .filemodels import MODELS

    return {name: derive(model) for name, model in MODELS.items()}


def dumps(schemas: dict[str, dict]) -> str:
    return json.dumps(schemas, indent=1, sort_keys=True) + "\n"
