"""One plan, one verdict: validate, explain, graph, build and audit of the same file agree.

Everything here runs the real CLI entry point (in process, so TensorFlow is
imported once) and the real Keras build.
"""

import glob
import json
import os

import keras
import pytest
from conftest import EXAMPLES, TIED_POLICY

import policyfactory as pf
from policyfactory.cli import main
from policyfactory.core.validate import check_path
from policyfactory.keras_side.audit import _tree
from policyfactory.keras_side.building import build_from_plan
from policyfactory.keras_side.introspect import slot_holder

SHARED_HE = """kind: model
version: 1
name: tied
policy: {policy}
{seed}input: {{shape: [16]}}
shared:
  he: {{initializer: HeNormal}}
layers:
  - {{type: Dense, name: dense_a, units: 32, kernel_initializer: {{shared: he}}}}
  - {{type: Dense, name: dense_b, units: 32, kernel_initializer: {{shared: he}}}}
{allow}"""

ALLOW = """allow:
  - rule: sharing-violation
    slots: [dense_a.kernel_initializer, dense_b.kernel_initializer]
    reason: A deliberate experiment with tied initial weights.
"""


def cli(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def extra_models(tmp_path):
    """Model files beyond the examples: an allow entry, a policy that allows tied kernels, an unused allow."""
    (tmp_path / "tied.yaml").write_text(TIED_POLICY)
    files = {
        "allowed_by_allow.yaml": SHARED_HE.format(policy="strict", seed="", allow=ALLOW),
        "allowed_by_policy.yaml": SHARED_HE.format(policy="tied.yaml", seed="seed: 3\n", allow=""),
        "denied.yaml": SHARED_HE.format(policy="strict", seed="seed: 3\n", allow=""),
        "unused_allow.yaml": SHARED_HE.format(policy="tied.yaml", seed="", allow=ALLOW),
    }
    paths = {}
    for name, text in files.items():
        (tmp_path / name).write_text(text)
        paths[name] = str(tmp_path / name)
    return paths


def all_models(extra_models):
    return sorted(glob.glob(os.path.join(EXAMPLES, "*.yaml"))) + sorted(extra_models.values())


def test_validate_build_audit_and_graph_give_one_verdict(capsys, tmp_path, extra_models):
    expected = {"shared_he_normal.yaml": 1, "denied.yaml": 1}
    for path in all_models(extra_models):
        want = expected.get(os.path.basename(path), 0)
        v, _, _ = cli(capsys, "validate", path)
        b, _, berr = cli(capsys, "build", path, "-o", str(tmp_path / "out.keras"))
        a, aout, _ = cli(capsys, "audit", path)
        g, _, _ = cli(capsys, "graph", path, "-o", str(tmp_path / "g.dot"))
        e, _, _ = cli(capsys, "explain", path)
        assert (v, b, a, g, e) == (want,) * 5, (path, v, b, a, g, e, berr)
        if want:
            assert "not built" in berr


def test_an_allowed_group_is_reported_as_allowed_and_its_weights_are_not_flagged(capsys, extra_models):
    for name in ("allowed_by_allow.yaml", "allowed_by_policy.yaml"):
        code, out, _ = cli(capsys, "audit", "--format", "text", extra_models[name])
        assert code == 0, out
        assert "allowed sharing group" in out and "shared 'he'" in out
    # the weights really are one stream: the audit saw them and let them pass on the verdict, not by accident
    model = pf.build_model(extra_models["allowed_by_policy.yaml"])
    (strict,) = pf.audit(model, policy="strict")
    assert strict.rule == "sharing-violation" and strict.data["evidence"]["lowest_r"] > 0.999
    code, out, _ = cli(capsys, "audit", os.path.join(EXAMPLES, "forecaster.yaml"))
    assert code == 0 and "shared 'unit_norm': 4 slots, allowed by rule 'recurrent-constraints'" in out


def test_an_unused_allow_is_a_warning_everywhere(capsys, extra_models):
    path = extra_models["unused_allow.yaml"]
    code, out, _ = cli(capsys, "validate", "--format", "json", path)
    (f,) = json.loads(out)["findings"]
    assert (code, f["rule"], f["severity"], f["line"]) == (0, "unused-allow", "warning", 12)


def built_seeds(model) -> dict[tuple[str, str], int | None]:
    """(layer name, slot) -> the seed of the component object in the built model."""
    out = {}
    for layer in (node.layer for node in _tree(model)):
        for arg in ("kernel_initializer", "recurrent_initializer", "bias_initializer", "embeddings_initializer",
                    "depthwise_initializer", "pointwise_initializer"):
            found = slot_holder(layer, arg)
            if found is not None:
                comp = getattr(*found)
                out[(layer.name, arg)] = getattr(comp, "seed", None)
    return out


def test_explain_seeds_are_the_built_seeds_or_not_numbers(capsys, extra_models):
    checked = 0
    for path in all_models(extra_models):
        code, out, _ = cli(capsys, "explain", "--format", "json", path)
        doc = json.loads(out)
        if code != 0:
            continue
        seeds = built_seeds(pf.build_model(path))
        for row in doc["slots"]:
            if row["kind"] != "initializer":
                continue
            key = (row["layer"], row["arg"])
            built = seeds.get(key, seeds.get(("forward_" + row["layer"], row["arg"])))
            if row["seed"] is None:
                assert doc["seed"] is None or not row["random"], (path, row)
            else:
                assert built == row["seed"], (path, row, built)
                checked += 1
    assert checked >= 10


def test_a_plan_bound_at_build_equals_a_plan_made_with_that_seed(write):
    body = open(os.path.join(EXAMPLES, "bidirectional.yaml")).read()
    assert "seed:" in body
    unseeded = write("u.yaml", "\n".join(line for line in body.splitlines() if not line.startswith("seed:")))
    seeded = write("s.yaml", "\n".join(("seed: 11" if line.startswith("seed:") else line) for line in body.splitlines()))
    plan = check_path(unseeded).plan
    assert all(s.seed is None for s in plan.slots if s.seed_source == "derived")
    assert plan.bind_seeds(11).rows() == check_path(seeded).plan.rows()
    result = check_path(unseeded)
    model = build_from_plan(result.spec, result.plan, base_seed=11)
    assert built_seeds(model) == built_seeds(pf.build_model(seeded))


def test_without_seed_each_build_draws_its_own_seeds_once(extra_models):
    path = extra_models["allowed_by_allow.yaml"]
    first, second = pf.build_model(path), pf.build_model(path)
    a, b = first.get_layer("dense_a").kernel_initializer, first.get_layer("dense_b").kernel_initializer
    assert a is b  # the shared instance, one seed within the build
    assert a.seed != second.get_layer("dense_a").kernel_initializer.seed


def test_explain_json_of_an_invalid_file_prints_the_findings(capsys, write):
    bad = write("bad.yaml", "kind: model\nversion: 1\ninput: {shape: [4]}\nlayers:\n  - {type: Dense, unit: 3}\n")
    code, out, _ = cli(capsys, "explain", "--format", "json", bad)
    doc = json.loads(out)
    assert code == 2 and {f["rule"] for f in doc["findings"]} == {"unknown-argument", "missing-argument"}


def test_the_factory_plan_is_the_same_kind_of_plan(capsys):
    f = pf.LayerFactory("recurrent", seed=1)
    norm = f.shared("unit_norm", keras.constraints.UnitNorm())
    f.LSTM(4, kernel_constraint=norm, recurrent_constraint=norm)
    plan = f.plan()
    (group,) = plan.sharing_groups()
    assert group.allowed and group.verdict.rule_id == "recurrent-constraints"
    assert plan.rows() == f.report()
