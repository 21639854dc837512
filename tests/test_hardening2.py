"""Hardening II: nothing outside the project is read or echoed, no input is overwritten, costs stay bounded,
every bad input is a finding (never a traceback) in every format, and the Python API checks its arguments."""

import hashlib
import json
import os

import pytest
from conftest import EXAMPLES, run_cli, without_keras

import policyfactory as pf

FORMATS = ("text", "json", "sarif", "github")
MODEL_HEAD = "kind: model\nversion: 1\n"


def project(tmp_path):
    """A project folder (pyproject.toml marks its root) with a models/ folder."""
    (tmp_path / "proj" / "models").mkdir(parents=True)
    (tmp_path / "proj" / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    return tmp_path / "proj"


def md5(path):
    return hashlib.md5(open(path, "rb").read()).hexdigest()


# -- confinement ------------------------------------------------------------------------------------

@pytest.mark.parametrize("ref", ["/etc/passwd", "../../../../../../etc/passwd", "link.yaml"])
def test_a_policy_path_outside_the_project_is_not_read(tmp_path, ref):
    proj = project(tmp_path)
    (proj / "models" / "link.yaml").symlink_to("/etc/passwd")
    model = proj / "models" / "m.yaml"
    model.write_text(MODEL_HEAD + f"policy: {ref}\ninput: {{shape: [4]}}\nlayers: [{{type: Dense, units: 2}}]\n")
    for fmt in FORMATS:
        r = run_cli("validate", "--format", fmt, str(model))
        assert r.returncode == 2, r.stdout + r.stderr
        assert "path-outside-project" in r.stdout and "root:" not in r.stdout + r.stderr
    r = run_cli("validate", str(model))
    assert f"{model}:3:9: error path-outside-project:" in r.stdout


def test_extends_outside_the_project_is_not_read_unless_allowed(tmp_path):
    proj = project(tmp_path)
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text("kind: policy\nversion: 1\nname: far\n")
    policy = proj / "p.yaml"
    policy.write_text(f"kind: policy\nversion: 1\nname: near\nextends: {outside}\n")
    r = run_cli("validate", str(policy))
    assert r.returncode == 2 and "path-outside-project" in r.stdout
    assert run_cli("validate", "--allow-outside", str(policy)).returncode == 0


def test_a_file_that_is_not_a_policy_is_named_so_and_never_echoed(tmp_path):
    proj = project(tmp_path)
    (proj / "secrets.yaml").write_text("password: hunter2\ntoken: s3cr3t\n")
    model = proj / "m.yaml"
    model.write_text(MODEL_HEAD + "policy: secrets.yaml\ninput: {shape: [4]}\nlayers: [{type: Dense, units: 2}]\n")
    policy = proj / "p.yaml"
    policy.write_text("kind: policy\nversion: 1\nname: p\nextends: secrets.yaml\n")
    for path in (model, policy):
        for fmt in FORMATS:
            r = run_cli("validate", "--format", fmt, str(path))
            out = r.stdout + r.stderr
            assert r.returncode == 2 and "not a policy file" in out
            assert "hunter2" not in out and "password" not in out and "s3cr3t" not in out


@pytest.mark.parametrize("value", ["/etc/shadow", "/dev/zero", "/dev/urandom"])
def test_a_vocabulary_path_is_refused_and_never_opened(write, tmp_path, value):
    path = write("m.yaml", MODEL_HEAD + "input: {shape: [1], dtype: string}\n"
                           f"layers: [{{type: StringLookup, vocabulary: {value}}}]\n")
    r = run_cli("build", path, "-o", str(tmp_path / "out.keras"))
    assert r.returncode == 2 and "file-path-argument" in r.stdout and not (tmp_path / "out.keras").exists()
    inline = write("ok.yaml", MODEL_HEAD + "input: {shape: [1], dtype: string}\n"
                              "layers: [{type: StringLookup, vocabulary: [cat, dog]}]\n")
    assert pf.validate(inline) == []


def test_a_long_extends_chain_is_a_finding_not_a_recursion_error(tmp_path):
    proj = project(tmp_path)
    for i in range(500):
        extends = f"extends: p{i + 1}.yaml\n" if i < 499 else ""
        (proj / f"p{i}.yaml").write_text(f"kind: policy\nversion: 1\nname: p{i}\n{extends}")
    r = run_cli("validate", str(proj / "p0.yaml"))
    assert r.returncode == 2 and "more than 16 policies in one extends chain" in r.stdout
    assert "Traceback" not in r.stderr


# -- no data loss -----------------------------------------------------------------------------------

def test_build_never_overwrites_its_input(tmp_path):
    yaml_named_keras = tmp_path / "model.keras"  # a YAML model file that happens to end in .keras
    yaml_named_keras.write_text(open(os.path.join(EXAMPLES, "functional.yaml")).read())
    before = md5(yaml_named_keras)
    for extra in ([], ["-o", str(yaml_named_keras)], ["-o", os.path.relpath(yaml_named_keras)]):
        r = run_cli("build", str(yaml_named_keras), *extra)
        assert r.returncode == 2 and "refusing to overwrite it" in r.stdout, r.stdout + r.stderr
        assert md5(yaml_named_keras) == before


def test_an_output_symlink_or_directory_is_refused_and_its_target_untouched(tmp_path):
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    os.chmod(target, 0o600)
    link = tmp_path / "out.keras"
    link.symlink_to(target)
    r = run_cli("build", os.path.join(EXAMPLES, "regularized.yaml"), "-o", str(link))
    assert r.returncode == 2 and "symbolic link" in r.stdout
    assert target.read_text() == "keep me" and os.stat(target).st_mode & 0o777 == 0o600 and link.is_symlink()
    (tmp_path / "d.keras").mkdir()
    r = run_cli("build", os.path.join(EXAMPLES, "regularized.yaml"), "-o", str(tmp_path / "d.keras"))
    assert r.returncode == 2 and "is a directory" in r.stdout


def test_graph_output_errors_are_findings(tmp_path):
    forecaster = os.path.join(EXAMPLES, "forecaster.yaml")
    (tmp_path / "dir.dot").mkdir()
    assert "is a directory" in run_cli("graph", forecaster, "-o", str(tmp_path / "dir.dot")).stdout
    r = run_cli("graph", forecaster, "-o", "/proc/policyfactory.dot")
    assert r.returncode == 2 and "output-path" in r.stdout and "Traceback" not in r.stderr
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "dot").write_text("#!/bin/sh\necho 'syntax error in line 1' >&2\nexit 1\n")
    os.chmod(fake / "dot", 0o755)
    r = run_cli("graph", forecaster, "-o", str(tmp_path / "g.svg"), env={"PATH": f"{fake}:{os.environ['PATH']}"})
    assert r.returncode == 2 and "Graphviz 'dot -Tsvg' failed: syntax error in line 1" in r.stdout
    assert not (tmp_path / "g.svg").exists()


# -- bounded cost (times are measured in benchmarks/bench_hardening.py) ---------------------------------

def test_one_alias_of_a_megabyte_string_as_3000_names_is_bounded(tmp_path):
    path = tmp_path / "alias.yaml"
    with open(path, "w") as fh:
        fh.write(MODEL_HEAD + "input: {shape: [4]}\nlayers:\n")
        fh.write('  - {type: Dense, units: 1, name: &n "' + "x" * 1_000_000 + '"}\n')
        fh.writelines("  - {type: Dense, units: 1, name: *n}\n" for _ in range(3000))
    r = run_cli("validate", "--max-bytes", "2000000", str(path))
    assert r.returncode == 2 and "alias expansion limit" in r.stdout
    assert len(r.stdout) + len(r.stderr) < 1_000_000


def test_many_unknown_references_get_short_findings(tmp_path):
    path = tmp_path / "refs.yaml"
    with open(path, "w") as fh:
        fh.write(MODEL_HEAD + "inputs: {a: {shape: [4]}}\nlayers:\n")
        fh.writelines(f"  - {{type: Dense, units: 1, name: d{i}, inputs: [missing_{i}]}}\n" for i in range(4000))
    r = run_cli("validate", str(path))
    assert r.returncode == 2 and r.stdout.count("unknown-reference") == 4000
    assert len(r.stdout) < 1_000_000


def test_a_huge_layer_is_a_finding_before_anything_is_allocated(write, tmp_path):
    path = write("m.yaml", MODEL_HEAD + "input: {shape: [4]}\nlayers: [{type: Dense, units: 10000000000}]\n")
    r = run_cli("build", path, "-o", str(tmp_path / "out.keras"))
    assert r.returncode == 2 and "limit-params" in r.stdout and "50,000,000,000 weights" in r.stdout
    assert run_cli("validate", "--max-params", "100000000000", path).returncode == 0


@pytest.mark.parametrize("flag", [["--max-bytes", "100000000000000"], ["--max-bytes", "-1"], ["--max-params", "x"]])
def test_limits_on_the_command_line_are_checked(flag):
    r = run_cli("validate", *flag, os.path.join(EXAMPLES, "forecaster.yaml"))
    assert r.returncode == 2 and "Traceback" not in r.stderr and "expected" in r.stderr


# -- every bad value is a finding, in every format -----------------------------------------------------

BAD = {
    "digits.yaml": (MODEL_HEAD + "input: {shape: [4]}\nlayers: [{type: Dense, units: " + "9" * 5000 + "}]\n",
                    "limit-number", 4),
    "hexseed.yaml": (MODEL_HEAD + "seed: 0x" + "f" * 5000 + "\ninput: {shape: [4]}\nlayers: [{type: Dense, units: 1}]\n",
                     "limit-number", 3),
    "dtype.yaml": (MODEL_HEAD + "input: {shape: [4], dtype: notadtype}\nlayers: [{type: Dense, units: 1}]\n",
                   "argument-value", 3),
    "shape.yaml": (MODEL_HEAD + "input: {shape: [-4]}\nlayers: [{type: Dense, units: 1}]\n", "argument-value", 3),
    "slash.yaml": (MODEL_HEAD + "name: a/b\ninput: {shape: [4]}\nlayers: [{type: Dense, units: 1}]\n", "name-invalid", 3),
    "input_name.yaml": (MODEL_HEAD + "input: {shape: [4]}\nlayers: [{type: Dense, units: 1, name: input}]\n",
                        "duplicate-layer-name", 4),
    "nul.yaml": (MODEL_HEAD + 'input: {shape: [4]}\nlayers: [{type: Dense, units: 1, name: "a\\0b"}]\n',
                 "name-invalid", 4),
    "units0.yaml": (MODEL_HEAD + "input: {shape: [4]}\nlayers: [{type: Dense, units: 0}]\n", "argument-value", 4),
    "dropout.yaml": (MODEL_HEAD + "input: {shape: [4]}\nlayers: [{type: Dropout, rate: 5}]\n", "argument-value", 4),
    "mode.yaml": (MODEL_HEAD + "input: {shape: [4]}\nlayers: [{type: Dense, units: 1, kernel_initializer: "
                  "{class_name: VarianceScaling, config: {mode: bad}}}]\n", "argument-value", 4),
    "gain.yaml": (MODEL_HEAD + "input: {shape: [4]}\nlayers: [{type: Dense, units: 1, kernel_initializer: "
                  "{class_name: Orthogonal, config: {gain: .inf}}}]\n", "argument-value", 4),
    "nan.yaml": (MODEL_HEAD + "input: {shape: [4]}\nlayers: [{type: LayerNormalization, epsilon: .nan}]\n",
                 "argument-value", 4),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_each_bad_value_is_a_finding_in_every_format(tmp_path, name):
    text, rule, line = BAD[name]
    path = tmp_path / name
    path.write_text(text)
    for fmt in FORMATS:
        r = run_cli("validate", "--format", fmt, str(path))
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stdout + r.stderr
        if fmt == "json":
            assert (rule, line) in [(f["rule"], f["line"]) for f in json.loads(r.stdout)["findings"]]
        if fmt == "sarif":
            json.loads(r.stdout)
    assert run_cli("build", str(path), "-o", str(tmp_path / "o.keras")).returncode == 2
    refused = run_cli("build", "--exit-zero", str(path), "-o", str(tmp_path / "o.keras"))
    assert refused.returncode == 2 and "--exit-zero" in refused.stderr  # build has no report-only mode
    assert not (tmp_path / "o.keras").exists()


def test_smaller_input_problems_read_well(write):
    def one(text):
        r = run_cli("validate", write("f.yaml", text))
        return r.returncode, r.stdout.strip().splitlines()
    code, lines = one(MODEL_HEAD + 'name: "a\x01b"\n')
    assert code == 2 and len(lines) == 1 and ":3:9: error yaml-syntax: control character \\x01 (U+0001)" in lines[0]
    code, lines = one(MODEL_HEAD + "<<: {a: 1}\n<<: {b: 2}\n")
    assert code == 2 and ":4:1: error yaml-duplicate-key: a second '<<' merge key" in lines[0]
    code, lines = one(MODEL_HEAD + "input: {shape: [4]}\nlayers: [{type: Dense, units: 1}]\n\"\\e[31mred\": 1\n")
    assert code == 2 and "unknown key '\\x1b[31mred'" in "\n".join(lines) and "\x1b" not in "\n".join(lines)
    code, lines = one(MODEL_HEAD + "input: {shape: [4]}\nlayers: [{type: Dense, units: 1}]\nnull: 2\n")
    assert code == 2 and ":5:1: error yaml-key: mapping keys must be strings, got null" in lines[0]
    path = write("u16.yaml", "")
    open(path, "wb").write((MODEL_HEAD + "input: {shape: [4]}\n").encode("utf-16"))
    r = run_cli("validate", path)
    assert r.returncode == 2 and "UTF-16 or UTF-32 encoded: save it as UTF-8" in r.stdout


def test_a_policy_can_forbid_suppressions(tmp_path):
    proj = project(tmp_path)
    (proj / "base.yaml").write_text("kind: policy\nversion: 1\nname: base\nallow_suppressions: false\n")
    (proj / "child.yaml").write_text("kind: policy\nversion: 1\nname: child\nextends: base.yaml\n"
                                     "allow_suppressions: true\n")  # cannot loosen what it extends
    src = open(os.path.join(EXAMPLES, "shared_he_normal.yaml")).read().replace("policy: strict", "policy: child.yaml")
    allow = ("allow:\n  - rule: sharing-violation\n    reason: tied on purpose\n")
    model = proj / "m.yaml"
    model.write_text(src + allow)
    r = run_cli("validate", "--format", "json", str(model))
    rules = sorted(f["rule"] for f in json.loads(r.stdout)["findings"])
    assert r.returncode == 1 and rules == ["allow-not-permitted", "sharing-violation"]


# -- the Python API checks its arguments ------------------------------------------------------------------

def test_python_api_wrong_types_raise_clear_errors():
    with pytest.raises(TypeError, match="validate takes a path or a mapping"):
        pf.validate(None)
    with pytest.raises(TypeError, match="audit takes a keras.Model"):
        pf.audit(None)
    with pytest.raises(TypeError, match="build_model takes a path or a mapping"):
        pf.build_model(3)
    with pytest.raises(TypeError, match="policy= takes"):
        pf.validate(os.path.join(EXAMPLES, "forecaster.yaml"), policy=3)
    with pytest.raises(TypeError):
        pf.LayerFactory(seed="7")
    with pytest.raises(TypeError):
        pf.load_policy(None)
    cyclic = {"kind": "model", "version": 1}
    cyclic["layers"] = [cyclic]
    (f,) = pf.validate(cyclic)
    assert f.rule == "schema-value" and "contains itself" in f.message
    with pytest.raises(pf.InvalidInput):
        pf.build_model(cyclic)


def test_build_and_audit_without_keras_say_how_to_install_it(tmp_path):
    env = without_keras(tmp_path)
    for args in (["build", os.path.join(EXAMPLES, "forecaster.yaml"), "-o", str(tmp_path / "o.keras")],
                 ["audit", os.path.join(EXAMPLES, "forecaster.yaml")]):
        r = run_cli(*args, env=env)
        assert r.returncode == 2 and "pip install 'policyfactory[keras]'" in r.stdout, r.stdout + r.stderr
        assert "Traceback" not in r.stderr


# -- the attack pass's findings, each kept fixed ------------------------------------------------------

def test_the_weight_budget_follows_flatten_and_reshape(write):
    path = write("m.yaml", MODEL_HEAD + "input: {shape: [1000, 100]}\nlayers: [{type: Flatten}, {type: Dense, units: 1000}]\n")
    r = run_cli("validate", "--max-params", "1000000", path)
    assert r.returncode == 2 and "limit-params" in r.stdout and "100,001,000 weights" in r.stdout
    reshaped = write("r.yaml", MODEL_HEAD + "input: {shape: [10000000]}\n"
                                "layers: [{type: Reshape, target_shape: [2, 5000000]}, {type: Dense, units: 1000}]\n")
    assert "limit-params" in run_cli("validate", reshaped).stdout


def test_wiring_mistakes_are_findings(write):
    empty = write("e.yaml", MODEL_HEAD + "inputs: {}\nlayers: [{type: Dense, units: 1}]\noutputs: [dense]\n")
    r = run_cli("validate", empty)
    assert r.returncode == 2 and "names no input" in r.stdout
    dropped = write("d.yaml", MODEL_HEAD + "inputs: {dense: {shape: [4]}}\nlayers: [{type: Dense, units: 1}]\n"
                               "outputs: [dense]\n")
    r = run_cli("validate", "--format", "json", dropped)
    (f,) = json.loads(r.stdout)["findings"]
    assert (r.returncode, f["rule"], f["severity"]) == (0, "unreachable-layer", "warning")


@pytest.mark.parametrize("layer", [
    "{type: Dense, units: 2, kernel_regularizer: {class_name: L2, config: {l2: -1}}}",
    "{type: LeakyReLU, negative_slope: -1}",
    "{type: RepeatVector, n: 0}",
    "{type: Dense, units: 2, dtype: int8}",
    "{type: Dense, units: 2, kernel_initializer: {class_name: Orthogonal, config: {gain: 1.0e308}}}",
    "{type: Dense, units: 2, kernel_initializer: {class_name: GlorotUniform, config: {seed: 9223372036854775808}}}",
    "{type: Permute, dims: [1, 1]}",
    "{type: Conv1D, filters: 3, kernel_size: 1, groups: 2}",
])
def test_values_keras_would_refuse_are_findings_before_build(write, tmp_path, layer):
    path = write("m.yaml", MODEL_HEAD + f"input: {{shape: [4, 4]}}\nlayers:\n  - {layer}\n")
    r = run_cli("build", path, "-o", str(tmp_path / "o.keras"))
    assert r.returncode == 2 and "argument-value" in r.stdout and "keras-error" not in r.stdout, r.stdout


def test_a_registration_cannot_replace_a_built_in():
    import keras

    class UnitNorm(keras.constraints.Constraint):
        def __call__(self, w):
            return w

    with pytest.raises(ValueError, match="already in the catalog"):
        pf.register_component("constraint", UnitNorm)

    class Dense(keras.layers.Layer):
        pass

    with pytest.raises(ValueError, match="already in the catalog"):
        pf.register_layer(Dense)


def test_a_registration_ends_once_and_cannot_be_reentered():
    import keras

    class HalfNorm2(keras.constraints.Constraint):
        def __call__(self, w):
            return w * 0.5

    reg = pf.register_component("constraint", HalfNorm2)
    with reg:
        assert pf.validate({"kind": "model", "version": 1, "input": {"shape": [4]},
                            "layers": [{"type": "Dense", "units": 2, "kernel_constraint": "HalfNorm2"}]}) == []
    reg.__exit__(None, None, None)  # ending twice changes nothing (no RuntimeError from a used token)
    with pytest.raises(RuntimeError, match="has ended: register it again"), reg:
        pass
    fs = pf.validate({"kind": "model", "version": 1, "input": {"shape": [4]},
                      "layers": [{"type": "Dense", "units": 2, "kernel_constraint": "HalfNorm2"}]})
    assert [f.rule for f in fs] == ["unknown-component-class"]  # gone once it ended


def test_outputs_never_replace_a_policy_file_the_model_reads(tmp_path):
    proj = project(tmp_path)
    (proj / "tied.keras").write_text("kind: policy\nversion: 1\nname: tied\n")  # a policy file with an odd name
    model = proj / "m.yaml"
    model.write_text(MODEL_HEAD + "policy: tied.keras\ninput: {shape: [4]}\nlayers: [{type: Dense, units: 2}]\n")
    before = md5(proj / "tied.keras")
    r = run_cli("build", str(model), "-o", str(proj / "tied.keras"))
    assert r.returncode == 2 and "refusing to overwrite it" in r.stdout and md5(proj / "tied.keras") == before


def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    r = run_cli("validate", str(fifo))
    assert r.returncode == 2 and "is not a regular file" in r.stdout


def test_build_model_checks_strategy_and_policy_types():
    path = os.path.join(EXAMPLES, "forecaster.yaml")
    with pytest.raises(TypeError, match="strategy= takes"):
        pf.build_model(path, strategy=5)
    with pytest.raises(TypeError, match="policy= takes"):
        pf.build_model(path, policy=5)
    with pytest.raises(TypeError, match="name= takes a string"):
        pf.LayerFactory().Dense(2, name=5)
