"""Hardening III: a walk runs nothing and stays in the project, no file is lost, every error is a located finding."""

import hashlib
import os
import stat
import subprocess
import sys

import pytest
from conftest import EXAMPLES, run_cli

MODEL = "kind: model\nversion: 1\ninput: {shape: [4]}\nlayers: [{type: Dense, units: 2}]\n"


def md5(path):
    return hashlib.md5(open(path, "rb").read()).hexdigest()


def git_repo(folder):
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    return folder


# -- a walk runs nothing ----------------------------------------------------------------------------

def test_walking_a_repository_never_runs_its_git_configuration(tmp_path):
    repo = git_repo(tmp_path / "repo")
    marker = tmp_path / "MARKER"
    with open(repo / ".git" / "config", "a") as fh:  # git would run this command on `git ls-files`
        fh.write(f"[core]\n\tfsmonitor = touch {marker}\n")
    (repo / "m.yaml").write_text(MODEL)
    (repo / "ignored.yaml").write_text("kind: model\nnot: valid\n")
    (repo / "sub" / "deep").mkdir(parents=True)
    (repo / "sub" / "a.yaml").write_text("kind: model\nnot: valid\n")
    (repo / "sub" / "keep.yaml").write_text(MODEL)
    (repo / "sub" / "deep" / "b.yaml").write_text("kind: model\nnot: valid\n")
    (repo / "build").mkdir()
    (repo / "build" / "c.yaml").write_text("kind: model\nnot: valid\n")
    (repo / "local.yaml").write_text("kind: model\nnot: valid\n")
    (repo / ".gitignore").write_text("ignored.yaml\nbuild/\n")
    (repo / "sub" / ".gitignore").write_text("*.yaml\n!keep.yaml\n")  # nested, and a negation
    (repo / ".git" / "info").mkdir(exist_ok=True)
    (repo / ".git" / "info" / "exclude").write_text("local.yaml\n")
    r = run_cli("validate", ".", cwd=repo)
    assert not marker.exists()
    assert r.returncode == 0, r.stdout + r.stderr
    assert sorted(line.split(":")[0] for line in r.stdout.splitlines()) == ["./m.yaml", "./sub/keep.yaml"]
    # a folder git ignores is walked when it is named on the command line, as a named file is read
    assert run_cli("validate", "build", cwd=repo).stdout.startswith("build/c.yaml:1:1: error")
    assert not marker.exists()
    # the same files git itself lists (run here with the hostile setting removed)
    listed = subprocess.run(["git", "-c", "core.fsmonitor=", "ls-files", "-co", "--exclude-standard"], cwd=repo,
                            capture_output=True, text=True, check=True).stdout.split()
    assert sorted(p for p in listed if p.endswith(".yaml")) == ["m.yaml", "sub/keep.yaml"]


# -- a walk stays in the project and opens regular files only --------------------------------------

def test_a_walk_never_follows_a_link_out_of_the_project_nor_waits_on_a_fifo(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "creds.yaml").write_text("kind: model\naws_secret: hunter2\n")
    proj = git_repo(tmp_path / "proj")
    (proj / "models").mkdir()
    (proj / "models" / "evil.yaml").symlink_to(outside / "creds.yaml")
    (proj / "models" / "in.yaml").symlink_to(proj / "models" / "real.yaml")  # a link inside the project is read
    (proj / "models" / "real.yaml").write_text(MODEL)
    (proj / "models" / "linked").symlink_to(outside)  # a linked folder is not entered
    os.mkfifo(proj / "models" / "pipe.yaml")
    (proj / "models" / "stdin.yaml").symlink_to("/dev/stdin")
    (proj / "models" / "null.yaml").symlink_to("/dev/null")
    for command in ("validate", "explain"):
        r = run_cli(command, ".", cwd=proj)  # ends (a FIFO would block an open()), stdin is never read
        assert "hunter2" not in r.stdout + r.stderr and "aws_secret" not in r.stdout + r.stderr
        for name in ("evil.yaml", "pipe.yaml", "stdin.yaml", "null.yaml"):
            assert f"warning: './models/{name}' skipped" in r.stderr, r.stderr
    r = run_cli("validate", ".", cwd=proj)
    assert r.returncode == 0 and "./models/in.yaml: ok" in r.stdout and "./models/real.yaml: ok" in r.stdout
    assert "a FIFO (named pipe), not a regular file" in r.stderr and "leaves the project" in r.stderr


def test_a_fifo_or_device_named_on_the_command_line_is_a_finding(tmp_path):
    os.mkfifo(tmp_path / "m.keras")
    os.mkfifo(tmp_path / "m.yaml")
    cases = [("validate", str(tmp_path / "m.yaml")), ("validate", "/dev/zero"), ("export", str(tmp_path / "m.keras")),
             ("export", "/dev/zero"), ("audit", str(tmp_path / "m.keras")), ("audit", "/dev/zero"),
             ("build", str(tmp_path / "m.yaml"))]
    for command, path in cases:
        r = run_cli(command, path)
        assert r.returncode == 2, (command, path, r.stdout + r.stderr)
        out = r.stdout + r.stderr
        assert f"{path}:1:1: error " in out and "not a regular file" in out and "Traceback" not in out, out


# -- settings are confined like files ---------------------------------------------------------------

@pytest.mark.parametrize("settings_file", ["pyproject.toml", "policyfactory.toml"])
def test_a_settings_policy_outside_the_project_is_not_read(tmp_path, settings_file):
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "app.yaml").write_text("kind: policy\nversion: 1\nname: x\napi_key: hunter2\n")
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    table = "[tool.policyfactory]\n" if settings_file == "pyproject.toml" else ""
    (proj / settings_file).write_text(f'{table}policy = "../secret/app.yaml"\n')
    (proj / "m.yaml").write_text(MODEL)
    for command in (["validate", "m.yaml"], ["explain", "m.yaml"], ["config"]):
        r = run_cli(*command, cwd=proj)
        assert r.returncode == 2, r.stdout + r.stderr
        assert f"{settings_file}:{1 + bool(table)}:1: error path-outside-project:" in r.stdout, r.stdout
        assert "api_key" not in r.stdout + r.stderr and "hunter2" not in r.stdout + r.stderr
    r = run_cli("validate", "--allow-outside", "m.yaml", cwd=proj)  # the one way out, on purpose
    assert "path-outside-project" not in r.stdout and "api_key" in r.stdout


# -- no file is lost --------------------------------------------------------------------------------

def test_build_never_replaces_a_trained_model_it_did_not_write(tmp_path):
    """The documented workflow (docs/commands.md, build): export a trained model to YAML, then build the YAML beside it."""
    import keras

    forecaster = os.path.join(EXAMPLES, "forecaster.yaml")
    assert run_cli("build", forecaster, "-o", str(tmp_path / "resnet.keras")).returncode == 0
    trained = keras.saving.load_model(str(tmp_path / "resnet.keras"))  # build's file loads as any .keras file
    trained.save(str(tmp_path / "resnet.keras"))  # "trained", saved by Keras itself
    before = md5(tmp_path / "resnet.keras")
    assert run_cli("export", "resnet.keras", "-o", "resnet.yaml", cwd=tmp_path).returncode == 0
    r = run_cli("build", "resnet.yaml", cwd=tmp_path)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "resnet.keras:1:1: error output-path: exists and was not written by build" in r.stdout
    assert "-o OTHER.keras" in r.stdout and "--overwrite" in r.stdout
    assert md5(tmp_path / "resnet.keras") == before
    (tmp_path / "out").mkdir()  # an -o folder: names build chooses are protected the same way
    trained.save(str(tmp_path / "out" / "resnet.keras"))
    in_folder = md5(tmp_path / "out" / "resnet.keras")
    assert run_cli("build", "resnet.yaml", "-o", "out", cwd=tmp_path).returncode == 2
    assert md5(tmp_path / "out" / "resnet.keras") == in_folder
    # what build wrote itself it rebuilds freely; --overwrite and -o FILE say "replace it" on purpose
    assert run_cli("build", "resnet.yaml", "-o", "fresh.keras", cwd=tmp_path).returncode == 0
    assert run_cli("build", "resnet.yaml", "-o", "fresh.keras", cwd=tmp_path).returncode == 0
    assert run_cli("build", "resnet.yaml", "--overwrite", cwd=tmp_path).returncode == 0
    assert md5(tmp_path / "resnet.keras") != before
    assert "--overwrite" in run_cli("build", "--help").stdout


def test_export_never_writes_over_a_file_it_reads(tmp_path):
    assert run_cli("build", os.path.join(EXAMPLES, "forecaster.yaml"), "-o", str(tmp_path / "m.keras")).returncode == 0
    team = tmp_path / "team.yaml"
    team.write_text("kind: policy\nversion: 1\nname: team\nextends: strict\n")
    before, model = md5(team), md5(tmp_path / "m.keras")
    r = run_cli("export", "m.keras", "-o", "team.yaml", "--policy", "team.yaml", cwd=tmp_path)
    assert r.returncode == 2 and "team.yaml:1:1: error output-path:" in r.stderr and "refusing to overwrite" in r.stderr
    (tmp_path / "sub").mkdir()  # the policy as the output's folder reads it
    (tmp_path / "sub" / "team.yaml").write_text("kind: policy\nversion: 1\nname: team\n")
    sub = md5(tmp_path / "sub" / "team.yaml")
    r = run_cli("export", "m.keras", "-o", "sub/team.yaml", "--policy", "team.yaml", cwd=tmp_path)
    assert r.returncode == 2 and "refusing to overwrite" in r.stderr
    assert md5(team) == before and md5(tmp_path / "sub" / "team.yaml") == sub and md5(tmp_path / "m.keras") == model


def test_two_inputs_that_would_write_one_output_are_refused_before_anything_is_written(tmp_path):
    (tmp_path / "a.yaml").write_text(MODEL)
    (tmp_path / "a.yml").write_text(MODEL)
    r = run_cli("build", "a.yaml", "a.yml", cwd=tmp_path)
    assert r.returncode == 2 and "would both write a.keras" in r.stderr
    assert sorted(os.listdir(tmp_path)) == ["a.yaml", "a.yml"]


def test_temporary_files_of_other_runs_and_users_are_never_removed(tmp_path):
    dead = subprocess.Popen(["true"])
    dead.wait()
    theirs = tmp_path / f".policyfactory-{dead.pid}-notes.keras"  # a dead process id, yet not ours to delete
    theirs.write_bytes(b"someone's file")
    r = run_cli("graph", os.path.join(EXAMPLES, "forecaster.yaml"), "-o", str(tmp_path / "g.dot"))
    assert r.returncode == 0 and (tmp_path / "g.dot").exists()
    assert theirs.read_bytes() == b"someone's file"
    assert sorted(os.listdir(tmp_path)) == sorted([theirs.name, "g.dot"])  # and none of ours is left


def test_an_output_that_is_not_a_regular_file_is_refused_not_replaced(tmp_path):
    (tmp_path / "m.yaml").write_text(MODEL)
    os.mkfifo(tmp_path / "out.keras")
    os.mkfifo(tmp_path / "m.keras")  # the default output, beside the model
    os.mkfifo(tmp_path / "out.yaml")
    os.mkfifo(tmp_path / "g.dot")
    assert run_cli("build", os.path.join(EXAMPLES, "forecaster.yaml"), "-o", str(tmp_path / "x.keras")).returncode == 0
    for command in (["build", "m.yaml", "-o", "out.keras"], ["build", "m.yaml"], ["build", "m.yaml", "--overwrite"],
                    ["export", "x.keras", "-o", "out.yaml"], ["graph", "m.yaml", "-o", "g.dot"]):
        r = run_cli(*command, cwd=tmp_path)
        out = r.stdout + r.stderr
        assert r.returncode == 2 and "is a FIFO (named pipe), not a regular file" in out, (command, out)
    for name in ("out.keras", "m.keras", "out.yaml", "g.dot"):
        assert stat.S_ISFIFO(os.lstat(tmp_path / name).st_mode)


# -- every error is a located finding ---------------------------------------------------------------

def test_a_nul_in_a_policy_or_extends_path_is_a_located_finding(tmp_path):
    (tmp_path / "m.yaml").write_text(MODEL + 'policy: "\\x00"\n')
    (tmp_path / "p.yaml").write_text('kind: policy\nversion: 1\nname: p\nextends: "a\\x00b"\n')
    for extra in ([], ["--allow-outside"]):
        r = run_cli("validate", *extra, "m.yaml", "p.yaml", cwd=tmp_path, env={"POLICYFACTORY_DEBUG": ""})
        assert r.returncode == 2 and "internal error" not in r.stderr, r.stdout + r.stderr
        assert "m.yaml:5:9: error policy-unknown: policy: '\\x00' contains a NUL character" in r.stdout
        assert "p.yaml:4:10: error policy-unknown: extends: 'a\\x00b' contains a NUL character" in r.stdout


@pytest.mark.parametrize("full", ["stdout", "stderr", "both"])
@pytest.mark.parametrize("command", [["validate", "corpus"], ["validate", "--exit-zero", "corpus"], ["rules"],
                                     ["validate", "--help"], ["export", "missing.keras"]])
def test_an_output_that_cannot_be_written_ends_with_exit_2_and_no_traceback(tmp_path, full, command):
    """A full disk on stdout or stderr is neither 'policy findings' (1) nor an internal error nor success."""
    (tmp_path / "corpus").mkdir()
    for i in range(60):  # enough findings to fill a buffer while the command runs, not only at exit
        (tmp_path / "corpus" / f"m{i}.yaml").write_text(MODEL.replace("units: 2", "units: 2, kernel_initializer: "
                                                                                  "{shared: nowhere}"))
    env = {**os.environ, "POLICYFACTORY_DEBUG": ""}
    with open("/dev/full", "w") as dev_full, open(tmp_path / "seen.txt", "w+") as seen:  # the real CLI, as a process
        r = subprocess.run([sys.executable, "-m", "policyfactory", *command], cwd=tmp_path, env=env, timeout=120,
                           stdout=seen if full == "stderr" else dev_full,
                           stderr=seen if full == "stdout" else dev_full)
        seen.seek(0)
        text = seen.read()
    quiet_on_stderr = command in (["rules"], ["validate", "--help"])  # nothing to write there: nothing fails
    assert r.returncode == (0 if full == "stderr" and quiet_on_stderr else 2), (r.returncode, text)
    assert "Traceback" not in text and "internal error" not in text and "Exception ignored" not in text, text
    if full == "stdout" and command != ["export", "missing.keras"]:
        assert "policyfactory: error: cannot write standard output: No space left on device" in text, text


def test_export_checks_its_arguments_and_refuses_endless_inputs(tmp_path):
    import policyfactory as pf

    assert run_cli("build", os.path.join(EXAMPLES, "forecaster.yaml"), "-o", str(tmp_path / "m.keras")).returncode == 0
    cyclic: dict = {"kind": "policy"}
    cyclic["extends"] = cyclic
    with pytest.raises(TypeError, match="policy= takes a built-in name or a path"):
        pf.export(str(tmp_path / "m.keras"), policy=cyclic)
    with pytest.raises(TypeError, match="seed= takes a whole number"):
        pf.export(str(tmp_path / "m.keras"), seed="7")
    for endless in ("/dev/zero", "/dev/urandom"):
        with pytest.raises(pf.InvalidInput, match="not a regular file"):
            pf.export(endless)
    os.mkfifo(tmp_path / "pipe.keras")
    with pytest.raises(pf.InvalidInput, match="is a FIFO"):
        pf.export(str(tmp_path / "pipe.keras"))
