"""JSON Schemas of policy and model files, generated from the Pydantic models.

`policyfactory schema policy|model` prints them; editors use the copies shipped
in `schemas/` (kept equal to these by a test) for completion and checks.
"""

from __future__ import annotations

from typing import Any

from .catalog import catalog
from .ops import OPS

SCHEMA_URL = "https://json-schema.org/draft/2020-12/schema"


def schema_for(what: str) -> dict[str, Any]:
    if what == "policy":
        from .filemodels import PolicyFile

        schema = PolicyFile.model_json_schema()
        title = "policyfactory policy file"
    elif what == "model":
        from .filemodels import ModelFile

        schema = ModelFile.model_json_schema()
        title = "policyfactory model file"
        layer = schema["$defs"]["LayerEntry"]
        cat = catalog()  # the shipped catalog only: classes registered at run time are not in a static schema
        names = sorted({n for n, lt in cat.layers.items() if not lt.registered} | set(cat.layer_aliases))
        layer["properties"]["type"] = {"type": "string", "enum": names, "title": "Type",
                                       "description": "A layer type from the catalog (keras.layers names)."}
        layer["properties"]["op"] = {"type": "string", "enum": list(OPS), "title": "Op",
                                     "description": "An operation on tensors from policyfactory's closed list "
                                                    "(keras.ops names), instead of type:."}
    else:
        raise ValueError(f"no schema for {what!r}: policy or model")
    return {"$schema": SCHEMA_URL, "$id": f"policyfactory-{what}.schema.json", "title": title, **{
        k: v for k, v in schema.items() if k != "title"}}
