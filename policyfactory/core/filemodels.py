"""The Pydantic models of every file format: policy files, model files and audit allow files.

Why a module of their own: Pydantic builds a model class's validator with much
machinery that a run does not otherwise need, so these classes are imported
only where Pydantic itself is the point: the JSON Schemas (`policyfactory
schema`, the editor schemas), error messages for a file that fails its schema,
and `scripts/gen_coreschema.py`, which derives from them the core schema that
validates well-formed files at start-up without importing them
(`coreschema.py`; a test keeps the two equal).

    >>> PolicyFile.model_validate({"kind": "policy", "version": 1, "name": "p"}).rules
    []
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from .limits import DEFAULT_LIMITS, MAX_BYTES_CEILING, MAX_PARAMS_CEILING


class StrictModel(BaseModel):
    """Base of every file model: unknown keys refused, no type coercion."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=False, defer_build=True)


Kind = Literal["initializer", "regularizer", "constraint"]
Share = Literal["allow", "deny"]
Scope = Literal["within-layer", "across-layers"]


# Why a sharing is deliberate: one type for policy rules, model files' allow: and audit allow files, so a
# blank reason is refused the same way everywhere (schema.py words the pattern error as "is blank").
Reason = Annotated[str, Field(min_length=1, pattern=r"\S")]


class Rule(StrictModel):
    """One rule: which sharing groups it covers, and whether they may exist."""

    id: str = Field(min_length=1, description="Stable id, shown in every finding it decides.")
    component: Kind = Field(description="Component kind the rule covers.")
    layers: list[str] = Field(default_factory=lambda: ["*"], description="Layer types (catalog names), or ['*'].")
    roles: list[str] = Field(default_factory=lambda: ["*"], description="Slot roles (kernel, bias, recurrent ...), or ['*'].")
    classes: list[str] = Field(default_factory=lambda: ["*"], description="Component classes (names or aliases), or ['*'].")
    scope: Scope = Field("across-layers", description="within-layer: only between slots of one layer; across-layers: any.")
    share: Share = Field(description="allow or deny.")
    reason: Optional[Reason] = Field(None, description="Why; required on allow rules.")


class Defaults(StrictModel):
    """Verdict for a sharing group that no rule decides; deny unless set."""

    initializer: Share = "deny"
    regularizer: Share = "deny"
    constraint: Share = "deny"


class PolicyFile(StrictModel):
    """A policy file (`kind: policy`)."""

    kind: Literal["policy"]
    version: Literal[1]
    name: str = Field(min_length=1)
    extends: Optional[str] = Field(None, description="A built-in policy name or a path relative to this file.")
    description: Optional[str] = None
    defaults: Optional[Defaults] = None
    rules: list[Rule] = Field(default_factory=list)
    allow_suppressions: Optional[bool] = Field(
        None, description="false: model files may not silence this policy's findings with allow: entries "
                          "(also for policies that extend this one).")


class InputSpec(StrictModel):
    """A model input: its shape without the batch dimension (null for any size)."""

    shape: list[Optional[int]]
    dtype: Optional[str] = None


_COMPONENT_SCHEMA = {
    "anyOf": [
        {"type": "string", "description": "A Keras identifier: HeNormal, he_normal, l2, unit_norm ..."},
        {"type": "object", "required": ["class_name"], "additionalProperties": False,
         "properties": {"class_name": {"type": "string"}, "config": {"type": "object"}}},
    ]
}
# Checked by `_Checker.component` (better messages than a Pydantic union); typed for JSON Schema.
Component = Annotated[Any, WithJsonSchema(_COMPONENT_SCHEMA)]


class SharedDecl(StrictModel):
    """A component meant to be shared: exactly one of initializer, regularizer, constraint."""

    initializer: Optional[Component] = None
    regularizer: Optional[Component] = None
    constraint: Optional[Component] = None


class LayerEntry(StrictModel):
    """An entry of `layers:`: a layer, an operation on tensors, or another call of an earlier layer.

    A layer is `type:` (a catalog name), optional `name:` and `inputs:`, and Keras's own arguments.
    Component slots (`*_initializer`, `*_regularizer`, `*_constraint`) take a
    Keras identifier string, a `{class_name, config}` mapping or `{shared: NAME}`.
    Wrappers take the wrapped layer under `layer:` (RNN: `cell:`).
    An operation is `op:` (a keras.ops name from policyfactory's closed list: add, multiply,
    concatenate ...) with `inputs:`, a constant operand under `value:` and its own arguments (`axis:`).
    A call is `call:` (the name of an earlier layer) with `inputs:`: the same layer, with the same
    weights, applied again.
    """

    model_config = ConfigDict(extra="allow", strict=True, defer_build=True)

    type: Optional[str] = None
    op: Optional[str] = Field(None, description="An operation on tensors (keras.ops name), instead of type:.")
    call: Optional[str] = Field(None, description="An earlier layer called again on other inputs, instead of type:.")
    name: Optional[str] = None
    inputs: Optional[list[str]] = None


class AllowEntry(StrictModel):
    """Suppress a finding on purpose: the rule id, the slots it covers, and why."""

    rule: str
    slots: list[str] = Field(default_factory=list)
    reason: Reason


class ModelFile(StrictModel):
    """A model file (`kind: model`)."""

    kind: Literal["model"]
    version: Literal[1]
    name: Optional[str] = None
    description: Optional[str] = None
    policy: str = Field("strict", description="A built-in policy name or a path relative to this file.")
    seed: Optional[int] = Field(None, description="Reproducible, distinct seeds for every fresh initializer.")
    input: Optional[InputSpec] = Field(None, description="Sequential model: layers run in order.")
    inputs: Optional[dict[str, InputSpec]] = Field(None, description="Functional model: named inputs.")
    outputs: Optional[list[str]] = None
    shared: dict[str, SharedDecl] = Field(default_factory=dict)
    layers: list[LayerEntry] = Field(min_length=1)
    allow: list[AllowEntry] = Field(default_factory=list)


class AllowFileEntry(StrictModel):
    """Accept one group on purpose: the rule id, the weights or slots of the group, and why."""

    rule: str = Field(min_length=1, description="A finding's rule (correlated-weights, sharing-violation), "
                                                "or the policy rule id that decided it.")
    weights: list[str] = Field(default_factory=list, description="Weight paths as the audit prints them.")
    slots: list[str] = Field(default_factory=list, description="Slot paths as the audit prints them (layer/path.arg).")
    reason: Reason = Field(description="Why this sharing is deliberate.")


class AllowFile(StrictModel):
    """An allow file for `policyfactory audit --allow FILE`."""

    allow: list[AllowFileEntry] = Field(min_length=1)


_IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_]*$"
_MODULE = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$"


class ParamDeclaration(StrictModel):
    """One constructor argument of a declared layer class."""

    required: bool = False
    default: Optional[Union[bool, int, float, str, list[Union[bool, int, float, str]]]] = None
    type: Optional[Literal["int", "float", "bool", "str"]] = None


class SlotDeclaration(StrictModel):
    """A constructor argument of a declared layer class that takes a component."""

    kind: Literal["initializer", "regularizer", "constraint"]
    role: str = Field(pattern=_IDENTIFIER)
    default: Optional[str] = Field(None, description="the component class Keras uses when none is given")


class LayerDeclaration(StrictModel):
    """A project's own layer class, as data (`policyfactory declare MODULE:CLASS --write` writes it).

    `validate`, `explain` and `graph` read files that use it without importing anything; `build` and
    `audit` import `module` (a setting the user wrote, never a model file) and check the class still
    matches."""

    module: str = Field(pattern=_MODULE, description="the module that defines the class, e.g. mypkg.layers")
    class_: str = Field(alias="class", pattern=_IDENTIFIER, description="the class's name in that module")
    params: dict[str, ParamDeclaration] = Field(default_factory=dict)
    slots: dict[str, SlotDeclaration] = Field(default_factory=dict)


# The commands that read model files and so take the settings below as flags (the CLI's PATH_COMMANDS).
FLAG_COMMANDS = ["validate", "build", "explain", "audit", "graph"]


def _flag(**cli: Any) -> dict[str, Any]:
    """A setting's command line: `--NAME` (its TOML name) on FLAG_COMMANDS; `metavar`, `action` (store_true,
    append: repeatable, added to the file's list), `choices` per command where a command takes fewer values."""
    return {"cli": {"commands": FLAG_COMMANDS, **cli}}


class SettingsFile(StrictModel):
    """`[tool.policyfactory]` in pyproject.toml, or the top level of policyfactory.toml: a project's defaults.

    The one definition of every setting: its TOML name (the alias), type, default and bounds validate the
    file (`settings.py`, through the core schema derived from this model); its description and `cli` extra
    make the command-line flag (`cli.py`); `policyfactory config` lists the fields in this order.
    """

    policy: Optional[str] = Field(None, description="judge models against this policy instead of the one they name",
                                  json_schema_extra=_flag(metavar="NAME_OR_PATH"))
    exclude: list[str] = Field(default_factory=list,
                               description="skip files and folders matching GLOB when walking folders (repeatable)",
                               json_schema_extra=_flag(metavar="GLOB", action="append"))
    format: Literal["text", "json", "sarif", "github"] = Field(
        "text", description="output format (default: text, or the project's format setting)",
        json_schema_extra=_flag(choices={"explain": ["text", "json"], "graph": ["text", "json"]}))
    max_bytes: int = Field(DEFAULT_LIMITS.max_bytes, ge=1, le=MAX_BYTES_CEILING, alias="max-bytes",
                           description=f"refuse YAML, Python and notebook files larger than N bytes (default: "
                                       f"{DEFAULT_LIMITS.max_bytes}, at most {MAX_BYTES_CEILING}; a saved .keras or .h5 "
                                       f"file is read in part, within its own bounds, whatever its size)",
                           json_schema_extra=_flag(metavar="N"))
    max_params: int = Field(DEFAULT_LIMITS.max_params, ge=1, le=MAX_PARAMS_CEILING, alias="max-params",
                            description=f"refuse layers estimated to hold more than N weights "
                                        f"(default: {DEFAULT_LIMITS.max_params})", json_schema_extra=_flag(metavar="N"))
    allow_outside: bool = Field(False, alias="allow-outside",
                                description="let policy: and extends: paths written in files point outside the "
                                            "file's project", json_schema_extra=_flag(action="store_true"))
    backend: Optional[Literal["tensorflow", "jax", "torch", "numpy", "openvino"]] = Field(
        None, description="check models for this Keras backend (default: KERAS_BACKEND, else the project's backend "
                          "setting, else keras.json's, else tensorflow; the flag wins over KERAS_BACKEND)",
        json_schema_extra=_flag(metavar="NAME"))
    select: list[str] = Field(default_factory=list,
                              description="report only these rules or categories (invalid, policy, warning); "
                                          "invalid input is always reported (repeatable)",
                              json_schema_extra=_flag(metavar="RULE", action="append"))
    extend_select: list[str] = Field(default_factory=list, alias="extend-select",
                                     description="also report these rules, including rules that are off by default "
                                                 "(repeatable)", json_schema_extra=_flag(metavar="RULE", action="append"))
    ignore: list[str] = Field(default_factory=list,
                              description="do not report these rules or categories; invalid input cannot be ignored "
                                          "(repeatable)", json_schema_extra=_flag(metavar="RULE", action="append"))
    per_file_ignores: dict[str, list[str]] = Field(
        default_factory=dict, alias="per-file-ignores",
        description="per glob: rules or categories not reported in the files it matches (a glob with a '/' is read "
                    "from the settings file's folder, one without matches the file name); invalid input cannot be "
                    "ignored", json_schema_extra={"cli": None})
    severity: dict[str, Literal["error", "warning", "off"]] = Field(
        default_factory=dict, description="per rule: error | warning | off (policy and warning rules only)",
        json_schema_extra={"cli": None})
    layers: dict[str, LayerDeclaration] = Field(
        default_factory=dict, description="the project's own layer classes, as data (policyfactory declare)",
        json_schema_extra={"cli": None})


# name -> model: the file formats `coreschema` validates, and the models their errors are explained with
MODELS: dict[str, type[BaseModel]] = {"PolicyFile": PolicyFile, "Rule": Rule, "ModelFile": ModelFile,
                                      "AllowFile": AllowFile, "SettingsFile": SettingsFile}
