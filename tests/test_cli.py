"""The command line as a user meets it: quiet TensorFlow, one line per finding."""

import os
import subprocess
import sys

import pytest
from conftest import EXAMPLES, run_cli

from policyfactory.core.rules import RULES


def test_build_prints_no_tensorflow_start_up_lines(tmp_path):
    env = {"TF_CPP_MIN_LOG_LEVEL": ""}  # as a user's shell has it: nothing set
    r = run_cli("build", os.path.join(EXAMPLES, "forecaster.yaml"), "-o", str(tmp_path / "f.keras"), env=env)
    assert r.returncode == 0 and (tmp_path / "f.keras").exists()
    assert r.stderr.strip() == "", r.stderr
    # a real error still reaches stderr: the summary line of a refused build
    bad = tmp_path / "bad.yaml"
    bad.write_text(RULES["keras-error"].example_file("bad"))  # what only Keras refuses, kept current by test_rules
    r = run_cli("build", str(bad), "-o", str(tmp_path / "b.keras"), env=env)
    assert r.returncode == 2 and "not built, nothing written" in r.stderr
    assert "absl" not in r.stderr and "cuda" not in r.stderr.lower()
    assert "keras-error" in r.stdout and "\\x1b" not in r.stdout  # Keras's terminal colours are stripped


def test_every_sharing_violation_says_how_to_fix_it(write):
    import json
    r = run_cli("validate", "--format", "json", os.path.join(EXAMPLES, "shared_he_normal.yaml"))
    (f,) = json.loads(r.stdout)["findings"]
    assert f["rule"] == "sharing-violation" and "inline" in f["help"] and "allow:" in f["help"]
    r = run_cli("validate", "--policy", "strict", "--format", "json", os.path.join(EXAMPLES, "forecaster.yaml"))
    (f,) = json.loads(r.stdout)["findings"]
    assert "use policy 'stateless', which allows it" in f["help"]  # the shipped policy that would allow it
    text = run_cli("validate", os.path.join(EXAMPLES, "shared_he_normal.yaml")).stdout
    assert "\n    help: give each slot its own component" in text


def test_typos_in_allow_and_unused_shared_are_named(write):
    import json
    src = open(os.path.join(EXAMPLES, "shared_he_normal.yaml")).read()
    typo = write("t.yaml", src + "allow:\n  - {rule: sharing-violaton, reason: tied}\n"
                                 "  - {rule: sharing-violation, slots: [dense_a.kernel_initialiser], reason: tied}\n")
    fs = {f["message"] for f in json.loads(run_cli("validate", "--format", "json", typo).stdout)["findings"]}
    assert any("did you mean 'sharing-violation'" in m for m in fs)
    assert any("no slot 'dense_a.kernel_initialiser' (did you mean 'dense_a.kernel_initializer'?)" in m for m in fs)
    unused = write("u.yaml", "kind: model\nversion: 1\ninput: {shape: [4]}\nshared:\n  he: {initializer: HeNormal}\n"
                             "layers: [{type: Dense, units: 2}]\n")
    r = run_cli("validate", "--format", "json", unused)
    (f,) = json.loads(r.stdout)["findings"]
    assert (r.returncode, f["rule"], f["severity"], f["line"]) == (0, "unused-shared", "warning", 5)


def test_friendly_texts_for_tabs_empty_lists_and_factory_typos(write):
    r = run_cli("validate", write("tab.yaml", "kind: model\nversion: 1\n\tinput: {shape: [4]}\n"))
    assert ":3:1: error yaml-syntax: invalid YAML: a tab character: YAML indents with spaces only" in r.stdout
    for name, text, at in [("item.yaml", "kind: model\nlayers:\n\t- {type: Dense, units: 4}\n", ":3:1:"),
                           ("key.yaml", "kind: model\ninput:\n\tshape: [8]\n", ":3:1:"),
                           ("after.yaml", "kind: model\ninput:\n  \tshape: [8]\n", ":3:")]:
        r = run_cli("validate", write(name, text))  # a tab where a line starts, under a key or a list
        assert f"{at}" in r.stdout and "a tab character" in r.stdout and r.returncode == 2, r.stdout
    r = run_cli("validate", write("e.yaml", "kind: model\nversion: 1\ninput: {shape: [4]}\nlayers: []\n"))
    assert "'layers' needs at least 1 item" in r.stdout and "after validation" not in r.stdout
    import keras
    import pytest

    import policyfactory as pf
    with pytest.raises(pf.InvalidInput, match="did you mean 'kernel_initializer'"):
        pf.LayerFactory().Dense(3, kernel_initialiser=keras.initializers.HeNormal())


def test_one_pass_reports_top_level_and_layer_errors_together(write):
    path = write("m.yaml", "kind: model\nversion: 1\nseed: \"7\"\ninput: {shape: [4]}\nlayers:\n"
                           "  - {type: Densee, units: 3}\n  - {type: Dense, unit: 3}\n")
    r = run_cli("validate", path)
    rules = [line.split(": error ")[1].split(":")[0] for line in r.stdout.splitlines() if ": error " in line]
    assert r.returncode == 2 and rules == ["schema-type", "unknown-layer-type", "missing-argument", "unknown-argument"]
    policy = write("p.yaml", "kind: policy\nversion: 1\nname: p\nfoo: 1\nrules:\n"
                             "  - {id: a, component: initializer, layers: [LSTMM], share: deny}\n"
                             "  - {id: b, component: bogus, share: deny}\n")
    r = run_cli("validate", policy)
    assert ":4:1: error schema-unknown-key" in r.stdout and ":6:46: error unknown-layer-type" in r.stdout
    assert ":7:24: error schema-value" in r.stdout


# -- issue 14: inputs like a linter, project settings, quiet, colours, small UX ------------------

def _stdin(args, data, cwd):
    import subprocess
    import sys
    return subprocess.run([sys.executable, "-m", "policyfactory", *args], input=data, capture_output=True,
                          text=True, cwd=cwd, timeout=600)


MODEL = "kind: model\nversion: 1\ninput: {shape: [4]}\nlayers:\n  - {type: Dense, units: 2}\n"


def test_a_folder_is_walked_like_a_linter(tmp_path):
    import shutil
    import subprocess
    (tmp_path / "models" / "deep").mkdir(parents=True)
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "models" / "ok.yaml").write_text(MODEL)
    shutil.copy(os.path.join(EXAMPLES, "shared_he_normal.yaml"), tmp_path / "models" / "deep" / "bad.yml")
    (tmp_path / "models" / "workflow.yaml").write_text("name: ci\non: push\n")  # declares no kind: skipped
    (tmp_path / ".hidden" / "x.yaml").write_text("kind: model\nbroken: [\n")  # hidden folder: skipped
    (tmp_path / "models" / "ignored.yaml").write_text("kind: model\nbroken: [\n")
    (tmp_path / "models" / "scratch.yaml").write_text("kind: model\nbroken: [\n")
    (tmp_path / ".gitignore").write_text("ignored.yaml\n")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    r = run_cli("validate", "models", "--exclude", "scratch.yaml", cwd=tmp_path)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "models/ok.yaml: ok" in r.stdout and "models/deep/bad.yml:" in r.stdout and "sharing-violation" in r.stdout
    for skipped in ("workflow", "x.yaml", "ignored", "scratch"):
        assert skipped not in r.stdout + r.stderr
    r = run_cli("validate", "models", cwd=tmp_path)  # without --exclude the broken scratch file is read
    assert r.returncode == 2 and "models/scratch.yaml:3:1: error yaml-syntax" in r.stdout


def test_stdin_is_named_by_stdin_filename_and_anchors_relative_policies(tmp_path):
    (tmp_path / "team").mkdir()
    (tmp_path / "team" / "p.yaml").write_text(open(os.path.join(EXAMPLES, "..", "policies", "stateless.yaml")).read()
                                              .replace("name: stateless", "name: team"))
    text = MODEL.replace("kind: model\n", "kind: model\npolicy: p.yaml\n").replace("units: 2}", "units: 2, unit: 1}")
    r = _stdin(["validate", "-", "--stdin-filename", "team/m.yaml"], text, tmp_path)
    assert r.returncode == 2 and r.stdout.startswith("team/m.yaml:6:29: error unknown-argument"), r.stdout
    r = _stdin(["validate", "-", "--stdin-filename", "team/m.yaml"], text.replace(", unit: 1", ""), tmp_path)
    assert r.returncode == 0 and "team/m.yaml: ok, model" in r.stdout and "policy 'team'" in r.stdout
    r = _stdin(["validate", "-"], "kind: model\n", tmp_path)
    assert r.returncode == 2 and r.stdout.startswith("<stdin>:")
    r = _stdin(["validate", "-", "-"], MODEL, tmp_path)
    assert r.returncode == 2 and "'-' (standard input) can be given once" in r.stderr
    assert run_cli("validate", "x.yaml", "--stdin-filename", "y.yaml", cwd=tmp_path).returncode == 2


def test_explain_graph_and_build_take_several_files(tmp_path):
    import json
    a, b = os.path.join(EXAMPLES, "forecaster.yaml"), os.path.join(EXAMPLES, "regularized.yaml")
    r = run_cli("explain", a, b)
    assert r.returncode == 0 and f"{a}: model 'forecaster'" in r.stdout and f"{b}: model " in r.stdout
    docs = json.loads(run_cli("explain", "--format", "json", a, b).stdout)
    assert [d["file"] for d in docs] == [a, b] and all(d["slots"] for d in docs)
    assert json.loads(run_cli("explain", "--format", "json", a).stdout)["model"] == "forecaster"  # one file: one object
    out = tmp_path / "graphs"
    out.mkdir()
    r = run_cli("graph", a, b, "-o", str(out))
    assert r.returncode == 0 and sorted(os.listdir(out)) == ["forecaster.dot", "regularized.dot"]
    r = run_cli("build", a, b, "-o", str(out), "--format", "json")
    built = json.loads(r.stdout)["built"]
    assert r.returncode == 0 and [os.path.basename(x["output"]) for x in built] == ["forecaster.keras",
                                                                                   "regularized.keras"]
    assert all(os.path.getsize(x["output"]) > 0 and x["parameters"] > 0 for x in built)
    r = run_cli("build", a, b, "-o", str(tmp_path / "one.keras"))
    assert r.returncode == 2 and "must be an existing folder" in r.stderr and not (tmp_path / "one.keras").exists()


def test_graph_to_stdout_and_unknown_extensions(tmp_path):
    a = os.path.join(EXAMPLES, "shared_he_normal.yaml")
    r = run_cli("graph", a, "-o", "-")
    assert r.stdout.startswith("digraph") and "sharing-violation" in r.stderr and r.returncode == 1
    r = run_cli("graph", a, "-o", str(tmp_path / "g.txt"))
    assert r.returncode == 2 and "must end in .dot" in r.stderr and not os.listdir(tmp_path)


def test_version_quiet_and_colours(tmp_path):
    import pty
    import subprocess
    import sys

    import policyfactory as pf
    r = run_cli("--version")
    assert r.returncode == 0 and r.stdout.splitlines()[0] == f"policyfactory {pf.__version__}"
    import keras  # the second line names Keras and the backend, read without importing Keras
    assert r.stdout.splitlines()[1].startswith(f"Keras {keras.__version__}, backend ")
    ok = os.path.join(EXAMPLES, "forecaster.yaml")
    bad = os.path.join(EXAMPLES, "shared_he_normal.yaml")
    r = run_cli("validate", "--quiet", ok, bad)
    assert r.returncode == 1 and "ok," not in r.stdout and r.stderr == "" and "sharing-violation" in r.stdout
    assert run_cli("validate", "-q", ok).stdout == ""

    def on_a_terminal(*extra, no_color=None):
        leader, follower = pty.openpty()
        env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
        if no_color is not None:
            env["NO_COLOR"] = no_color
        done = subprocess.run([sys.executable, "-m", "policyfactory", "validate", bad, *extra], stdout=follower,
                              stderr=subprocess.DEVNULL, env=env, timeout=600)
        os.close(follower)
        text = os.read(leader, 1 << 16).decode()
        os.close(leader)
        return done.returncode, text
    code, text = on_a_terminal()
    assert code == 1 and "\x1b[1;31merror\x1b[0m sharing-violation" in text
    assert "\x1b[" not in on_a_terminal("--no-color")[1]
    assert "\x1b[" not in on_a_terminal(no_color="1")[1]
    assert "\x1b[1;31merror" in on_a_terminal(no_color="")[1]  # no-color.org: set and empty is not set
    assert "\x1b[" not in on_a_terminal("--color", "never")[1]
    assert "\x1b[" not in run_cli("validate", bad).stdout  # a pipe is not a terminal
    assert "\x1b[1;31merror" in run_cli("validate", bad, "--color", "always").stdout
    assert "\x1b[1;31merror" in run_cli("validate", bad, env={"FORCE_COLOR": "1"}).stdout
    assert "\x1b[" not in run_cli("validate", bad, "--color", "never", env={"FORCE_COLOR": "1"}).stdout


def test_project_settings_in_pyproject(tmp_path):
    import json
    import shutil
    shutil.copy(os.path.join(EXAMPLES, "forecaster.yaml"), tmp_path / "m.yaml")  # names policy: stateless
    (tmp_path / "u.yaml").write_text("kind: model\nversion: 1\ninput: {shape: [4]}\nshared:\n"
                                     "  he: {initializer: HeNormal}\nlayers: [{type: Dense, units: 2}]\n")
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.policyfactory]\nformat = "json"\npolicy = "strict"\n'
        'exclude = ["skip*"]\n\n[tool.policyfactory.severity]\nunused-shared = "error"\n')
    (tmp_path / "sub").mkdir()
    r = run_cli("validate", "../m.yaml", cwd=tmp_path / "sub")  # the nearest pyproject.toml above the folder
    (f,) = json.loads(r.stdout)["findings"]
    assert r.returncode == 1 and f["rule"] == "sharing-violation"  # judged by strict, as the project says
    r = run_cli("validate", "--policy", "stateless", "--format", "text", "m.yaml", cwd=tmp_path)  # flags win
    assert r.returncode == 0 and "m.yaml: ok" in r.stdout
    r = run_cli("validate", "u.yaml", cwd=tmp_path)
    (f,) = json.loads(r.stdout)["findings"]
    assert r.returncode == 1 and (f["rule"], f["severity"]) == ("unused-shared", "error")
    r = run_cli("config", "--format", "json", cwd=tmp_path)
    doc = json.loads(r.stdout)
    assert doc["settings"]["policy"] == "strict" and doc["origins"]["policy"] == "pyproject.toml [tool.policyfactory]"
    assert doc["origins"]["max-bytes"] == "default"
    assert 'policy = "strict"    # pyproject.toml [tool.policyfactory]' in run_cli("config", cwd=tmp_path).stdout
    (tmp_path / "pyproject.toml").write_text('[tool.policyfactory]\nformatt = "json"\n')
    r = run_cli("validate", "m.yaml", cwd=tmp_path)
    assert r.returncode == 2 and "unknown setting 'formatt' (did you mean 'format'?)" in r.stdout


def test_a_policy_path_in_settings_is_read_from_the_settings_file_folder(tmp_path):
    import shutil
    (tmp_path / "policies").mkdir()
    (tmp_path / "models").mkdir()
    shutil.copy(os.path.join(EXAMPLES, "..", "policies", "strict.yaml"), tmp_path / "policies" / "team.yaml")
    shutil.copy(os.path.join(EXAMPLES, "forecaster.yaml"), tmp_path / "models" / "m.yaml")
    (tmp_path / "policyfactory.toml").write_text('policy = "policies/team.yaml"\n')
    r = run_cli("validate", "m.yaml", cwd=tmp_path / "models")
    assert r.returncode == 1 and "sharing-violation" in r.stdout and "policy 'strict'" in r.stdout


def test_what_the_new_user_trial_found_stays_fixed(tmp_path):
    import json
    import shutil
    import subprocess
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "experiments").mkdir()
    (tmp_path / "models").mkdir()
    shutil.copy(os.path.join(EXAMPLES, "shared_he_normal.yaml"), tmp_path / "experiments" / "e.yaml")
    shutil.copy(os.path.join(EXAMPLES, "shared_he_normal.yaml"), tmp_path / "models" / "m.yaml")
    # a file named on the command line is read even when a glob matches it; globs prune walks only
    r = run_cli("validate", "experiments/e.yaml", "--exclude", "*.yaml", cwd=tmp_path)
    assert r.returncode == 1 and "sharing-violation" in r.stdout
    # settings globs are read from the settings file's folder, wherever the command runs
    (tmp_path / "policyfactory.toml").write_text('exclude = ["experiments/*"]\n')
    r = run_cli("validate", "..", cwd=tmp_path / "models")
    assert "../models/m.yaml" in r.stdout and "experiments" not in r.stdout
    # a settings file that cannot be used stops every command, located at its line
    for text, words in (('max-bytes = 99999999999999\n', "'max-bytes' must be from 1 to"),
                        ('exclude = [1]\n', "'exclude' must be a list of strings"),
                        ('\nformatt = "json"\n', "unknown setting 'formatt' (did you mean 'format'?)"),
                        ('policy = "strictt"\n', "(did you mean 'strict'?)")):
        (tmp_path / "policyfactory.toml").write_text(text)
        r = run_cli("validate", "models", cwd=tmp_path)
        line = 2 if text.startswith("\n") else 1
        assert r.returncode == 2 and f"policyfactory.toml:{line}:1: error settings-invalid" in r.stdout, r.stdout
        assert words in r.stdout and "internal error" not in r.stderr
    (tmp_path / "policyfactory.toml").unlink()
    (tmp_path / "pyproject.toml").write_text('[tool.policyfactory\nformat = "json"\n')  # a broken table header
    r = run_cli("config", cwd=tmp_path)
    assert r.returncode == 2 and "pyproject.toml:1:" in r.stdout and "invalid TOML" in r.stdout
    # config reports where format comes from; a rule raised to error is counted as one, with no ok line
    (tmp_path / "pyproject.toml").write_text('[tool.policyfactory]\nformat = "json"\n'
                                             '[tool.policyfactory.severity]\nunused-shared = "error"\n')
    assert 'format = "json"    # pyproject.toml [tool.policyfactory]' in run_cli("config", cwd=tmp_path).stdout
    (tmp_path / "u.yaml").write_text("kind: model\nversion: 1\ninput: {shape: [4]}\nshared:\n"
                                     "  he: {initializer: HeNormal}\nlayers: [{type: Dense, units: 2}]\n")
    r = run_cli("validate", "--format", "text", "u.yaml", cwd=tmp_path)
    assert r.returncode == 1 and "ok," not in r.stdout and "(1 policy finding)" in r.stderr
    # --policy that names nothing is one command-line error, not one finding per file
    r = run_cli("validate", "--policy", "strictt", "models", "experiments", cwd=tmp_path)
    assert r.returncode == 2 and r.stdout == "" and "did you mean 'strict'?" in r.stderr
    # two inputs that would write one output are refused before anything is written
    (tmp_path / "out").mkdir()
    shutil.copy(tmp_path / "models" / "m.yaml", tmp_path / "experiments" / "m.yaml")
    r = run_cli("build", "models/m.yaml", "experiments/m.yaml", "-o", "out", cwd=tmp_path)
    assert r.returncode == 2 and "would both write m.keras" in r.stderr and not os.listdir(tmp_path / "out")
    r = run_cli("build", "models/m.yaml", "-o", "model.h5", cwd=tmp_path)
    assert r.returncode == 2 and "must end in .keras" in r.stderr and not (tmp_path / "model.h5").exists()
    assert json.loads(run_cli("config", "--format", "json", cwd=tmp_path).stdout)["settings"]["format"] == "json"


def test_missing_extras_and_an_unnamed_stdin_build_are_said_plainly(tmp_path):
    from conftest import without_keras
    saved = tmp_path / "m.keras"
    saved.write_bytes(b"PK\x05\x06" + bytes(18))  # an empty zip: never read, the audit cannot even start
    r = run_cli("audit", str(saved), env=without_keras(tmp_path, ("numpy", "h5py")))
    assert r.returncode == 2 and "pip install 'policyfactory[audit]'" in r.stdout and "Traceback" not in r.stderr
    r = _stdin(["build", "-"], MODEL, tmp_path)
    assert r.returncode == 2 and "--stdin-filename" in r.stderr
    assert sorted(os.listdir(tmp_path)) == ["m.keras", "sitecustomize.py"]  # nothing written


def test_a_misspelt_flag_gets_the_commands_usage_and_the_flag_it_looks_like():
    r = run_cli("validate", os.path.join(EXAMPLES, "forecaster.yaml"), "--fromat", "json")
    assert r.returncode == 2 and r.stdout == ""
    assert "usage: policyfactory validate" in r.stderr
    assert "unrecognized argument '--fromat' (did you mean '--format'?)" in r.stderr


@pytest.mark.parametrize("argv, said", [
    (["--fromat", "json", "validate", "m.yaml"], "unrecognized argument '--fromat' before the command (did you mean "
                                                 "'--format'?): options go after it (policyfactory validate --format"),
    (["--format=json", "validate", "m.yaml"], "'--format' is an option of a command: it goes after the command "
                                              "(policyfactory validate --format"),
    (["--colr", "never"], "(did you mean '--color'?): options go after it (policyfactory COMMAND --color"),
    (["--fromat", "valdate", "m.yaml"], "(policyfactory validate --format ...); 'valdate' is no command (did you mean "
                                        "'validate'?)"),
    (["--fix", "build", "m.yaml"], "'--fix' is an option of validate, not of build"),
])
def test_a_flag_before_the_command_is_named_with_where_it_goes(argv, said):
    r = run_cli(*argv)
    assert r.returncode == 2 and r.stdout == "" and said in r.stderr, r.stderr
    assert "invalid choice" not in r.stderr  # argparse's reading: the flag's value taken for the command


@pytest.mark.parametrize(("argv", "starts"), [(["--he"], "usage: policyfactory"), (["--vers"], "policyfactory "),
                                               (["--fromat", "-h"], "usage: policyfactory"),
                                               (["--fromat", "--version"], "policyfactory ")])
def test_help_and_version_win_over_a_flag_before_the_command_abbreviated_too(argv, starts):
    r = run_cli(*argv)
    assert r.returncode == 0 and r.stdout.startswith(starts), (r.stdout, r.stderr)


def test_bare_policyfactory_prints_a_short_usage_and_succeeds():
    from policyfactory.cli import COMMANDS

    r = run_cli()
    assert r.returncode == 0 and r.stderr == ""
    assert r.stdout.startswith("usage: policyfactory COMMAND") and len(r.stdout.splitlines()) <= 8
    assert all(name in r.stdout for name in COMMANDS)
    assert run_cli("--bogus").returncode == 2  # a bad command line is still an error
    r = run_cli("valdate", "x.yaml")
    assert r.returncode == 2 and "unknown command 'valdate' (did you mean 'validate'?)" in r.stderr


def test_every_positional_argument_of_every_command_has_help():
    import argparse

    from policyfactory.cli import COMMANDS, _parser

    parser = _parser(None)
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert set(sub.choices) == set(COMMANDS)
    missing = [f"{name} {a.metavar or a.dest}" for name, p in sub.choices.items() for a in p._actions
               if not a.option_strings and not a.help]
    assert not missing, missing


def test_statistics_count_findings_by_rule_and_output_file_writes_the_report(tmp_path, write):
    import json

    shared = os.path.join(EXAMPLES, "shared_he_normal.yaml")
    bad = write("bad.yaml", "kind: model\nversion: 1\ninput: {shape: [4]}\nlayers: [{type: Dense, unitz: 2}]\n")
    r = run_cli("validate", shared, bad, "--statistics")
    assert r.returncode == 2
    rows = [line.split() for line in r.stdout.splitlines()]
    assert {(row[0], row[1]) for row in rows} >= {("1", "sharing-violation"), ("1", "unknown-argument")}
    r = run_cli("validate", shared, "--statistics", "--format", "json")
    assert json.loads(r.stdout)[0] == {"rule": "sharing-violation", "count": 1, "category": "policy",
                                       "summary": "A sharing group that the policy does not allow."}
    report = tmp_path / "report.json"
    r = run_cli("validate", shared, "--format", "json", "--output-file", str(report))
    assert r.returncode == 1 and r.stdout == ""
    assert [f["rule"] for f in json.loads(report.read_text())["findings"]] == ["sharing-violation"]
    before = open(bad).read()
    r = run_cli("validate", bad, "--output-file", bad)  # never the input it reads
    assert r.returncode == 2 and "output-path" in r.stdout and open(bad).read() == before


def test_select_ignore_and_extend_select_as_ruff_has_them(tmp_path, write):
    import json

    shared = os.path.join(EXAMPLES, "shared_he_normal.yaml")
    bad = write("bad.yaml", "kind: model\nversion: 1\ninput: {shape: [4]}\nlayers: [{type: Dense, unitz: 2}]\n")
    source = write("m.py", "import keras\ndef block(init):\n    return [keras.layers.Dense(8, kernel_initializer=init),\n"
                           "            keras.layers.Dense(8, kernel_initializer=init)]\n")

    def rules(*args, cwd=None):
        r = run_cli("validate", "--format", "json", *args, cwd=cwd)
        return r.returncode, sorted(f["rule"] for f in json.loads(r.stdout)["findings"])

    assert rules(shared, "--ignore", "sharing-violation") == (0, [])
    assert rules(shared, "--ignore", "policy") == (0, [])
    assert rules(shared, bad, "--select", "warning") == (2, ["missing-argument", "unknown-argument"])  # invalid: kept
    assert rules(bad, "--ignore", "unknown-argument") == (2, ["missing-argument", "unknown-argument"])
    assert rules(source) == (0, [])
    assert rules(source, "--extend-select", "unknown-origin") == (0, ["unknown-origin"])  # off by default, named on
    (tmp_path / "policyfactory.toml").write_text('ignore = ["sharing-violation"]\n')
    assert rules(shared, cwd=str(tmp_path)) == (0, [])
    r = run_cli("validate", shared, "--select", "sharing-violaton")
    assert r.returncode == 2 and "did you mean 'sharing-violation'" in r.stderr
    (tmp_path / "policyfactory.toml").write_text('ignore = ["polcy"]\n')
    r = run_cli("validate", shared, cwd=str(tmp_path))
    assert r.returncode == 2 and "settings-invalid" in r.stdout and "did you mean 'policy'" in r.stdout


def test_the_command_leaves_the_garbage_collector_off_and_main_turns_it_back_on():
    """`run` (the command) ends its process with the collector off, so no collection walks the run's objects just
    before the process frees them; `main`, called in a process that goes on, leaves the collector as it was."""
    import gc
    import subprocess
    import sys

    from policyfactory.cli import main

    model = os.path.join(EXAMPLES, "forecaster.yaml")
    assert gc.isenabled()
    assert main(["validate", "-q", model]) == 0
    assert gc.isenabled()
    code = ("import atexit, gc, sys\natexit.register(lambda: print('collector on:', gc.isenabled()))\n"
            f"sys.argv = ['policyfactory', 'validate', '-q', {model!r}]\n"
            "from policyfactory.cli import run\nrun()\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == "collector on: False", done.stdout + done.stderr


def test_a_working_folder_deleted_under_the_shell_is_a_usage_error(tmp_path):
    """Found by an attack pass: every command ended in an internal error (FileNotFoundError from os.getcwd)."""
    gone = tmp_path / "gone"
    gone.mkdir()
    r = subprocess.run(["sh", "-c", f'cd "{gone}" && rmdir "{gone}" && exec "$0" -m policyfactory validate m.yaml',
                        sys.executable], capture_output=True, text=True)
    assert r.returncode == 2 and "the working folder cannot be read" in r.stderr and "internal" not in r.stderr
