"""One pass: every independent problem of a file is reported in one run (issue 22, item 3).

A stage is skipped only where it depends on what failed (a reference to a shared entry that has its own error,
the sharing check of a model with errors), and then the output says so.
"""

import json
import os

from conftest import run_cli

import policyfactory as pf

# Five independent problems, each of which used to hide the next: an unknown top-level key, a reference to no
# shared entry, a regularizer given as an initializer, an unknown `inputs:` reference and a misspelt output.
ROUNDS = """kind: model
version: 1
name: rounds
policy: team.yaml
seed: 3
extra_key: 1
inputs:
  a: {shape: [16]}
shared:
  l2: {regularizer: {class_name: L2, config: {l2: 0.0005}}}
layers:
  - {type: Dense, name: d1, inputs: [a], units: 32, kernel_initializer: {shared: nothere}}
  - {type: Dense, name: d2, inputs: [nope], units: 32, kernel_initializer: {shared: l2}}
  - {type: Dense, name: d3, inputs: [d1], units: 3}
outputs: [d3x]
"""

# A policy whose schema errors used to hide its `extends:` naming nothing.
TEAM = """kind: policy
version: 1
name: team
extends: strick
rules:
  - id: x
    kind: initalizer
"""


def _json(result):
    return [(f["file"].replace("\\", "/"), f["line"], f["rule"]) for f in json.loads(result.stdout)["findings"]]


def test_every_independent_problem_of_a_model_and_its_policy_in_one_run(write, tmp_path):
    model = write("m.yaml", ROUNDS)
    write("team.yaml", TEAM)
    r = run_cli("validate", "--format", "json", "m.yaml", cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    found = _json(r)
    assert ("m.yaml", 6, "schema-unknown-key") in found
    assert ("m.yaml", 12, "shared-unknown") in found
    assert ("m.yaml", 13, "unknown-reference") in found
    assert ("m.yaml", 13, "shared-wrong-kind") in found
    assert ("m.yaml", 15, "unknown-reference") in found
    assert ("m.yaml", 4, "policy-invalid") in found  # the policy it names is read although the model has errors
    assert ("team.yaml", 4, "policy-extends-missing") in found  # beside the policy's schema errors
    assert ("team.yaml", 7, "schema-unknown-key") in found
    # the Python API gives the same, in the order the CLI prints
    api = [(f.file, f.line, f.rule) for f in pf.validate(model)]
    assert [(line, rule) for f, line, rule in api if os.path.basename(f) == "m.yaml"] == \
        [(line, rule) for f, line, rule in found if f == "m.yaml"]


def test_the_text_output_says_the_sharing_check_was_skipped(write, tmp_path):
    write("m.yaml", ROUNDS.replace("policy: team.yaml", "policy: strict"))
    r = run_cli("validate", "m.yaml", cwd=tmp_path)
    assert r.returncode == 2
    assert "sharing not judged in 1 model file with errors" in r.stderr
    ok = write("ok.yaml", ROUNDS.replace("extra_key: 1\n", "").replace("{shared: nothere}", "HeNormal")
               .replace("[nope]", "[d1]").replace("{shared: l2}", "GlorotUniform").replace("d3x", "d3")
               .replace("policy: team.yaml", "policy: strict"))
    r = run_cli("validate", ok, cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "not judged" not in r.stderr


def test_what_depends_on_a_part_in_error_is_not_reported_again(write, tmp_path):
    # the shared entry has its own error (an unknown key); the slot that refers to it gets no second finding,
    # the input whose shape is wrong is still a known name, and a layer with an error is still known by its name
    write("m.yaml", """kind: model
version: 1
inputs:
  a: {shape: [16]}
  b: {shape: 4}
shared:
  init: {initializer: HeNormal, colour: red}
layers:
  - {type: Dense, name: d1, inputs: [a], units: 32, kernel_initializer: {shared: init}}
  - {type: Dense, name: d2, inputs: [b], units: -3}
  - {type: Add, name: sum, inputs: [d1, d2]}
  - {call: d2, name: again, inputs: [d1]}
outputs: [sum, again]
""")
    r = run_cli("validate", "--format", "json", "m.yaml", cwd=tmp_path)
    assert r.returncode == 2
    found = _json(r)
    rules = [rule for _, _, rule in found]
    assert "shared-unknown" not in rules and "unknown-reference" not in rules and "call-entry" not in rules, found
    lines = {line for _, line, _ in found}
    assert {5, 7, 10} <= lines, found  # the input shape, the shared entry's key, the layer's units


def test_a_file_reached_twice_is_reported_once(write, tmp_path):
    write("m.yaml", ROUNDS)
    write("team.yaml", TEAM)
    r = run_cli("validate", "--format", "json", "m.yaml", "team.yaml", cwd=tmp_path)
    found = [(f["file"], f["line"], f["column"], f["message"]) for f in json.loads(r.stdout)["findings"]]
    assert len(found) == len(set(found)), found
    assert all(not os.path.isabs(f) for f, *_ in found), found  # named as the user names them
