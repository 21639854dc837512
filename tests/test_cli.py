"""The command line as a user meets it: quiet TensorFlow, one line per finding."""

import os

from conftest import EXAMPLES, run_cli


def test_build_prints_no_tensorflow_start_up_lines(tmp_path):
    env = {"TF_CPP_MIN_LOG_LEVEL": ""}  # as a user's shell has it: nothing set
    r = run_cli("build", os.path.join(EXAMPLES, "forecaster.yaml"), "-o", str(tmp_path / "f.keras"), env=env)
    assert r.returncode == 0 and (tmp_path / "f.keras").exists()
    assert r.stderr.strip() == "", r.stderr
    # a real error still reaches stderr: the summary line of a refused build
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: model\nversion: 1\ninput: {shape: [4]}\nlayers:\n  - {type: Reshape, target_shape: [3]}\n")
    r = run_cli("build", str(bad), "-o", str(tmp_path / "b.keras"), env=env)
    assert r.returncode == 2 and "not built, nothing written" in r.stderr
    assert "absl" not in r.stderr and "cuda" not in r.stderr.lower()
    assert "keras-error" in r.stdout and "\\x1b" not in r.stdout  # Keras's terminal colours are stripped
