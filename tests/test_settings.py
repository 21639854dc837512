"""Settings: one model (filemodels.SettingsFile) gives the flags, the TOML checks and config; nearer files merge."""

import json
import os
import shutil
import subprocess
import sys

from conftest import EXAMPLES, ROOT, run_cli

from policyfactory.cli import _parser
from policyfactory.core.filemodels import SettingsFile
from policyfactory.core.formats import FORMATS
from policyfactory.core.settings import fields, load_settings
from policyfactory.core.yamlload import MAX_PARAMS_CEILING

PINNED = ('[project]\nname = "x"\n\n[tool.policyfactory]\npolicy = "strict"\nmax-params = 50000000\n\n'
          '[tool.policyfactory.severity]\nunused-shared = "error"\n')


def project(tmp_path, nearer: str):
    """A git work tree whose pyproject.toml pins the policy, and a team folder with its own policyfactory.toml."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text(PINNED)
    team = tmp_path / "team"
    team.mkdir()
    (team / "policyfactory.toml").write_text(nearer)
    shutil.copy(os.path.join(EXAMPLES, "forecaster.yaml"), team / "m.yaml")  # fine under its own policy, not strict
    return team


def test_a_nearer_settings_file_keeps_the_policy_pinned_above_it(tmp_path):
    team = project(tmp_path, 'format = "json"\n')
    r = run_cli("validate", "m.yaml", cwd=team)
    (f,) = json.loads(r.stdout)["findings"]  # json: the nearer file's format
    assert r.returncode == 1 and f["rule"] == "sharing-violation"  # strict: the pinned policy still judges
    doc = json.loads(run_cli("config", "--format", "json", cwd=team).stdout)
    assert doc["origins"]["policy"] == "../pyproject.toml [tool.policyfactory]"
    assert doc["origins"]["format"] == "policyfactory.toml" and doc["origins"]["max-bytes"] == "default"
    assert doc["files"] == [str(team / "policyfactory.toml"), str(tmp_path / "pyproject.toml")]
    assert doc["file"] == str(team / "policyfactory.toml")
    text = run_cli("config", cwd=team).stdout
    assert "nearest first" in text and 'policy = "strict"    # ../pyproject.toml [tool.policyfactory]' in text


def test_the_nearest_file_wins_field_by_field_and_severity_rule_by_rule(tmp_path, monkeypatch):
    team = project(tmp_path, 'policy = "stateless"\n[severity]\ncorrelated-weights = "warning"\n')
    (team / "pyproject.toml").write_text('[tool.policyfactory]\npolicy = "recurrent"\nmax-params = 7000\n')
    monkeypatch.chdir(team)
    settings, problems = load_settings(".")
    assert problems == []
    v, o = settings.values, settings.origins
    assert (v["policy"], o["policy"]) == ("stateless", "policyfactory.toml")  # the same folder: policyfactory.toml
    assert (v["max-params"], o["max-params"]) == (7000, "pyproject.toml [tool.policyfactory]")  # beside it
    assert v["severity"] == {"unused-shared": "error", "correlated-weights": "warning"}
    assert o["severity"] == "policyfactory.toml; ../pyproject.toml [tool.policyfactory]"
    only, _ = load_settings(".", "policyfactory.toml")  # --config FILE: that file alone
    assert only.values["max-params"] == SettingsFile().max_params and only.values["severity"] == {
        "correlated-weights": "warning"}


def test_a_bad_file_above_is_reported_at_its_line_and_stops_the_run(tmp_path):
    team = project(tmp_path, 'format = "json"\n')
    (tmp_path / "pyproject.toml").write_text(PINNED.replace("\n\n[tool.policyfactory.severity]", "\nformatt = 1\n"
                                                                                                  "[tool.policyfactory.severity]"))
    r = run_cli("validate", "m.yaml", cwd=team)
    assert r.returncode == 2 and "pyproject.toml:7:1: error settings-invalid" in r.stdout, r.stdout
    assert "unknown setting 'formatt' (did you mean 'format'?)" in r.stdout and "Traceback" not in r.stderr


def test_schema_errors_are_worded_per_setting(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    (tmp_path / "policyfactory.toml").write_text(
        'format = "xml"\nmax-params = 0\nallow-outside = "yes"\nexclude = "a"\n'
        '[severity]\nunused-shared = "loud"\n')
    _, problems = load_settings(".")
    said = {p.line: p.message for p in problems}  # severity: at its table's header
    assert said == {1: "policyfactory.toml: 'format' must be one of text, json, sarif, github, got 'xml'",
                    2: f"policyfactory.toml: 'max-params' must be from 1 to {MAX_PARAMS_CEILING}, got 0",
                    3: "policyfactory.toml: 'allow-outside' must be true or false, got 'yes'",
                    4: "policyfactory.toml: 'exclude' must be a list of strings, got 'a'",
                    5: "policyfactory.toml: severity of 'unused-shared' must be one of error, warning, off, "
                       "got 'loud'"}


def test_every_flagged_setting_is_a_flag_built_from_the_model():
    assert [s.name for s in fields()] == [f.alias or name for name, f in SettingsFile.model_fields.items()]
    assert next(s for s in fields() if s.name == "format").kind["expected"] == list(FORMATS)
    for command in ("validate", "build", "explain", "audit", "graph", "config"):
        sub = next(a for a in _parser(command)._actions if a.dest == "command").choices[command]
        options = {o: a for a in sub._actions for o in a.option_strings}
        for s in fields():
            if s.flag_in(command):
                assert options[f"--{s.name}"].help == SettingsFile.model_fields[s.dest].description
            elif command == "config" or s.cli is None:
                assert s.name == "format" or f"--{s.name}" not in options  # config's --format is its output
    r = run_cli("explain", "--format", "sarif", os.path.join(EXAMPLES, "forecaster.yaml"))
    assert r.returncode == 2 and "invalid choice: 'sarif'" in r.stderr  # the model's per-command choices
    r = run_cli("validate", "--max-bytes", "0", os.path.join(EXAMPLES, "forecaster.yaml"))
    assert r.returncode == 2 and "expected a number from 1 to" in r.stderr  # the model's bounds


def test_settings_are_validated_without_building_pydantic_models(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text(PINNED.replace('"strict"', '"recurrent"'))
    code = ("import sys\nfrom policyfactory.cli import main\n"
            f"code = main(['validate', {os.path.join(EXAMPLES, 'forecaster.yaml')!r}])\n"
            "assert code == 0, code\n"
            "assert 'pydantic.main' not in sys.modules, 'Pydantic models were built'\n")
    env = {**os.environ, "PYTHONPATH": ROOT}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stdout + done.stderr


def test_per_file_ignores_drop_a_rule_in_matching_files_only(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "legacy").mkdir()
    for where in ("legacy/old.yaml", "new.yaml"):
        shutil.copy(os.path.join(EXAMPLES, "shared_he_normal.yaml"), tmp_path / where)
    (tmp_path / "pyproject.toml").write_text('[tool.policyfactory]\nformat = "json"\n'
                                             '[tool.policyfactory.per-file-ignores]\n"legacy/*" = ["sharing-violation"]\n')
    team = tmp_path / "legacy"
    for cwd in (tmp_path, team):  # the glob is read from the settings file's folder, wherever the run starts
        r = run_cli("validate", str(tmp_path), cwd=cwd)
        found = json.loads(r.stdout)["findings"]
        assert r.returncode == 1 and [os.path.basename(f["file"]) for f in found] == ["new.yaml"], r.stdout
    # a glob without a '/' matches the file name; a category works as in `ignore`
    (tmp_path / "pyproject.toml").write_text('[tool.policyfactory]\nformat = "json"\n'
                                             '[tool.policyfactory.per-file-ignores]\n"new.yaml" = ["policy"]\n')
    found = json.loads(run_cli("validate", str(tmp_path), cwd=tmp_path).stdout)["findings"]
    assert [os.path.basename(f["file"]) for f in found] == ["old.yaml"]
    # invalid input is never ignored, and a misspelt rule is a located settings finding
    (tmp_path / "new.yaml").write_text("kind: model\nversion: 1\nlayers: 3\n")
    (tmp_path / "pyproject.toml").write_text('[tool.policyfactory]\nper-file-ignores = {"*" = ["invalid", "policy"]}\n')
    r = run_cli("validate", str(tmp_path / "new.yaml"), cwd=tmp_path)
    assert r.returncode == 2 and "new.yaml:" in r.stdout
    (tmp_path / "pyproject.toml").write_text('[tool.policyfactory]\nper-file-ignores = {"*" = ["sharng-violation"]}\n')
    r = run_cli("validate", str(tmp_path / "new.yaml"), cwd=tmp_path)
    assert r.returncode == 2 and "pyproject.toml:2:1: error settings-invalid" in r.stdout
    assert "did you mean 'sharing-violation'" in r.stdout
    (tmp_path / "pyproject.toml").write_text('[tool.policyfactory.per-file-ignores]\n"legacy/*" = ["policy"]\n'
                                             '"*.yaml" = ["sharng-violation"]\n')  # found at the entry, not the table
    r = run_cli("validate", str(tmp_path / "new.yaml"), cwd=tmp_path)
    assert r.returncode == 2 and "pyproject.toml:3:1: error settings-invalid" in r.stdout, r.stdout


def test_an_override_of_the_files_policy_is_named_as_one(tmp_path):
    (tmp_path / ".git").mkdir()
    shutil.copy(os.path.join(EXAMPLES, "forecaster.yaml"), tmp_path / "m.yaml")  # names policy: recurrent
    (tmp_path / "pyproject.toml").write_text('[tool.policyfactory]\npolicy = "strict"\n')
    r = run_cli("validate", "m.yaml", cwd=tmp_path)
    assert r.returncode == 1
    assert ("of policy 'strict' (pyproject.toml [tool.policyfactory], in place of the file's own policy: recurrent)"
            in r.stdout), r.stdout
    r = run_cli("validate", "--policy", "stateless", "m.yaml", cwd=tmp_path)
    assert r.returncode == 0 and "policy 'stateless' (--policy, in place of the file's own policy: recurrent)" in r.stdout
    (tmp_path / "pyproject.toml").unlink()
    r = run_cli("validate", "m.yaml", cwd=tmp_path)
    assert r.returncode == 0 and "in place of" not in r.stdout


def test_a_rule_the_settings_lower_does_not_stop_build_when_validate_passes(tmp_path):
    """validate passing means build succeeds, under the project's severities too: a sharing violation made a
    warning is reported by both, and the model is built; at its default severity neither passes."""
    shutil.copy(os.path.join(EXAMPLES, "shared_he_normal.yaml"), tmp_path / "m.yaml")
    out = tmp_path / "m.keras"
    assert run_cli("validate", "m.yaml", cwd=str(tmp_path)).returncode == 1
    assert run_cli("build", "m.yaml", "-o", str(out), cwd=str(tmp_path)).returncode == 1 and not out.exists()
    for level in ("warning", "off"):
        (tmp_path / "pyproject.toml").write_text(f'[tool.policyfactory.severity]\nsharing-violation = "{level}"\n')
        v = run_cli("validate", "m.yaml", cwd=str(tmp_path))
        b = run_cli("build", "m.yaml", "-o", str(out), "--overwrite", cwd=str(tmp_path))
        assert v.returncode == 0 and b.returncode == 0 and out.exists(), b.stdout + b.stderr
        assert ("warning sharing-violation" in b.stdout) == (level == "warning")
        out.unlink()
