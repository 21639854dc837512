"""Hostile and broken input: a clear finding and exit 2, nothing run, nothing lost."""

import os

import pytest
from conftest import run_cli

from policyfactory.core.validate import check_path

CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")

# file -> (rule, line): the finding each bad input must produce
EXPECTED = {
    "python_tag.yaml": ("yaml-tag", 5),
    "lambda_layer.yaml": ("layer-not-allowed", 6),
    "module_key.yaml": ("config-module-key", 8),
    "registered_name.yaml": ("config-module-key", 6),
    "billion_laughs.yaml": ("limit-nodes", 7),
    "duplicate_nested.yaml": ("yaml-duplicate-key", 8),
    "duplicate_merge.yaml": ("yaml-duplicate-key", 10),
    "shared_missing.yaml": ("shared-unknown", 8),
    "version_99.yaml": ("schema-value", 3),
    "two_documents.yaml": ("yaml-multiple-documents", 5),
    "empty.yaml": ("yaml-empty", 1),
    "top_level_list.yaml": ("schema-top-level", 2),
    "string_for_number.yaml": ("schema-type", 5),
    "yaml11_name.yaml": ("schema-type", 4),
    "sexagesimal_units.yaml": ("schema-type", 5),
    "octal_units.yaml": ("schema-type", 5),
    "unknown_kind.yaml": ("schema-kind", 2),
    "wrong_kind_shared.yaml": ("shared-wrong-kind", 8),
    "invalid_utf8.yaml": ("yaml-encoding", 3),
    "nul_byte.yaml": ("yaml-encoding", 2),
    "deep_nesting.yaml": ("limit-depth", 5),
    "dropout_rate.yaml": ("argument-value", 6),
    "units_zero.yaml": ("argument-value", 6),
    "name_slash.yaml": ("name-invalid", 6),
    "non_finite.yaml": ("argument-value", 8),
    "long_integer.yaml": ("limit-number", 4),
    "vocabulary_path.yaml": ("file-path-argument", 6),
    "policy_outside.yaml": ("path-outside-project", 4),
    "huge_layer.yaml": ("limit-params", 6),
}


def test_corpus_is_complete():
    assert sorted(EXPECTED) == sorted(f for f in os.listdir(CORPUS) if f.endswith(".yaml"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_bad_input_gives_its_finding(name):
    rule, line = EXPECTED[name]
    findings = check_path(os.path.join(CORPUS, name)).findings
    assert (rule, line) in [(f.rule, f.line) for f in findings], [f.text() for f in findings]
    assert all(f.category == "invalid" for f in findings)


@pytest.mark.parametrize("name", ["python_tag.yaml", "lambda_layer.yaml", "module_key.yaml", "registered_name.yaml"])
@pytest.mark.parametrize("command", ["validate", "build"])
def test_payloads_exit_2_and_never_run(name, command, tmp_path):
    src = open(os.path.join(CORPUS, name), encoding="utf-8").read()
    assert "touch PAYLOAD_MARKER" in src  # each file carries a payload that would create the marker if it ran
    marker = tmp_path / "PAYLOAD_MARKER"
    path = tmp_path / name
    path.write_text(src.replace("PAYLOAD_MARKER", str(marker)), encoding="utf-8")
    args = [command, str(path)] + (["-o", str(tmp_path / "out.keras")] if command == "build" else [])
    r = run_cli(*args, cwd=str(tmp_path))
    assert r.returncode == 2, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    assert not marker.exists() and not (tmp_path / "out.keras").exists()


def test_alias_bomb_exits_2_as_a_whole_process():
    """The process time is measured against the 2 s target in benchmarks/bench_validate_startup.py."""
    path = os.path.join(CORPUS, "billion_laughs.yaml")
    assert os.path.getsize(path) <= 300
    r = run_cli("validate", path)
    assert r.returncode == 2 and "alias expansion limit" in r.stdout


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_cli_errors_are_one_line_each_with_file_line_column(name):
    path = os.path.join(CORPUS, name)
    r = run_cli("validate", path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    for line in r.stdout.strip().splitlines():
        assert line.startswith(f"{path}:") and ": error " in line


def test_missing_file_and_directory_are_findings_not_tracebacks(tmp_path):
    r = run_cli("validate", str(tmp_path / "nope.yaml"), str(tmp_path))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "nope.yaml:1:1: error file-unreadable: no such file" in r.stdout
    # a folder is walked; one with no policy or model files is said to be empty, not an error
    assert f"no policy or model files, Python sources or notebooks found in {tmp_path}" in r.stderr
    (tmp_path / "sub").mkdir()
    r = run_cli("build", str(tmp_path / "sub"))
    assert r.returncode == 0 and "no model files found" in r.stderr


def test_file_size_limit_is_a_finding_and_raisable(write):
    path = write("big.yaml", "kind: policy\nversion: 1\nname: big\ndescription: " + "x" * 5000 + "\n")
    r = run_cli("validate", "--max-bytes", "1000", path)
    assert r.returncode == 2 and "limit-file-size" in r.stdout
    assert run_cli("validate", "--max-bytes", "100000", path).returncode == 0


def test_layer_count_limit(write):
    from policyfactory.core.yamlload import Limits
    body = "kind: model\nversion: 1\ninput: {shape: [2]}\nlayers:\n" + "  - {type: Dense, units: 2}\n" * 30
    path = write("many.yaml", body)
    fs = check_path(path, limits=Limits(max_layers=20)).findings
    assert [f.rule for f in fs] == ["limit-layers"]


def test_refused_build_leaves_an_existing_output_byte_identical(tmp_path):
    out = tmp_path / "existing.keras"
    original = os.urandom(4096)
    out.write_bytes(original)
    for name in ("lambda_layer.yaml", "module_key.yaml"):
        r = run_cli("build", os.path.join(CORPUS, name), "-o", str(out))
        assert r.returncode == 2
        assert out.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["existing.keras"]


def test_registered_component_resolves_by_name_and_unregistered_does_not(write):
    import keras

    import policyfactory as pf

    class HalfNorm(keras.constraints.Constraint):
        def __init__(self, factor=0.5):
            self.factor = factor

        def __call__(self, w):
            return w * self.factor

        def get_config(self):
            return {"factor": self.factor}

    path = write("m.yaml", "kind: model\nversion: 1\ninput: {shape: [4]}\n"
                           "layers: [{type: Dense, units: 2,\n"
                           "          kernel_constraint: {class_name: HalfNorm, config: {factor: 0.25}}}]\n")
    assert [f.rule for f in pf.validate(path)] == ["unknown-component-class"]
    with pf.register_component("constraint", HalfNorm):
        assert pf.validate(path) == []
        model = pf.build_model(path)
    c = model.get_layer("dense").kernel_constraint
    assert type(c) is HalfNorm and c.factor == 0.25
    # the registration was scoped: the shipped catalog and the catalog in force are as before
    assert [f.rule for f in pf.validate(path)] == ["unknown-component-class"]
    from policyfactory.core.catalog import shipped_catalog
    assert shipped_catalog().component("constraint", "HalfNorm") is None


def test_registered_layer_slots_are_read_from_its_constructor(write):
    import keras

    import policyfactory as pf

    class Scale(keras.layers.Layer):
        def __init__(self, scale_initializer="ones", scale_regularizer=None, **kwargs):
            super().__init__(**kwargs)
            self.scale_initializer = keras.initializers.get(scale_initializer)
            self.scale_regularizer = keras.regularizers.get(scale_regularizer)

        def build(self, shape):
            self.scale = self.add_weight(shape=(shape[-1],), initializer=self.scale_initializer,
                                         regularizer=self.scale_regularizer)

        def call(self, x):
            return x * self.scale

    with pf.register_layer(Scale) as lt:
        assert {s.arg: (s.kind, s.role) for s in lt.slots.values()}["scale_initializer"] == ("initializer", "scale")
        f = pf.LayerFactory(seed=1)
        a = f.Scale(scale_initializer="he_normal")
        b = f.Scale(scale_initializer="he_normal")
        assert a.scale_initializer.seed != b.scale_initializer.seed
    with pytest.raises(AttributeError):
        f.Scale


def test_atomic_output_keeps_permissions_and_leaves_nothing_on_failure(tmp_path):
    from policyfactory.core.atomic import atomic_output
    out = tmp_path / "report.txt"
    with atomic_output(str(out)) as tmp:
        open(tmp, "w").write("one")
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask
    os.chmod(out, 0o640)
    with pytest.raises(RuntimeError), atomic_output(str(out)) as tmp:
        open(tmp, "w").write("half")
        raise RuntimeError("interrupted")
    assert out.read_text() == "one" and out.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["report.txt"]
