"""Validate well-formed files with Pydantic's core schema, without building the Pydantic models at start-up.

Why: building a Pydantic model class (and the machinery the first build
imports) costs more than everything else `policyfactory validate` does for a
small file. The file formats are the Pydantic models in `filemodels.py`; their
core schemas, as plain data (models turned into typed dicts, default factories
into defaults, object references into names), are generated into
`coreschema.json` by `scripts/gen_coreschema.py`. A test derives them again
from the models and compares, so they cannot drift.

Even importing `pydantic_core` (its Python layer, `typing_extensions`) costs a
fifth of a small file's whole run, so the schema is first read by `checked`,
plain Python that gives pydantic_core's strict answer for data it accepts and
is `Unsure` of everything else; only what it is unsure of reaches
`pydantic_core`. Tests compare the two on every shipped and corpus file, on
mutated files and on each part of the schemas.

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
import re
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
    from pydantic_core import SchemaValidator

    return SchemaValidator(_schemas()[name])


def schema(name: str) -> dict:
    """The plain core schema of file format `name`, as `coreschema.json` holds it (read, never changed)."""
    return _schemas()[name]


def validate(name: str, data: Any) -> Record:
    """`data` validated as file format `name` (a key of `filemodels.MODELS`); raises `pydantic_core.ValidationError`.

    Data the plain check vouches for (`checked`) never reaches pydantic_core, so validating a
    well-formed file does not import it; everything else is judged by pydantic_core.
    """
    schema = _schemas()[name]
    try:
        plain = checked(schema, data)
    except Unsure:
        plain = _validator(name).validate_python(data, strict=True)
    return _record(schema, plain, {})


def accepted(name: str, data: Any) -> Record | None:
    """`data` validated as file format `name`, or None when the schema refuses it (`validate` says why)."""
    schema = _schemas()[name]
    try:
        return _record(schema, checked(schema, data), {})
    except Unsure:
        pass
    from pydantic_core import ValidationError  # only data the plain check did not vouch for gets here

    try:
        return validate(name, data)
    except ValidationError:
        return None


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


# -- the plain check: pydantic_core's strict validation, for what it can vouch for --------------------------

class Unsure(Exception):
    """`checked` cannot vouch for the data (the schema may refuse it, or says what is not read here)."""


_KEYS = {  # what each schema type may say for `checked` to judge it; anything else is left to pydantic_core
    "definitions": {"schema", "definitions"}, "definition-ref": {"schema_ref"}, "any": set(),
    "nullable": {"schema"}, "default": {"schema", "default"}, "str": {"min_length", "max_length", "pattern"},
    "int": {"ge", "le", "gt", "lt"}, "float": set(), "bool": set(), "literal": {"expected"}, "union": {"choices"},
    "list": {"items_schema", "min_length", "max_length"}, "dict": {"keys_schema", "values_schema"},
    "typed-dict": {"fields", "extra_behavior", "ref"}}
_FIELD_KEYS = {"type", "schema", "required", "validation_alias", "metadata"}


def checked(schema: dict, data: Any, defs: dict[str, dict] | None = None) -> Any:
    """What pydantic_core's strict validation of `data` by core schema `schema` returns, or raises `Unsure`.

    Plain Python, so a well-formed file is validated without importing pydantic_core. It answers
    only where it is sure to give pydantic_core's answer: data the schema refuses, a value of a
    type other than exactly what YAML gives, and a schema saying anything not known here are all
    `Unsure`, and pydantic_core judges them (a test compares the two on the corpus and on
    generated data).

        >>> checked({"type": "list", "items_schema": {"type": "float"}}, [1, 2.5])
        [1.0, 2.5]
    """
    kind = schema.get("type")
    if kind not in _KEYS or not set(schema) - {"type", "metadata", "ref"} <= _KEYS[kind]:
        raise Unsure(kind)
    return _CHECKS[kind](schema, data, defs or {})


def _definitions(schema: dict, data: Any, defs: dict[str, dict]) -> Any:
    return checked(schema["schema"], data, {**defs, **{d["ref"]: d for d in schema["definitions"]}})


def _nullable(schema: dict, data: Any, defs: dict[str, dict]) -> Any:
    return None if data is None else checked(schema["schema"], data, defs)


def _str(schema: dict, data: Any, defs: dict[str, dict]) -> Any:
    if type(data) is not str or not schema.get("min_length", 0) <= len(data) <= schema.get("max_length", len(data)):
        raise Unsure
    if not _well_formed(data):
        raise Unsure
    pattern = schema.get("pattern")
    # Rust's regex and Python's re read these patterns alike on ASCII text without a newline (`$`, `\S`)
    if pattern is not None and not (data.isascii() and "\n" not in data and re.search(pattern, data)):
        raise Unsure
    return data


_SURROGATE = re.compile("[\ud800-\udfff]")


def _well_formed(text: Any) -> bool:
    """A str without a lone surrogate: pydantic_core refuses one wherever it measures or matches a string, or
    takes it as a key."""
    return type(text) is str and (text.isascii() or not _SURROGATE.search(text))


def _int(schema: dict, data: Any, defs: dict[str, dict]) -> Any:
    if type(data) is not int or not (schema.get("ge", data) <= data <= schema.get("le", data)
                                     and schema.get("gt", data - 1) < data < schema.get("lt", data + 1)):
        raise Unsure
    return data


def _float(schema: dict, data: Any, defs: dict[str, dict]) -> Any:
    if type(data) is float:
        return data
    if type(data) is int and abs(data) <= 2 ** 53:
        return float(data)
    raise Unsure


def _bool(schema: dict, data: Any, defs: dict[str, dict]) -> Any:
    if type(data) is not bool:
        raise Unsure
    return data


def _literal(schema: dict, data: Any, defs: dict[str, dict]) -> Any:
    if not any(type(data) is type(e) and data == e for e in schema["expected"]):
        raise Unsure
    return data


def _union(schema: dict, data: Any, defs: dict[str, dict]) -> Any:
    """The one answer of the choices that take the data (several only if they answer alike)."""
    answers = []
    for choice in schema["choices"]:
        if not isinstance(choice, dict):
            raise Unsure  # a tagged choice
        try:
            answers.append(checked(choice, data, defs))
        except Unsure:
            continue
    if not answers or any(repr(a) != repr(answers[0]) for a in answers[1:]):
        raise Unsure
    return answers[0]


def _list(schema: dict, data: Any, defs: dict[str, dict]) -> Any:
    if type(data) is not list or not schema.get("min_length", 0) <= len(data) <= schema.get("max_length", len(data)):
        raise Unsure
    items = schema.get("items_schema", {"type": "any"})
    return [checked(items, v, defs) for v in data]


def _dict(schema: dict, data: Any, defs: dict[str, dict]) -> Any:
    if type(data) is not dict:
        raise Unsure
    keys, values = schema.get("keys_schema", {"type": "any"}), schema.get("values_schema", {"type": "any"})
    return {checked(keys, k, defs): checked(values, v, defs) for k, v in data.items()}


def _typed_dict(schema: dict, data: Any, defs: dict[str, dict]) -> Any:
    """The fields (their defaults where missing, fresh copies), then any extra keys the schema allows."""
    if type(data) is not dict:
        raise Unsure
    out, read = {}, set()
    for name, field in schema["fields"].items():
        key = field.get("validation_alias", name)
        if not set(field) <= _FIELD_KEYS or type(key) is not str or (key != name and name in data):
            raise Unsure
        read.add(key)
        if key in data:
            out[name] = checked(field["schema"], data[key], defs)
        elif field["schema"]["type"] == "default":
            out[name] = json.loads(json.dumps(field["schema"]["default"]))  # never the schema's own object
        elif field.get("required", True):
            raise Unsure  # missing
    extra = [k for k in data if k not in read]
    if extra and (schema.get("extra_behavior", "ignore") != "allow" or not all(_well_formed(k) for k in extra)):
        raise Unsure
    out.update((k, data[k]) for k in extra)
    return out


_CHECKS = {"definitions": _definitions, "definition-ref": lambda s, d, defs: checked(defs[s["schema_ref"]], d, defs),
           "any": lambda s, d, defs: d, "nullable": _nullable, "default": lambda s, d, defs: checked(s["schema"], d, defs),
           "str": _str, "int": _int, "float": _float, "bool": _bool, "literal": _literal, "union": _union,
           "list": _list, "dict": _dict, "typed-dict": _typed_dict}



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
