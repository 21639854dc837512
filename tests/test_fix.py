"""`validate --fix` and `--diff`, through the real command line on real files.

What has one safe answer is repaired (a unique did-you-mean name, a denied `{shared:}` group written inline), the
rest of the file stays byte for byte as written, and a file with nothing to fix is never written.
"""

import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT

from policyfactory.cli import main

HEAD = "kind: model\nversion: 1\nname: m\npolicy: strict\ninput: {shape: [8]}\n"


@pytest.fixture
def cli(tmp_path, monkeypatch, capsys):
    """cli(*args) -> (exit code, stdout, stderr), run by `main()` in a folder of its own (no project settings)."""
    monkeypatch.chdir(tmp_path)

    def run(*args):
        code = main(list(args))
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def put(tmp_path, name, text):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    os.utime(path, (1_000_000_000, 1_000_000_000))  # an old mtime: a write would change it
    return path


TYPOS = HEAD + """layers:
  # the encoder
  - {type: Dens, units: 4, kernel_initializer: he_normall}   # first
  - type: Dense
    unit: 3                     # a misspelt argument
    kernel_initializer: {class_name: 'HeNormal', config: {sed: 3}}
    bias_regularizer: {class_name: "L22"}
"""

TYPOS_FIXED = HEAD + """layers:
  # the encoder
  - {type: Dense, units: 4, kernel_initializer: he_normal}   # first
  - type: Dense
    units: 3                     # a misspelt argument
    kernel_initializer: {class_name: 'HeNormal', config: {seed: 3}}
    bias_regularizer: {class_name: "L2"}
"""


def test_unique_typos_of_layer_types_arguments_and_component_classes_are_fixed_in_place(cli, tmp_path):
    path = put(tmp_path, "model.yaml", TYPOS)
    code, out, err = cli("validate", "--fix", str(path))
    # every byte but the names is kept: comments, key order, quoting, spacing; the initializer typo that the
    # layer type hid is fixed in a second round
    assert path.read_text() == TYPOS_FIXED
    assert f"fixed 5 problems in {path}" in err
    assert code == 0 and f"{path}: ok, model 'm'" in out


SHARED = HEAD + """seed: 7
shared:
  he:
    initializer: HeNormal   # the tied one
  once: {regularizer: {class_name: L2, config: {l2: 0.01}}}
layers:
  - {type: Dense, name: a, units: 4, kernel_initializer: {shared: he}, kernel_regularizer: {shared: once}}
  - type: Dense
    name: b
    units: 4
    kernel_initializer:
      shared: he   # second use
"""

SHARED_FIXED = HEAD + """seed: 7
shared:
  once: {regularizer: {class_name: L2, config: {l2: 0.01}}}
layers:
  - {type: Dense, name: a, units: 4, kernel_initializer: HeNormal, kernel_regularizer: {shared: once}}
  - type: Dense
    name: b
    units: 4
    kernel_initializer: HeNormal   # second use
"""


def test_a_denied_shared_group_becomes_fresh_inline_components_and_its_declaration_goes(cli, tmp_path):
    path = put(tmp_path, "model.yaml", SHARED)
    code, out, err = cli("validate", "--fix", str(path))
    # `once` is used by one slot (no group): it stays, and so does `shared:`
    assert path.read_text() == SHARED_FIXED
    assert f"fixed 1 problem in {path}" in err and code == 0


def test_the_last_declaration_takes_shared_with_it_and_a_mapping_is_copied_as_written(cli, tmp_path):
    text = HEAD + """shared:
  l2: {regularizer: {class_name: L2, config: {l2: 0.01}}}
  norm:
    constraint:
      class_name: UnitNorm
      config: {axis: 0}
layers:
  - {type: Dense, units: 4, kernel_regularizer: {shared: l2}, kernel_constraint: {shared: norm}}
  - {type: Dense, units: 4, kernel_regularizer: {shared: l2}, kernel_constraint: {shared: norm}}
"""
    path = put(tmp_path, "model.yaml", text)
    code, _, err = cli("validate", "--fix", str(path))
    assert path.read_text() == HEAD + """layers:
  - {type: Dense, units: 4, kernel_regularizer: {class_name: L2, config: {l2: 0.01}}, kernel_constraint: {class_name: UnitNorm, config: {axis: 0}}}
  - {type: Dense, units: 4, kernel_regularizer: {class_name: L2, config: {l2: 0.01}}, kernel_constraint: {class_name: UnitNorm, config: {axis: 0}}}
"""  # noqa: E501
    assert code == 0 and "fixed 2 problems" in err


def test_a_second_run_changes_nothing_and_the_fixed_file_validates(cli, tmp_path):
    path = put(tmp_path, "model.yaml", SHARED)
    cli("validate", "--fix", str(path))
    fixed = path.read_bytes()
    os.utime(path, (1_000_000_000, 1_000_000_000))
    code, out, err = cli("validate", "--fix", str(path))
    assert path.read_bytes() == fixed and os.stat(path).st_mtime == 1_000_000_000
    assert code == 0 and "fixed " not in err
    assert cli("validate", str(path))[0] == 0


AMBIGUOUS = HEAD + "layers:\n  - {type: Conv, filters: 4, kernel_size: 3}   # Conv1D? Conv2D? Conv3D?\n"


def test_a_file_with_nothing_safely_fixable_is_not_written(cli, tmp_path):
    path = put(tmp_path, "model.yaml", AMBIGUOUS)
    code, out, err = cli("validate", "--fix", str(path))
    assert path.read_bytes() == AMBIGUOUS.encode() and os.stat(path).st_mtime == 1_000_000_000
    assert code == 2 and "unknown-layer-type" in out and "fixed " not in err
    clean = put(tmp_path, "clean.yaml", HEAD + "layers:\n  - {type: Dense, units: 4}\n")
    assert cli("validate", "--fix", str(clean))[0] == 0
    assert os.stat(clean).st_mtime == 1_000_000_000


def test_an_ambiguous_typo_keeps_its_suggestion_and_gets_no_fix(cli, tmp_path):
    """Two (here three) names as near as each other: the message still suggests one, --fix leaves it."""
    from policyfactory.core.validate import check_path

    (finding,) = check_path(str(put(tmp_path, "model.yaml", AMBIGUOUS))).findings
    assert "did you mean" in finding.message and finding.fix is None
    (unique,) = check_path(str(put(tmp_path, "one.yaml", HEAD + "layers:\n  - {type: LSTMM, units: 4}\n"))).findings
    assert unique.fix is not None and unique.fix.new == "LSTM"
    assert "fix" not in unique.as_json()  # JSON output is as it was


def test_diff_shows_the_change_and_writes_nothing(cli, tmp_path):
    path = put(tmp_path, "model.yaml", TYPOS)
    code, out, err = cli("validate", "--diff", str(path))
    assert path.read_text() == TYPOS and os.stat(path).st_mtime == 1_000_000_000
    assert code == 1  # ruff's --diff: 1 when something would be fixed
    assert out.startswith(f"--- {path}\n+++ {path}\n@@ ")
    assert "-  - {type: Dens, units: 4, kernel_initializer: he_normall}   # first\n" in out
    assert "+  - {type: Dense, units: 4, kernel_initializer: he_normal}   # first\n" in out
    assert "unknown-layer-type" not in out and f"would fix 5 problems in {path}" in err
    code, out, _ = cli("validate", "--diff", str(put(tmp_path, "ambiguous.yaml", AMBIGUOUS)))
    assert (code, out) == (0, "")  # nothing to fix: 0, whatever else is wrong


def test_a_fix_that_would_make_a_new_finding_is_withheld(cli, tmp_path):
    """Dens -> Dense would show that Dense refuses units: -1: a finding the file does not have now."""
    text = HEAD + "layers:\n  - {type: Dens, units: -1}\n"
    path = put(tmp_path, "model.yaml", text)
    code, out, err = cli("validate", "--fix", str(path))
    assert path.read_text() == text and os.stat(path).st_mtime == 1_000_000_000
    assert "fixes withheld" in err and "argument-value" in err
    assert code == 2 and "unknown-layer-type" in out


def test_a_shared_initializer_with_an_explicit_seed_has_no_one_answer(cli, tmp_path):
    """Copies would keep seed 3 (and the group); which one drops it is the user's choice."""
    text = HEAD + """shared:
  he: {initializer: {class_name: HeNormal, config: {seed: 3}}}
layers:
  - {type: Dense, units: 4, kernel_initializer: {shared: he}}
  - {type: Dense, units: 4, kernel_initializer: {shared: he}}
"""
    path = put(tmp_path, "model.yaml", text)
    code, out, _ = cli("validate", "--fix", str(path))
    assert path.read_text() == text and code == 1 and "sharing-violation" in out


def test_a_policy_file_s_typos_are_fixed_too(cli, tmp_path):
    text = ("kind: policy\nversion: 1\nname: mine\nextends: strict\nrules:\n  - id: tie\n    component: initializer\n"
            "    layers: [Dens]   # ours\n    classes: ['HeNormall']\n    roles: [kernel]\n    share: allow\n"
            "    reason: on purpose\n")
    path = put(tmp_path, "policy.yaml", text)
    code, _, err = cli("validate", "--fix", str(path))
    assert path.read_text() == text.replace("[Dens]", "[Dense]").replace("'HeNormall'", "'HeNormal'")
    assert code == 0 and "fixed 2 problems" in err


def test_a_rule_left_out_by_ignore_is_not_fixed(cli, tmp_path):
    path = put(tmp_path, "model.yaml", SHARED)
    code, _, _ = cli("validate", "--fix", "--ignore", "sharing-violation", str(path))
    assert path.read_text() == SHARED and code == 0


def test_fix_and_diff_are_one_or_the_other(cli, tmp_path):
    path = put(tmp_path, "model.yaml", TYPOS)
    code, _, err = cli("validate", "--fix", "--diff", str(path))
    assert code == 2 and "--fix and --diff" in err and path.read_text() == TYPOS


def test_fix_of_standard_input_prints_the_fixed_text_and_reports_on_stderr(tmp_path):
    """As ruff does: the fixed text on stdout (for editors), the findings that remain on stderr."""
    text = HEAD + "layers:\n  - {type: Dens, units: 4}   # first\n  - {type: Conv, filters: 2, kernel_size: 3}\n"
    env = {**os.environ, "PYTHONPATH": ROOT}
    r = subprocess.run([sys.executable, "-m", "policyfactory", "validate", "--fix", "-", "--stdin-filename", "m.yaml"],
                       input=text, capture_output=True, text=True, cwd=tmp_path, env=env)
    assert r.stdout == text.replace("Dens,", "Dense,")
    assert "fixed 1 problem in m.yaml" in r.stderr and "m.yaml:8:12: error unknown-layer-type" in r.stderr
    assert r.returncode == 2
    r = subprocess.run([sys.executable, "-m", "policyfactory", "validate", "--fix", "-", "m.yaml"], input="",
                       capture_output=True, text=True, cwd=tmp_path, env=env)
    assert r.returncode == 2 and "standard input ('-') alone" in r.stderr


def test_json_output_after_a_fix_is_what_validate_reports_on_the_fixed_file(cli, tmp_path):
    text = HEAD + "layers:\n  - {type: Dens, units: 4}\n  - {type: Conv, filters: 2, kernel_size: 3}\n"
    path = put(tmp_path, "model.yaml", text)
    code, out, err = cli("validate", "--fix", "--format", "json", str(path))
    assert [(f["rule"], f["line"]) for f in json.loads(out)["findings"]] == [("unknown-layer-type", 8)]
    assert code == 2 and "fixed 1 problem" in err and path.read_text() == text.replace("Dens,", "Dense,")


def test_line_endings_a_byte_order_mark_and_a_linked_file_are_kept(cli, tmp_path):
    text = "\ufeff" + (HEAD + "shared:\n  he:\n    initializer: HeNormal\nlayers:\n"
                       "  - {type: Densee, units: 4, kernel_initializer: {shared: he}}\n"
                       "  - {type: Dense, units: 4, kernel_initializer: {shared: he}}\n").replace("\n", "\r\n")
    path = put(tmp_path, "model.yaml", text)
    link = tmp_path / "link.yaml"
    link.symlink_to("model.yaml")
    code, _, err = cli("validate", "--fix", str(link))
    assert path.read_bytes().decode("utf-8") == "\ufeff" + (
        HEAD + "layers:\n  - {type: Dense, units: 4, kernel_initializer: HeNormal}\n"
               "  - {type: Dense, units: 4, kernel_initializer: HeNormal}\n").replace("\n", "\r\n")
    assert link.is_symlink() and code == 0 and "fixed 2 problems" in err
