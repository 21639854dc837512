"""Python sources and notebooks judged by `validate` without running them (issue: Python sources).

Every case goes through the real CLI (`python -m policyfactory validate ... --format json`)
on real files; the assertions are what a user reads: the rule, the line (and cell), the
slots, the exit code, and that the source never ran.
"""

import json
import os
import sys

import pytest
from conftest import run_cli, without_keras

HEADER = "import keras\nfrom keras import layers\n"


def judge(tmp_path, files, *args, env=None):
    """Write `files` (name -> text) into tmp_path and validate them: (exit code, findings, stdout)."""
    paths = []
    for name, text in files.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            p.write_bytes(text)
        else:
            p.write_text(text, encoding="utf-8")
        paths.append(str(p))
    targets = [a for a in args if not a.startswith("-") and os.path.exists(a)] or paths
    flags = [a for a in args if a not in targets]
    r = run_cli("validate", *targets, "--format", "json", *flags, cwd=str(tmp_path), env=env)
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr, r.stderr
    return r.returncode, json.loads(r.stdout)["findings"], r


def rules_at(findings):
    return sorted((f["rule"], f["line"]) for f in findings)


def test_one_object_on_two_layers_is_one_group_at_the_second_slot(tmp_path):
    code, found, _ = judge(tmp_path, {"m.py": HEADER + (
        "init = keras.initializers.HeNormal()\n"
        "a = layers.Dense(8, kernel_initializer=init)\n"
        "b = layers.Dense(8, kernel_initializer=init)\n")})
    assert code == 1
    assert rules_at(found) == [("sharing-violation", 5)]
    assert found[0]["slots"] == ["a.kernel_initializer", "b.kernel_initializer"]
    assert found[0]["column"] == len("b = layers.Dense(8, kernel_initializer=") + 1


def test_strings_and_config_dicts_are_fresh_per_layer(tmp_path):
    # keras.applications writes one dict and reuses it everywhere: Keras makes a new object from it each time
    code, found, r = judge(tmp_path, {"m.py": HEADER + (
        "CONV = {'class_name': 'VarianceScaling', 'config': {'scale': 2.0}}\n"
        "a = layers.Conv2D(8, 3, kernel_initializer=CONV)\n"
        "b = layers.Conv2D(8, 3, kernel_initializer=CONV)\n"
        "c = [layers.Dense(4, kernel_initializer='he_normal') for _ in range(3)]\n"
        "d = layers.Dense(4, kernel_initializer=keras.initializers.HeNormal())\n"
        "e = layers.Dense(4, kernel_initializer=keras.initializers.HeNormal())\n")})
    assert (code, found) == (0, []), found
    text = run_cli("validate", str(tmp_path / "m.py"), cwd=str(tmp_path)).stdout
    assert "ok, python source (5 component arguments, 0 sharing groups, policy 'strict')" in text


def test_two_initializers_with_one_seed_of_any_class_are_one_stream(tmp_path):
    code, found, _ = judge(tmp_path, {"m.py": HEADER + (
        "SEED = 1\n"
        "a = layers.Dense(8, kernel_initializer=keras.initializers.GlorotUniform(seed=SEED))\n"
        "b = layers.Dense(8, kernel_initializer=keras.initializers.HeUniform(seed=2147483647))\n"
        "c = layers.Dense(8, kernel_initializer=keras.initializers.HeNormal(seed=SEED))\n")})
    assert code == 1
    # GlorotUniform(seed=1) and HeUniform(seed=2**31-1) draw one stream as Keras casts seeds; HeNormal draws another
    assert rules_at(found) == [("sharing-violation", 5)]
    assert found[0]["slots"] == ["a.kernel_initializer", "b.kernel_initializer"]


def test_a_seeded_initializer_in_attention_or_bidirectional_is_copied_with_its_seed(tmp_path):
    code, found, _ = judge(tmp_path, {"m.py": HEADER + (
        "mha = layers.MultiHeadAttention(2, 4, kernel_initializer=keras.initializers.GlorotUniform(seed=1))\n"
        "fresh = layers.MultiHeadAttention(2, 4, kernel_initializer=keras.initializers.GlorotUniform())\n"
        "bi = layers.Bidirectional(layers.LSTM(4, kernel_initializer=keras.initializers.GlorotUniform(seed=2)))\n"
        "ok = layers.Bidirectional(layers.LSTM(4, kernel_initializer=keras.initializers.GlorotUniform()))\n")})
    assert code == 1
    assert rules_at(found) == [("sharing-violation", 3), ("sharing-violation", 5)]
    by_line = {f["line"]: f["slots"] for f in found}
    assert by_line[3] == [f"mha/{p}.kernel_initializer" for p in ("query", "key", "value", "attention_output")]
    assert len(by_line[5]) == 2 and by_line[5][1].startswith("bi/backward_")


def test_one_object_in_a_loop_reaches_a_slot_on_every_pass(tmp_path):
    code, found, _ = judge(tmp_path, {"m.py": HEADER + (
        "init = keras.initializers.HeNormal()\n"
        "blocks = []\n"
        "for i in range(4):\n"
        "    blocks.append(layers.Dense(8, kernel_initializer=init))\n"
        "for i in range(4):\n"
        "    made_here = keras.initializers.HeNormal()\n"
        "    blocks.append(layers.Dense(8, kernel_initializer=made_here))\n")})
    assert code == 1
    assert rules_at(found) == [("sharing-violation", 6)]
    assert "again: loop at line 5" in found[0]["slots"][1]


def test_an_attribute_bound_once_and_given_to_four_sublayers_is_shared(tmp_path):
    # keras_hub's Llama/Mistral/Gemma pattern, written out: get(clone(x)) once, then the same object four times
    source = HEADER + (
        "def clone_initializer(initializer):\n"
        "    if not isinstance(initializer, keras.initializers.Initializer):\n"
        "        return initializer\n"
        "    return initializer.__class__.from_config(initializer.get_config())\n"
        "class Attention(keras.layers.Layer):\n"
        "    def __init__(self, kernel_initializer='glorot_uniform', **kwargs):\n"
        "        super().__init__(**kwargs)\n"
        "        self.kernel_initializer = keras.initializers.get(clone_initializer(kernel_initializer))\n"
        "    def build(self, shape):\n"
        "        self.q = layers.EinsumDense('ab,bc->ac', (8,), kernel_initializer=self.kernel_initializer)\n"
        "        self.k = layers.EinsumDense('ab,bc->ac', (8,), kernel_initializer=self.kernel_initializer)\n"
        "        self.v = layers.EinsumDense('ab,bc->ac', (8,), kernel_initializer=clone_initializer(self.kernel_initializer))\n")
    code, found, _ = judge(tmp_path, {"attention.py": source})
    assert code == 1
    assert rules_at(found) == [("sharing-violation", 13)]  # the second slot; v gets a clone of its own
    assert found[0]["slots"] == ["Attention.q.kernel_initializer", "Attention.k.kernel_initializer"]
    assert "GlorotUniform" in found[0]["message"]  # the default string says what the object is


def test_an_object_passed_to_a_helper_in_another_file_is_followed(tmp_path):
    files = {
        "blocks.py": HEADER + ("def pair(init):\n"
                               "    return [layers.Dense(8, kernel_initializer=init),\n"
                               "            layers.Dense(8, kernel_initializer=init)]\n"
                               "def make():\n"
                               "    return keras.initializers.HeNormal()\n"),
        "model.py": HEADER + ("from blocks import pair, make\n"
                              "left = pair('he_normal')\n"
                              "right = pair(keras.initializers.HeNormal())\n"
                              "shared = make()\n"
                              "a = layers.Dense(2, kernel_initializer=shared)\n"
                              "b = layers.Dense(2, kernel_initializer=shared)\n"
                              "c = layers.Dense(2, kernel_initializer=make())\n"
                              "d = layers.Dense(2, kernel_initializer=make())\n"),
    }
    code, found, _ = judge(tmp_path, files)
    assert code == 1
    # pair(HeNormal()) shares that one object between its two Dense layers; make() returns a new one per call
    assert sorted((os.path.basename(f["file"]), f["line"]) for f in found) == [("blocks.py", 5), ("model.py", 8)]


def test_a_parameter_reaching_two_slots_is_a_warning_that_is_off_by_default(tmp_path):
    source = HEADER + ("def block(init):\n"
                       "    return [layers.Dense(8, kernel_initializer=init), layers.Dense(8, kernel_initializer=init)]\n")
    code, found, _ = judge(tmp_path, {"m.py": source})
    assert (code, found) == (0, [])
    (tmp_path / "policyfactory.toml").write_text('[severity]\nunknown-origin = "warning"\n')
    code, found, _ = judge(tmp_path, {"m.py": source})
    assert code == 0 and rules_at(found) == [("unknown-origin", 4)]
    assert "'init' reaches 2 slots" in found[0]["message"]


def test_a_shared_constraint_passes_the_policy_that_allows_it_and_fails_strict(tmp_path):
    source = HEADER + ("norm = keras.constraints.UnitNorm()\n"
                       "lstm = layers.LSTM(8, kernel_constraint=norm, recurrent_constraint=norm)\n")
    assert judge(tmp_path, {"m.py": source}, "--policy", "recurrent")[:2] == (0, [])
    code, found, _ = judge(tmp_path, {"m.py": source}, "--policy", "strict")
    assert code == 1 and found[0]["slots"] == ["lstm.kernel_constraint", "lstm.recurrent_constraint"]


def test_an_inline_allow_suppresses_its_group_and_needs_a_reason(tmp_path):
    body = HEADER + ("init = keras.initializers.HeNormal()\n"
                     "a = layers.Dense(8, kernel_initializer=init)\n"
                     "b = layers.Dense(8, kernel_initializer=init)  # policyfactory: allow[sharing-violation] {}\n")
    assert judge(tmp_path, {"m.py": body.format("tied on purpose")})[:2] == (0, [])
    code, found, _ = judge(tmp_path, {"m.py": body.format("")})
    assert code == 2 and rules_at(found) == [("allow-comment", 5), ("sharing-violation", 5)]
    stray = body.format("tied") + "c = layers.Dense(8)  # policyfactory: allow[sharing-violation] nothing here\n"
    code, found, _ = judge(tmp_path, {"m.py": stray})
    assert code == 0 and rules_at(found) == [("unused-allow", 6)]


def test_a_syntax_error_is_located_and_exits_2(tmp_path):
    code, found, _ = judge(tmp_path, {"m.py": "import keras\nx = keras.layers.Dense(8,\n"})
    assert code == 2 and [(f["rule"], f["line"]) for f in found] == [("python-syntax", 2)]


def test_a_notebook_finding_names_its_cell_and_line(tmp_path):
    def cell(*lines):
        return {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": list(lines)}

    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": ["# a model"]},
        cell("%pip install keras\n", "import keras\n", "init = keras.initializers.HeNormal()\n"),
        cell("a = keras.layers.Dense(8, kernel_initializer=init)\n", "b = keras.layers.Dense(8, kernel_initializer=init)\n"),
    ]}
    code, found, r = judge(tmp_path, {"model.ipynb": json.dumps(nb)})
    assert code == 1 and [(f["rule"], f.get("cell"), f["line"]) for f in found] == [("sharing-violation", 2, 2)]
    text = run_cli("validate", str(tmp_path / "model.ipynb"), cwd=str(tmp_path)).stdout
    assert "model.ipynb:cell 2:2:" in text
    nb["cells"][2] = cell("a = (\n")
    code, found, _ = judge(tmp_path, {"model.ipynb": json.dumps(nb)})
    assert code == 2 and [(f["rule"], f.get("cell"), f["line"]) for f in found] == [("python-syntax", 2, 1)]
    code, found, _ = judge(tmp_path, {"model.ipynb": "not json"})
    assert code == 2 and found[0]["rule"] == "notebook-format"


def test_the_source_is_never_run(tmp_path):
    marker = tmp_path / "marker"
    source = (f"open({str(marker)!r}, 'w').write('ran')\n"
              "import os\n"
              f"os.system('touch {marker}')\n"
              "import keras\n"
              "init = keras.initializers.HeNormal()\n"
              "a = keras.layers.Dense(8, kernel_initializer=init)\n"
              "b = keras.layers.Dense(8, kernel_initializer=init)\n")
    code, found, _ = judge(tmp_path, {"payload.py": source})
    assert code == 1 and not marker.exists()
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {}, "outputs": [], "source": [f"!touch {marker}\n", source]}]}
    judge(tmp_path, {"payload.ipynb": json.dumps(nb)})
    assert not marker.exists()


def test_validate_of_python_imports_neither_tensorflow_nor_keras(tmp_path):
    env = without_keras(tmp_path)
    code, found, _ = judge(tmp_path, {"m.py": HEADER + (
        "init = keras.initializers.HeNormal()\n"
        "a = layers.Dense(8, kernel_initializer=init)\nb = layers.Dense(8, kernel_initializer=init)\n")}, env=env)
    assert code == 1 and found[0]["rule"] == "sharing-violation"


def test_folders_and_stdin_read_python_too(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "ok.py").write_text("x = 1\n")
    (tmp_path / "pkg" / "bad.py").write_text(HEADER + "i = keras.initializers.HeNormal()\n"
                                             "a = layers.Dense(2, kernel_initializer=i)\n"
                                             "b = layers.Dense(2, kernel_initializer=i)\n")
    r = run_cli("validate", "pkg", "--format", "json", cwd=str(tmp_path))
    assert r.returncode == 1 and [os.path.basename(f["file"]) for f in json.loads(r.stdout)["findings"]] == ["bad.py"]
    import subprocess

    r = subprocess.run([sys.executable, "-m", "policyfactory", "validate", "-", "--stdin-filename", "x.py"],
                       input=(tmp_path / "pkg" / "bad.py").read_text(), capture_output=True, text=True,
                       cwd=str(tmp_path))
    assert r.returncode == 1 and r.stdout.startswith("x.py:5:")


def test_the_python_api_reads_sources_too(tmp_path):
    import policyfactory as pf

    p = tmp_path / "m.py"
    p.write_text(HEADER + "i = keras.initializers.HeNormal()\n"
                 "a = layers.Dense(2, kernel_initializer=i)\nb = layers.Dense(2, kernel_initializer=i)\n")
    assert [f.rule for f in pf.validate(p)] == ["sharing-violation"]
    assert pf.validate(p, policy="stateless")[0].data["policy"] == "stateless"


# -- keras_hub and keras.applications, as installed -----------------------------------------------

HUB_SHARED = ["llama", "mistral", "gemma", "gemma3", "qwen", "qwen3", "phi3", "mixtral", "roformer_v2", "esm", "xlnet"]
HUB_CLEAN = ["bert", "gpt2", "t5", "bart", "whisper", "vit", "deberta_v3", "falcon", "albert", "opt", "gpt_neo_x",
             "distil_bert", "roberta", "electra"]


def _hub_models():
    keras_hub = pytest.importorskip("keras_hub")
    return os.path.join(os.path.dirname(keras_hub.__file__), "src", "models")


def test_keras_hub_families_with_one_stream_in_attention_fail_and_the_others_pass(tmp_path):
    models = _hub_models()
    folders = [os.path.join(models, f) for f in HUB_SHARED + HUB_CLEAN]
    r = run_cli("validate", *folders, "--policy", "stateless", "--format", "json", cwd=str(tmp_path))
    assert r.returncode == 1
    found = json.loads(r.stdout)["findings"]
    family = {f: set() for f in HUB_SHARED + HUB_CLEAN}
    for f in found:
        family[os.path.relpath(f["file"], models).split(os.sep)[0]].add(f["rule"])
    assert all(family[f] == {"sharing-violation"} for f in HUB_SHARED), family
    assert all(family[f] == set() for f in HUB_CLEAN), family


def test_keras_applications_reuse_config_dicts_and_give_no_finding(tmp_path):
    import keras

    apps = os.path.join(os.path.dirname(keras.__file__), "src", "applications")
    r = run_cli("validate", apps, "--format", "json", cwd=str(tmp_path))
    assert r.returncode == 0 and json.loads(r.stdout)["findings"] == []


# The static verdict held against the runtime audit of the same classes (built small, never downloaded).
RUNTIME_SAMPLE = {
    "llama": ("LlamaBackbone", {"num_query_heads": 4, "num_key_value_heads": 2}),
    "gemma": ("GemmaBackbone", {"num_query_heads": 4, "num_key_value_heads": 2, "head_dim": 8}),
    "esm": ("ESMBackbone", {"num_heads": 4, "max_sequence_length": 32}),
    "bert": ("BertBackbone", {"num_heads": 4, "max_sequence_length": 32}),
    "gpt_neo_x": ("GPTNeoXBackbone", {"num_heads": 4, "max_sequence_length": 32}),
}


@pytest.mark.parametrize("family", sorted(RUNTIME_SAMPLE))
def test_the_static_verdict_agrees_with_the_runtime_audit(tmp_path, family):
    keras_hub = pytest.importorskip("keras_hub")
    import policyfactory as pf

    cls, extra = RUNTIME_SAMPLE[family]
    backbone = getattr(keras_hub.models, cls)(vocabulary_size=64, num_layers=1, hidden_dim=32, intermediate_dim=32,
                                              **extra)
    runtime = [f for f in pf.audit(backbone, policy="stateless") if f.rule == "sharing-violation"]
    runtime_attention = any(sum("attention" in s for s in f.data["slots"]) > 1 for f in runtime)
    r = run_cli("validate", os.path.join(_hub_models(), family), "--policy", "stateless", "--format", "json",
                cwd=str(tmp_path))
    static = [f for f in json.loads(r.stdout)["findings"] if f["rule"] == "sharing-violation"]
    assert bool(static) == runtime_attention == (family in HUB_SHARED), (static, runtime)


def test_slots_in_two_branches_of_one_if_never_share(tmp_path):
    # tf_keras's LocallyConnected1D gives one object to add_weight in three exclusive branches: one runs
    code, found, _ = judge(tmp_path, {"m.py": HEADER + (
        "class Local(keras.layers.Layer):\n"
        "    def __init__(self, mode, kernel_initializer='glorot_uniform'):\n"
        "        super().__init__()\n"
        "        self.mode = mode\n"
        "        self.kernel_initializer = keras.initializers.get(kernel_initializer)\n"
        "    def build(self, shape):\n"
        "        if self.mode == 1:\n"
        "            self.kernel = self.add_weight(shape=(2, 2), initializer=self.kernel_initializer, name='kernel')\n"
        "        elif self.mode == 2:\n"
        "            self.kernel = self.add_weight(shape=(4, 2), initializer=self.kernel_initializer, name='kernel')\n"
        "        self.other = self.add_weight(shape=(2,), initializer=self.kernel_initializer, name='other')\n")})
    assert code == 1 and [f["slots"] for f in found] == [
        ["Local.kernel.initializer", "Local.kernel.initializer", "Local.other.initializer"]]


def test_a_method_that_makes_a_new_initializer_per_call_is_fresh(tmp_path):
    # keras_hub's EfficientNet blocks call self._conv_kernel_initializer() at each use
    code, found, _ = judge(tmp_path, {"m.py": HEADER + (
        "class Block(keras.layers.Layer):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.a = layers.Conv2D(4, 3, kernel_initializer=self._init())\n"
        "        self.b = layers.Conv2D(4, 3, kernel_initializer=self._init())\n"
        "        one = self._init()\n"
        "        self.c = layers.Conv2D(4, 3, kernel_initializer=one)\n"
        "        self.d = layers.Conv2D(4, 3, kernel_initializer=one)\n"
        "    def _init(self):\n"
        "        return keras.initializers.VarianceScaling(2.0)\n")})
    assert code == 1 and [f["slots"] for f in found] == [["Block.c.kernel_initializer", "Block.d.kernel_initializer"]]


def test_code_nested_deeper_than_pythons_stack_is_a_finding_not_a_crash(tmp_path):
    deep = HEADER + "init = keras.initializers.HeNormal()\nx = " + "+".join(
        ["layers.Dense(2, kernel_initializer=init)(y)"] * 1500) + "\n"
    code, found, r = judge(tmp_path, {"deep.py": deep, "fine.py": HEADER + "a = layers.Dense(2)\n"})
    assert code == 2 and [(os.path.basename(f["file"]), f["rule"]) for f in found] == [("deep.py", "limit-depth")]


def test_what_real_code_does_default_arguments_kwargs_partial_lambda_positional(tmp_path):
    # each construct below gave identical weights at runtime (keras-io's CycleGAN shares by a default argument)
    code, found, _ = judge(tmp_path, {"m.py": HEADER + (
        "import functools\n"
        "init = keras.initializers.RandomNormal(stddev=0.02)\n"
        "def block(x, kernel_initializer=init):\n"
        "    x = layers.Dense(8, kernel_initializer=kernel_initializer)(x)\n"
        "    return layers.Dense(8, kernel_initializer=kernel_initializer)(x)\n"
        "kw = dict(kernel_initializer=keras.initializers.HeNormal())\n"
        "a, b = layers.Dense(4, **kw), layers.Dense(4, **kw)\n"
        "D = functools.partial(layers.Dense, kernel_initializer=keras.initializers.HeUniform())\n"
        "c, d = D(4), D(4)\n"
        "once = keras.initializers.LecunNormal()\n"
        "make = lambda n: layers.Dense(n, kernel_initializer=once)\n"
        "e, f = make(4), make(4)\n"
        "emb = keras.initializers.TruncatedNormal()\n"
        "g, h = layers.Embedding(10, 4, emb), layers.Embedding(10, 4, emb)\n")})
    assert code == 1
    assert sorted(f["line"] for f in found) == [7, 9, 11, 13, 16], found  # block's second Dense, then each pair
    assert all(len(f["slots"]) == 2 for f in found)


def test_keras_core_imports_are_keras(tmp_path):
    code, found, _ = judge(tmp_path, {"m.py": "import keras_core as keras\nfrom keras_core import layers\n"
                                      "i = keras.initializers.HeNormal()\n"
                                      "a = layers.Dense(4, kernel_initializer=i)\nb = layers.Dense(4, kernel_initializer=i)\n"})
    assert code == 1 and rules_at(found) == [("sharing-violation", 5)]


def test_a_notebook_line_starting_with_an_operator_inside_brackets_is_python(tmp_path):
    cells = [["import keras\n", "x = 3\n", "ok = (x\n", "      != 2)\n", "s = \"\"\"usage:\n", "%s\"\"\" % 1\n",
              "!echo shell\n", "init = keras.initializers.HeNormal()\n"],
             ["a = keras.layers.Dense(8, kernel_initializer=init)\n", "b = keras.layers.Dense(8, kernel_initializer=init)\n"]]
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {}, "outputs": [], "source": c} for c in cells]}
    code, found, _ = judge(tmp_path, {"nb.ipynb": json.dumps(nb)})
    assert code == 1 and [(f["rule"], f.get("cell"), f["line"]) for f in found] == [("sharing-violation", 2, 2)]


# From an attack pass: each source below was built and audited with Keras (`pf.audit`), and the static verdict
# must say what the runtime said: shared (a finding) or not.
RUNTIME_CHECKED = {
    "helper_chain_called_twice": (True, "def conv_bn(init):\n    return dense(init)\ndef dense(init):\n"
                                        "    return keras.layers.Dense(2, kernel_initializer=init)\n"
                                        "init = keras.initializers.HeNormal()\nx = [conv_bn(init), conv_bn(init)]\n"),
    "default_argument_per_call": (True, "kernel_init = keras.initializers.HeNormal()\n"
                                        "def block(x, init=kernel_init):\n"
                                        "    return keras.layers.Dense(3, kernel_initializer=init)(x)\n"
                                        "y = block(block(keras.Input((4,))))\n"),
    "module_global_in_helper": (True, "INIT = keras.initializers.HeNormal()\ndef dense():\n"
                                      "    return keras.layers.Dense(3, kernel_initializer=INIT)\nx = [dense(), dense()]\n"),
    "seed_in_loop": (True, "ls = []\nfor _ in range(2):\n"
                           "    ls.append(keras.layers.Dense(4, kernel_initializer=keras.initializers.HeNormal(seed=1)))\n"),
    "tuple_unpacking": (True, "a, b = keras.initializers.HeNormal(), 1\n"
                              "x = [keras.layers.Dense(3, kernel_initializer=a), keras.layers.Dense(3, kernel_initializer=a)]\n"),
    "class_attribute": (True, "class Block(keras.layers.Layer):\n    INIT = keras.initializers.HeNormal()\n"
                              "    def __init__(self):\n        super().__init__()\n"
                              "        self.a = keras.layers.Dense(3, kernel_initializer=self.INIT)\n"
                              "        self.b = keras.layers.Dense(3, kernel_initializer=self.INIT)\n"),
    "super_init_of_own_base": (True, "class Base(keras.layers.Layer):\n    def __init__(self, **kw):\n"
                                     "        super().__init__(**kw)\n        self.init = keras.initializers.HeNormal()\n"
                                     "        self.a = keras.layers.Dense(3, kernel_initializer=self.init)\n"
                                     "class Child(Base):\n    def __init__(self, **kw):\n        super().__init__(**kw)\n"
                                     "        self.b = keras.layers.Dense(3, kernel_initializer=self.init)\n"),
    "try_except": (True, "try:\n    init = keras.initializers.HeNormal()\nexcept Exception:\n    init = 'he_normal'\n"
                         "x = [keras.layers.Dense(3, kernel_initializer=init),\n"
                         "     keras.layers.Dense(3, kernel_initializer=init)]\n"),
    "positional_seed": (True, "x = [keras.layers.Dense(4, kernel_initializer=keras.initializers.RandomNormal(0.0, 0.05, 1)),\n"
                              "     keras.layers.Dense(4, kernel_initializer=keras.initializers.RandomNormal(0.0, 0.05, 1))]\n"),
    "early_return": (False, "def mk(flag):\n    init = keras.initializers.HeNormal()\n    if flag:\n"
                            "        return keras.layers.Dense(3, kernel_initializer=init)\n"
                            "    return keras.layers.Dense(3, kernel_initializer=init)\nx = [mk(True), mk(False)]\n"),
    "branch_into_methods": (False, "class B(keras.layers.Layer):\n    def __init__(self, small=True):\n"
                                   "        super().__init__()\n        self.init = keras.initializers.HeNormal()\n"
                                   "        self.small = small\n    def build(self, shape):\n        if self.small:\n"
                                   "            self._small()\n        else:\n            self._large()\n"
                                   "    def _small(self):\n        self.d = keras.layers.Dense(3, kernel_initializer=self.init)\n"
                                   "    def _large(self):\n"
                                   "        self.d = keras.layers.Dense(30, kernel_initializer=self.init)\n"),
    "varargs_do_not_bind_keyword_only": (False, "def pair(units, *tags, init='he_normal'):\n"
                                                "    return [keras.layers.Dense(units, kernel_initializer=init),\n"
                                                "            keras.layers.Dense(units, kernel_initializer=init)]\n"
                                                "x = pair(3, keras.initializers.HeNormal())\n"),
}


@pytest.mark.parametrize("case", sorted(RUNTIME_CHECKED))
def test_static_verdicts_the_runtime_confirmed(tmp_path, case):
    shared, body = RUNTIME_CHECKED[case]
    code, found, _ = judge(tmp_path, {f"{case}.py": "import keras\n" + body})
    assert (code, [f["rule"] for f in found]) == ((1, ["sharing-violation"]) if shared else (0, [])), found


def test_a_two_star_imports_and_a_unicode_name_are_still_keras(tmp_path):
    code, found, _ = judge(tmp_path, {
        "star.py": "from keras.initializers import *\nfrom keras.layers import *\ninit = HeNormal()\n"
                   "x = [Dense(3, kernel_initializer=init), Dense(3, kernel_initializer=init)]\n",
        "fold.py": "import keras\ninit = keras.initializers.HeNormal()\n"  # Python folds the fullwidth i to i
                   "a = keras.layers.Dense(2, kernel_\uff49nitializer=init)\n"
                   "b = keras.layers.Dense(2, kernel_\uff49nitializer=init)\n"})
    assert code == 1 and sorted(os.path.basename(f["file"]) for f in found) == ["fold.py", "star.py"]


def test_a_relative_import_names_its_own_package(tmp_path):
    files = {"pkg1/__init__.py": "", "pkg1/utils.py": "import keras\nSHARED = keras.initializers.HeNormal()\n"
                                                      "def get_init():\n    return SHARED\n",
             "pkg2/__init__.py": "", "pkg2/utils.py": "import keras\ndef get_init():\n"
                                                      "    return keras.initializers.HeNormal()\n",
             "pkg2/model.py": "import keras\nfrom .utils import get_init\n"
                              "a = keras.layers.Dense(2, kernel_initializer=get_init())\n"
                              "b = keras.layers.Dense(2, kernel_initializer=get_init())\n"}
    code, found, _ = judge(tmp_path, files)
    assert (code, found) == (0, [])  # pkg2's own get_init makes a new object per call


def test_valid_ipython_lines_are_not_syntax_errors(tmp_path):
    lines = ["import keras\n", "IN_COLAB = False\n", "if IN_COLAB:\n", "    !pip install x\n", "files = !ls\n",
             "t = %timeit -o len([])\n", "len?\n", "??len\n", "!echo a \\\n", "  b\n"]
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {}, "outputs": [], "source": lines},
        {"cell_type": "code", "metadata": {}, "outputs": [], "source": ["\n", "%%bash\n", "echo hi\n"]},
        {"cell_type": "code", "metadata": {}, "outputs": [], "source": "x = 1\rinit = keras.initializers.HeNormal()\r"
                                                                       "a = keras.layers.Dense(2, kernel_initializer=init)\r"
                                                                       "b = keras.layers.Dense(2, kernel_initializer=init)\r"}]}
    code, found, _ = judge(tmp_path, {"nb.ipynb": json.dumps(nb)})
    assert code == 1 and [(f["rule"], f.get("cell"), f["line"]) for f in found] == [("sharing-violation", 3, 4)]


def test_the_python_api_returns_findings_in_the_order_the_cli_prints_them(tmp_path):
    import policyfactory as pf

    p = tmp_path / "m.py"
    p.write_text(HEADER + "i = keras.initializers.HeNormal()\nj = keras.initializers.HeNormal()\n"
                 "a = layers.Dense(2, kernel_initializer=j)\nb = layers.Dense(2, kernel_initializer=i)\n"
                 "c = layers.Dense(2, kernel_initializer=i)\nd = layers.Dense(2, kernel_initializer=j)\n")
    found = pf.validate(p)
    assert [f.line for f in found] == [7, 8] and found == sorted(found, key=lambda f: f.sort_key())
