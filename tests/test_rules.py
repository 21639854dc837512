"""The rule registry: every id the code can emit is registered, and every output describes it from there."""

import ast
import inspect
import json
import os
import re
import subprocess
import sys

import keras
import pytest
from conftest import EXAMPLES, ROOT, run_cli

import policyfactory as pf
from policyfactory.core.findings import Finding
from policyfactory.core.rules import RULES

# Calls whose arguments are rules: Finding(file, line, col, RULE, ...), loaded.finding(path, RULE, ...),
# Problem(path, RULE, ...), _fail(file, line, col, RULE, ...), python_finding(RULE, ...), self.err(path, RULE, ...),
# the exporter's self.fail(RULE, ...) and self.refuse(key, RULE, ...).
EMITTERS = {"Finding": 3, "finding": 1, "Problem": 1, "_fail": 3, "python_finding": 0, "err": 1, "fail": 0, "refuse": 1}
RULES_DIR = os.path.join(ROOT, "policyfactory", "core", "rules")


def package_sources():
    for folder, _, files in os.walk(os.path.join(ROOT, "policyfactory")):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                yield path, ast.parse(open(path, encoding="utf-8").read())


def rule_constants():
    """Constant name -> rule id, for every Rule constant the rules package defines."""
    from policyfactory.core import rules

    out = {}
    for name in os.listdir(RULES_DIR):
        if name.endswith(".py") and name != "__init__.py":
            module = __import__(f"policyfactory.core.rules.{name[:-3]}", fromlist=["x"])
            out.update({k: str(v) for k, v in vars(module).items() if isinstance(v, rules.Rule) and k.isupper()})
    return out


def emitted_rules():
    """Rule id -> where an emitter call names it (by constant, or by a string literal)."""
    constants = rule_constants()
    found = {}
    for path, tree in package_sources():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            fn = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            if fn in EMITTERS and len(node.args) > EMITTERS[fn]:
                arg = node.args[EMITTERS[fn]]
                rid = None
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+",
                                                                                                 arg.value):
                    rid = arg.value  # an id written as a literal (a message in that place is not an id)
                elif isinstance(arg, ast.Name) and arg.id.isupper():
                    rid = constants.get(arg.id, f"<not a rule: {arg.id}>")
                if rid is not None:
                    found.setdefault(rid, f"{os.path.relpath(path, ROOT)}:{node.lineno}")
    return found


def test_every_emitted_rule_is_registered():
    found = emitted_rules()
    assert len(found) >= 60  # the scan sees the emitters (a broken scan would pass vacuously)
    unknown = {rid: where for rid, where in found.items() if rid not in RULES}
    assert not unknown


def test_rule_ids_are_written_once_where_the_rule_is_defined():
    """Outside core/rules/, code names a rule by its constant; an id as a string literal is the exception."""
    literals = []
    for path, tree in package_sources():
        if path.startswith(RULES_DIR + os.sep):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in RULES:
                literals.append(f"{os.path.relpath(path, ROOT)}:{node.lineno}: {node.value}")
    assert len(literals) <= 3, literals


def test_a_misspelt_rule_is_an_error_at_import(tmp_path):
    """A rule constant that does not exist fails when the module is imported, not when a finding is made."""
    (tmp_path / "mod.py").write_text("from policyfactory.core.rules.sharing import SHARING_VIOLATON\n")
    r = subprocess.run([sys.executable, "-c", "import mod"], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 1 and "ImportError" in r.stderr and "SHARING_VIOLATON" in r.stderr


def test_an_unregistered_id_cannot_become_a_finding():
    with pytest.raises(KeyError):
        Finding("f.yaml", 1, 1, "no-such-rule", "message")


def test_rules_command_lists_every_rule_with_a_summary():
    r = run_cli("rules", "--format", "json")
    assert r.returncode == 0, r.stderr
    listed = json.loads(r.stdout)
    assert {x["id"] for x in listed} == set(RULES) >= set(emitted_rules())
    assert all(x["summary"].strip() and x["category"] in ("invalid", "policy", "warning") for x in listed)
    one = run_cli("rules", "sharing-violation")
    assert one.returncode == 0 and "allow:" in one.stdout and RULES["sharing-violation"].summary in one.stdout
    typo = run_cli("rules", "sharing-violaton")
    assert typo.returncode == 2 and "did you mean 'sharing-violation'" in typo.stderr


def test_sarif_rules_come_from_the_registry(write):
    bad = write("bad.yaml", "kind: model\nversion: 1\ninput: {shape: [4]}\nlayers:\n  - {type: Dense, unit: 3}\n"
                            "allow: [{rule: nothing, reason: stale}]\n")
    for path in (bad, os.path.join(EXAMPLES, "shared_he_normal.yaml")):
        r = run_cli("validate", "--format", "sarif", path)
        run = json.loads(r.stdout)["runs"][0]
        described = {d["id"]: d for d in run["tool"]["driver"]["rules"]}
        assert run["results"]
        for result in run["results"]:
            d = described[result["ruleId"]]
            info = RULES[result["ruleId"]]
            assert d["shortDescription"]["text"] == info.summary
            assert d["defaultConfiguration"]["level"] == info.severity
            assert result["level"] == info.severity


def test_python_findings_point_at_the_callers_line():
    f = pf.LayerFactory()
    line = inspect.currentframe().f_lineno + 2
    with pytest.raises(pf.InvalidInput) as ei:
        f.Dense(4, kernel_initializer="he_normall")
    (finding,) = ei.value.findings
    assert finding.file == __file__ and finding.line == line
    assert "did you mean 'he_normal'" in finding.message
    he = f.shared("he", keras.initializers.HeNormal())
    f.Dense(4, kernel_initializer=he)
    line = inspect.currentframe().f_lineno + 2
    with pytest.raises(pf.PolicyViolation) as ei:
        f.Dense(4, kernel_initializer=he)
    assert (ei.value.findings[0].file, ei.value.findings[0].line) == (__file__, line)


def _example_files(tmp_path, kinds):
    files = {}
    for r in RULES.values():
        if r.example not in kinds:
            continue
        for which in ("bad", "good"):
            text = r.example_file(which)
            if text is not None:
                path = tmp_path / f"{r.id.replace('-', '_')}_{which}.{'py' if r.example == 'source' else 'yaml'}"
                path.write_text(text, encoding="utf-8")
                files[str(path)] = (r.id, which)
    return files


def _judge_examples(files, findings):
    by_file = {}
    for f in findings:
        by_file.setdefault(f["file"], []).append(f)
    wrong = []
    for path, (rid, which) in files.items():
        got = by_file.get(path, [])
        if which == "bad" and rid not in {f["rule"] for f in got}:
            wrong.append(f"{rid}: its bad example does not trigger it: {[f['rule'] for f in got]}")
        if which == "good" and any(f["rule"] == rid or f["severity"] == "error" for f in got):
            wrong.append(f"{rid}: its good example fails: {[(f['rule'], f['message']) for f in got]}")
    return wrong


def test_every_rules_examples_through_validate(tmp_path):
    """Every file example in the registry: `bad` triggers its rule, `good` has no error at all (one CLI run)."""
    files = _example_files(tmp_path, ("model", "policy", "file", "source"))
    assert len(files) >= 96
    # rules that are off by default are turned on, so their examples are judged too
    off = [r.id for r in RULES.values() if not r.enabled]
    (tmp_path / "policyfactory.toml").write_text("[severity]\n" + "".join(f'{rid} = "warning"\n' for rid in off))
    # backend-layer's examples are judged for the JAX backend, where its bad example (a layer that needs
    # TensorFlow) fails; the others for TensorFlow, as the suite runs
    on_jax = {p: rid for p, rid in files.items() if rid[0] == "backend-layer"}
    r = run_cli("validate", "--format", "json", *(p for p in files if p not in on_jax), cwd=str(tmp_path),
                env={"KERAS_BACKEND": "tensorflow"})
    assert r.returncode == 2, r.stderr  # some bad examples are invalid input
    jax = run_cli("validate", "--format", "json", *on_jax, cwd=str(tmp_path), env={"KERAS_BACKEND": "jax"})
    assert len(on_jax) == 2 and jax.returncode == 1, jax.stderr
    wrong = _judge_examples(files, json.loads(r.stdout)["findings"] + json.loads(jax.stdout)["findings"])
    assert not wrong, "\n".join(wrong)


def test_build_examples_through_build(tmp_path):
    """Examples of what only Keras refuses: validate passes both, build refuses `bad` with the rule, builds `good`."""
    files = _example_files(tmp_path, ("build",))
    assert files
    for path, (rid, which) in files.items():
        assert run_cli("validate", path).returncode == 0
        r = run_cli("build", path, "--format", "json", cwd=str(tmp_path))
        rules = {f["rule"] for f in json.loads(r.stdout).get("findings", [])}
        assert (rid in rules) == (which == "bad"), (path, r.stdout)


def test_every_rule_module_of_the_package_is_read():
    """The rules package lists its modules from its folder (pkgutil would import inspect at start-up)."""
    import pkgutil

    from policyfactory.core import rules

    assert rules._module_names() == {m.name for m in pkgutil.iter_modules(rules.__path__)}
