"""Shipped JSON Schemas equal the Pydantic models and accept every example."""

import glob
import json
import os

import jsonschema
import pytest
from conftest import EXAMPLES, POLICIES, ROOT

from policyfactory.core.jsonschema import schema_for
from policyfactory.core.yamlload import load_file, load_text


@pytest.mark.parametrize("what", ["policy", "model"])
def test_shipped_schemas_equal_the_pydantic_models(what):
    fresh = schema_for(what)
    for folder in (os.path.join(ROOT, "schemas"), os.path.join(ROOT, "policyfactory", "schemas")):
        with open(os.path.join(folder, f"{what}.schema.json"), encoding="utf-8") as fh:
            assert json.load(fh) == fresh, f"{folder}: regenerate with policyfactory schema {what}"


def files(pattern):
    return sorted(glob.glob(pattern))


@pytest.mark.parametrize("path", files(os.path.join(EXAMPLES, "*.yaml")) + files(os.path.join(POLICIES, "*.yaml")))
def test_every_example_validates_against_its_schema_and_names_it(path):
    value = load_file(path).value
    jsonschema.validate(value, schema_for(value["kind"]))
    first = open(path, encoding="utf-8").readline()
    assert first.startswith("# yaml-language-server: $schema=")
    target = os.path.normpath(os.path.join(os.path.dirname(path), first.split("=", 1)[1].strip()))
    assert os.path.isfile(target)


def test_schema_rejects_a_misspelt_key():
    bad = load_text("kind: policy\nversion: 1\nname: x\n"
                    "rules: [{id: a, component: constraint, share: deny, layrs: [LSTM]}]\n").value
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema_for("policy"))
    bad_model = load_text("kind: model\nversion: 1\ninput: {shape: [2]}\nlayer: []\n").value
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad_model, schema_for("model"))
