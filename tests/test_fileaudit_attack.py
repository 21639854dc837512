"""Found while using the file audit as a new user and as an attacker, on real models.

Each test builds real models with the real Keras (and keras_hub), saves them, and
audits the files through the real command line.
"""

import zipfile

import keras
import pytest
from conftest import run_cli


@pytest.mark.parametrize("text, what", [("[]", "array"), ("1", "number"), ("null", "null"), ('"x"', "string")])
def test_a_config_that_is_not_a_json_object_is_invalid_input(tmp_path, text, what):
    inp = keras.Input((32,))
    keras.Model(inp, keras.layers.Dense(32, name="a")(inp)).save(tmp_path / "real.keras")
    path = tmp_path / "m.keras"
    with zipfile.ZipFile(tmp_path / "real.keras") as src, zipfile.ZipFile(path, "w") as out:
        for info in src.infolist():
            out.writestr(info, text if info.filename == "config.json" else src.read(info))
    r = run_cli("audit", str(path))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stdout.splitlines()[0] == (f"{path}:1:1: error audit-load: config.json holds a JSON {what}, not the "
                                        f"object Keras writes: not a Keras model file")
