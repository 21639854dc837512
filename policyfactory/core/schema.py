"""Pydantic validation of loaded YAML, with errors mapped back to file:line:column.

Why: Pydantic reports a `loc` path such as ``('rules', 0, 'scope')``; the
loader knows where that path stands in the file. This module turns each
Pydantic error into a `Finding` there, with messages written for people
("unknown key 'layrs' (did you mean 'layers'?)", "expected an integer, got
string '64'").
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Literal, overload

from . import coreschema
from .findings import Finding
from .rules.schemarules import SCHEMA_MISSING_KEY, SCHEMA_TYPE, SCHEMA_UNKNOWN_KEY, SCHEMA_VALUE
from .text import did_you_mean, shown
from .yamlload import Loaded

if TYPE_CHECKING:
    from pydantic import BaseModel
    from pydantic_core import ValidationError

    from .filemodels import AllowFile, ModelFile, PolicyFile


_TYPE_WORDS = {
    "string_type": "a string",
    "int_type": "an integer",
    "float_type": "a number",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "none_required": "null",
}


def describe(value: Any) -> str:
    """'string '64'' / 'integer 5' / 'a mapping' -- what a value is, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, int):
        return f"integer {value}"
    if isinstance(value, float):
        return f"number {value}"
    if isinstance(value, str):
        return f"string {shown(value, 40)}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _fields_at(model: type[BaseModel], loc: tuple) -> list[str]:
    """Field names of the model that sits at `loc` (for did-you-mean), best effort."""
    current: Any = model
    for part in loc:
        if isinstance(part, int) or current is None:
            continue
        fields = getattr(current, "model_fields", None)
        if not fields or part not in fields:
            return []
        ann = fields[part].annotation
        current = _inner_model(ann)
    fields = getattr(current, "model_fields", None)
    return list(fields) if fields else []


def _inner_model(ann: Any) -> Any:
    from pydantic import BaseModel


    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann
    for arg in getattr(ann, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


# Pydantic inserts these into an error's location for union members and validators; they are not keys.
_UNION_TAGS = ("str", "int", "float", "function-after", "list", "dict", "union", "[key]")
_TAG = re.compile(r"^[a-z][a-z-]*\[.*\]$")  # e.g. function-after[check(), list[int]]


# Pydantic's messages, said for people (the schema can emit these besides the ones handled above).
_FRIENDLY = {
    "too_short": "{where} needs at least {min_length} item(s)",
    "too_long": "{where} takes at most {max_length} item(s)",
    "string_too_short": "{where} cannot be empty",
    "string_too_long": "{where} is too long (at most {max_length} characters)",
    "greater_than_equal": "{where} must be at least {ge}",
    "greater_than": "{where} must be above {gt}",
    "less_than_equal": "{where} must be at most {le}",
    "int_from_float": "{where} must be a whole number",
    "finite_number": "{where} must be a finite number",
    "string_pattern_mismatch": "{where} is blank: say why this sharing is deliberate",  # only `Reason` has a pattern
}


def _where(loc: tuple, quote: bool = True) -> str:
    """How a message names the key of an error: 'units' (or the value, at a list index)."""
    if loc and isinstance(loc[-1], str):
        return shown(loc[-1]) if quote else f"'{loc[-1]}'"
    return "the value" if quote else "value"


def _error_finding(e: Any, loc: tuple, path: tuple, loaded: Loaded, model: type[BaseModel]) -> Finding:
    """One Pydantic error as a located finding, in words a user of the file format reads."""
    etype = e["type"]
    value = e.get("input")
    if etype == "extra_forbidden":
        key = loc[-1] if loc else "?"
        hint = did_you_mean(key, _fields_at(model, loc[:-1]))
        what = shown(key) if isinstance(key, str) else f"{describe(key)} (keys are strings)"
        return loaded.finding(path, SCHEMA_UNKNOWN_KEY, f"unknown key {what}{hint}", at_key=True)
    if etype in _FRIENDLY:
        text = _FRIENDLY[etype].format(where=_where(loc), **e.get("ctx", {}))
        return loaded.finding(path, SCHEMA_VALUE, re.sub(r"\b1 item\(s\)", "1 item", text).replace("(s)", "s"))
    if etype == "missing":
        key = loc[-1] if loc else "?"
        return loaded.finding(path[:-1], SCHEMA_MISSING_KEY, f"missing required key {shown(key)}")
    if etype in _TYPE_WORDS:
        return loaded.finding(path, SCHEMA_TYPE,
                              f"{_where(loc, False)}: expected {_TYPE_WORDS[etype]}, got {describe(value)}")
    if etype == "literal_error":
        expected = e.get("ctx", {}).get("expected", "")
        return loaded.finding(path, SCHEMA_VALUE, f"{_where(loc, False)}: expected {expected}, got {describe(value)}")
    where = f"'{loc[-1]}': " if loc and isinstance(loc[-1], str) else ""
    msg = e["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    return loaded.finding(path, SCHEMA_VALUE, f"{where}{msg}")


def pydantic_findings(err: ValidationError, loaded: Loaded, model: type[BaseModel],
                      prefix: tuple = ()) -> list[Finding]:
    out: list[Finding] = []
    seen: set = set()
    for e in err.errors(include_url=False):
        loc = tuple(p for p in e["loc"] if not (isinstance(p, str) and (_TAG.match(p) or p in _UNION_TAGS)))
        f = _error_finding(e, loc, prefix + loc, loaded, model)
        where_what = (f.line, f.column, f.message)
        if where_what not in seen:
            seen.add(where_what)
            out.append(f)
    return out


@overload
def validate_as(name: Literal["ModelFile"], data: Any, loaded: Loaded, prefix: tuple = ()
                ) -> tuple[ModelFile | None, list[Finding]]: ...
@overload
def validate_as(name: Literal["PolicyFile"], data: Any, loaded: Loaded, prefix: tuple = ()
                ) -> tuple[PolicyFile | None, list[Finding]]: ...
@overload
def validate_as(name: Literal["AllowFile"], data: Any, loaded: Loaded, prefix: tuple = ()
                ) -> tuple[AllowFile | None, list[Finding]]: ...
def validate_as(name: str, data: Any, loaded: Loaded, prefix: tuple = ()) -> tuple[Any, list[Finding]]:
    """(instance, []) or (None, findings): `data` validated as file format `name` (`filemodels.MODELS`).

    A well-formed file is validated by the core schema alone (`coreschema.py`);
    one that fails is validated again by its Pydantic model, whose errors are
    mapped to the file's lines.
    """
    found = coreschema.accepted(name, data)
    if found is not None:
        return found, []
    from pydantic_core import ValidationError

    from .filemodels import MODELS

    model = MODELS[name]
    try:
        return model.model_validate(data), []  # never here while coreschema.json matches the models (a test)
    except ValidationError as err:
        return None, pydantic_findings(err, loaded, model, prefix)


# Keys a file cannot do without, and what stands in for them while the rest of a broken file is checked.
_STAND_INS: dict[str, Any] = {"kind": "model", "version": 1, "layers": [{"type": "Dense"}]}
_BY_ENTRY = ("shared", "inputs")  # mappings whose entries are dropped one by one, not the whole key


def salvaged(name: str, data: dict) -> tuple[Any, frozenset[tuple]]:
    """For one pass over a file the schema refuses: `data` validated again without the parts in error.

    Returns (instance, the paths left out: `("policy",)`, `("shared", "l2")` ...), or (None, frozenset())
    when what is left cannot be read either. Its errors were reported already; the caller checks the rest
    and skips only what depends on the parts left out.
    """
    from pydantic_core import ValidationError

    from .filemodels import MODELS

    model = MODELS[name]
    try:
        model.model_validate(data)
    except ValidationError as err:
        locs = [tuple(e["loc"]) for e in err.errors(include_url=False)]
    else:
        return model.model_validate(data), frozenset()
    if any(not loc for loc in locs):
        return None, frozenset()
    rest = dict(data)
    gone: set[tuple] = set()
    for loc in locs:
        key = loc[0]
        if key in _BY_ENTRY and len(loc) >= 2 and isinstance(rest.get(key), dict):
            if rest[key] is data.get(key):
                rest[key] = dict(rest[key])  # the caller's data is left as it was
            rest[key].pop(loc[1], None)
            gone.add((key, loc[1]))
        elif key in _STAND_INS:
            rest[key] = _STAND_INS[key]
            gone.add((key,))
        else:
            rest.pop(key, None)
            gone.add((key,))
    try:
        return model.model_validate(rest), frozenset(gone)
    except ValidationError:
        return None, frozenset()
